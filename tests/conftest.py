"""Fixtures for every test: a real `influxd`, a database per test, settings pointing at them."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devstack.influxd import InfluxServer
from shared.contract.config import InfluxSettings, Settings
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident
from tests.support.fakes.alphavantage import alphavantage, av_settings  # noqa: F401  (fixtures)
from tests.support.fakes.tiingo import tiingo, tiingo_once, tiingo_settings  # noqa: F401

if TYPE_CHECKING:
    from devstack.functions import FunctionProcess

# Function processes the tests start write their `runs` points within 0.05 s, not a second, so
# tests that read one wait less; the batching itself is tested with its own delays.
os.environ.setdefault("STOCKS_RUNS_BATCH_SECONDS", "0.05")


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


def _drop_named_after(server: InfluxServer | RunningInflux, name: str) -> None:
    """Drop every bucket whose name starts with `name` (the session's `influxd` keeps tsi1 index
    files open for each database)."""
    storage = InfluxClient(InfluxSettings(url=server.url))
    for existing in storage.list_buckets():
        if existing.startswith(name):
            storage.execute(None, f"DROP DATABASE {ident(existing)}")


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh bucket name for one test (created by whoever needs it), and every bucket named
    after it dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    if "influx_server" in request.fixturenames:
        _drop_named_after(request.getfixturevalue("influx_server"), name)


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


@contextmanager
def _serving(influx_url: str, meta: str, logs: Path) -> Iterator[Callable[..., FunctionProcess]]:
    """Start functions as real processes on `meta` as their meta bucket; stop them afterwards."""
    from devstack.functions import FunctionProcess  # imported when a test starts a process

    started: list[FunctionProcess] = []

    def start(name: str, **env: str) -> FunctionProcess:
        base = {"INFLUX_URL": influx_url, "STOCKS_META_BUCKET": meta, "STOCKS_PROVIDER": "demo"}
        process = FunctionProcess(name, {**base, **env}, log_path=logs / f"{name}.log").start()
        started.append(process)
        return process

    try:
        yield start
    finally:  # at once: each process takes a moment to exit
        with ThreadPoolExecutor(len(started) or 1) as stopping:
            list(stopping.map(FunctionProcess.stop, started))


@pytest.fixture
def serve(influx_server: InfluxServer, bucket: str, tmp_path: Path):
    """Start functions as real processes (`python -m shared.runtime.server`), stopped afterwards.

    `serve("watchlist", K_SINK=...)` returns the running FunctionProcess; the test's bucket is the
    meta bucket and the demo provider is used unless the environment given says otherwise.
    """
    with _serving(influx_server.url, bucket, tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def module_bucket(influx_server: InfluxServer | RunningInflux) -> Iterator[str]:
    """A bucket name for the processes a module's tests share (their meta bucket)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    _drop_named_after(influx_server, name)


@pytest.fixture(scope="module")
def serve_once(
    influx_server: InfluxServer, module_bucket: str, tmp_path_factory: pytest.TempPathFactory
):
    """`serve` for a module's many cases of one kind: each process started is shared by the
    module's tests (its meta bucket is `module_bucket`), so a case must not depend on what
    another case stored there. A process start costs a second of CPU (pandas, the runtime)."""
    with _serving(influx_server.url, module_bucket, tmp_path_factory.mktemp("serve")) as start:
        yield start


@pytest.fixture
def far_east() -> Iterator[None]:
    """The process's local time zone set far from UTC, so only UTC-aware code is right."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
        time.tzset()
        yield
    time.tzset()
