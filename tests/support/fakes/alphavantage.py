"""A local Alpha Vantage: real HTTP on 127.0.0.1 serving recorded-format bodies by query."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

from shared.contract.config import ProviderSettings
from shared.market.providers.base import COLUMNS
from tests.support.loopback import LoopbackServer

DATA = Path(__file__).resolve().parents[2] / "data" / "alphavantage"
API_KEY = "K3YSECRET42XYZ"


def assert_bars(frame: pd.DataFrame) -> None:
    """The contract's shape: a UTC `time` index, ascending and unique, typed columns."""
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "time"
    assert str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert tuple(frame.columns) == COLUMNS
    assert frame.dtypes.astype(str).to_dict() == {
        "open": "float64", "high": "float64", "low": "float64", "close": "float64",
        "volume": "int64",
    }  # fmt: skip


def body(name: str) -> bytes:
    """A fixture body from tests/data/alphavantage."""
    return (DATA / name).read_bytes()


@dataclass
class Route:
    """What to answer to queries whose parameters include `match`."""

    match: dict[str, str]
    body: bytes
    status: int = 200
    delay: float = 0.0
    declared_length: int | None = None  # a Content-Length larger than the body cuts it short


@dataclass
class FakeAlphaVantage:
    """Routes queries on their parameters (function, symbol, interval, datatype) and records them.

    Unmatched queries get Alpha Vantage's own answer to an unknown symbol: an invalid call.
    """

    url: str = ""
    queries: list[dict[str, str]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def route(self, fixture: str | bytes, **kwargs) -> None:
        """Answer `fixture` (a file name, or the bytes) to queries matching the str kwargs."""
        options = {k: kwargs.pop(k) for k in ("status", "delay", "declared_length") if k in kwargs}
        data = body(fixture) if isinstance(fixture, str) else fixture
        self.routes.insert(0, Route(match=kwargs, body=data, **options))

    def answer(self, query: dict[str, str]) -> Route:
        self.queries.append(query)
        for route in self.routes:
            if all(query.get(k) == v for k, v in route.match.items()):
                return route
        return Route(match={}, body=body("invalid_call.json"))


def _handler(fake: FakeAlphaVantage) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            route = fake.answer(query)
            if route.delay:
                fake.released.wait(route.delay)
            data = route.body.replace(b"{apikey}", query.get("apikey", "").encode())
            kind = "application/json" if data.lstrip().startswith(b"{") else "text/csv"
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(route.declared_length or len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def alphavantage() -> Iterator[FakeAlphaVantage]:
    """A fake Alpha Vantage listening on a free loopback port."""
    fake = FakeAlphaVantage()
    server = LoopbackServer(_handler(fake)).start()
    fake.url = f"{server.base_url}/query"
    yield fake
    fake.released.set()
    server.stop()


@pytest.fixture
def av_settings(alphavantage: FakeAlphaVantage) -> ProviderSettings:
    """Alpha Vantage settings pointing at the fake, with a free key."""
    return ProviderSettings(
        name="alphavantage",
        alphavantage_api_key=API_KEY,
        alphavantage_url=alphavantage.url,
        timeout_seconds=5.0,
    )
