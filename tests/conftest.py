"""Fixtures for every test: a real `influxd`, a database per test, settings pointing at them."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.influxd import InfluxServer
from shared.contract.config import InfluxSettings, Settings
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident
from tests.support.fakes.alphavantage import alphavantage, av_settings  # noqa: F401  (fixtures)
from tests.support.fakes.tiingo import tiingo, tiingo_settings  # noqa: F401  (fixtures)


@dataclass(frozen=True)
class RunningInflux:
    """An `influxd` started outside the session (`STOCKS_TEST_INFLUX_URL`)."""

    url: str


@pytest.fixture(scope="session")
def influx_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[InfluxServer | RunningInflux]:
    """One real `influxd` for the whole session, on a free port with a temporary data dir.

    `STOCKS_TEST_INFLUX_URL` names one already running instead: `make mutate` starts one for
    all its runs, rather than one per mutant.
    """
    if url := os.environ.get("STOCKS_TEST_INFLUX_URL"):
        yield RunningInflux(url)
        return
    server = InfluxServer(tmp_path_factory.mktemp("influxd")).start()
    yield server
    server.stop()


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh bucket name for one test (created by whoever needs it).

    Afterwards every bucket named after it is dropped from the session's `influxd`, whose tsi1
    index keeps files open for each database.
    """
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    if "influx_server" in request.fixturenames:
        server: InfluxServer | RunningInflux = request.getfixturevalue("influx_server")
        storage = InfluxClient(InfluxSettings(url=server.url))
        for existing in storage.list_buckets():
            if existing.startswith(name):
                storage.execute(None, f"DROP DATABASE {ident(existing)}")


@pytest.fixture
def settings(influx_server: InfluxServer | RunningInflux, bucket: str) -> Settings:
    """Settings for the real server, with the test's own bucket holding `watchlist` and `runs`."""
    return Settings(influx=InfluxSettings(url=influx_server.url), meta_bucket=bucket)


@pytest.fixture
def storage(settings: Settings, bucket: str) -> InfluxClient:
    """Storage on the real server with the test's bucket created."""
    store = InfluxClient(settings.influx)
    store.create_bucket(bucket)
    return store


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def serve(influx_server: InfluxServer, bucket: str, tmp_path: Path):
    """Start functions as real processes (`python -m shared.runtime.server`), stopped afterwards.

    `serve("watchlist", K_SINK=...)` returns the running FunctionProcess; the test's bucket is the
    meta bucket and the demo provider is used unless the environment given says otherwise.
    """
    from devstack.functions import FunctionProcess

    started: list[FunctionProcess] = []

    def start(name: str, **env: str) -> FunctionProcess:
        base = {
            "INFLUX_URL": influx_server.url,
            "STOCKS_META_BUCKET": bucket,
            "STOCKS_PROVIDER": "demo",
        }
        process = FunctionProcess(name, {**base, **env}, log_path=tmp_path / f"{name}.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def far_east() -> Iterator[None]:
    """The process's local time zone set far from UTC, so only UTC-aware code is right."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
        time.tzset()
        yield
    time.tzset()
