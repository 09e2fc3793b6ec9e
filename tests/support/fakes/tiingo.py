"""A local Tiingo: real HTTP on 127.0.0.1 serving documented-format bodies, optionally enforcing
Tiingo's request limits on a clock the test controls."""

from __future__ import annotations

import threading
from bisect import bisect_right, insort
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd
import pytest

from shared.contract.config import ProviderSettings
from tests.support.loopback import LoopbackServer

DATA = Path(__file__).resolve().parents[2] / "data" / "tiingo"
API_KEY = "t1ingoS3CRETtoken0042"  # "token" inside: refusals must not be read in the key
PREFIX = "/tiingo/daily/"
SUFFIX = "/prices"
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
KINDS = {b"[": "application/json", b"{": "application/json", b"<": "text/html"}


def body(name: str) -> bytes:
    """A fixture body from tests/data/tiingo."""
    return (DATA / name).read_bytes()


@dataclass
class Answer:
    """A status and body to answer."""

    body: bytes
    status: int = 200
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the body's bytes (0: all at once)


@dataclass
class Request:
    """One request as the fake saw it."""

    ticker: str
    query: dict[str, str]
    authorization: str | None
    time: pd.Timestamp
    refused: bool = False
    kind: str = "prices"  # or "meta": `/tiingo/daily/<ticker>`, the ticker's metadata


@dataclass
class Enforced:
    """Tiingo's limits as the fake applies them: rolling hour and day, calendar month."""

    per_hour: int
    per_day: int
    symbols_per_month: int


@dataclass
class FakeTiingo:
    """Answers `/tiingo/daily/<ticker>/prices` by ticker, and `/tiingo/daily/<ticker>` (the
    ticker's metadata) from `meta`; records every request.

    Unrouted tickers get Tiingo's 404 for an unknown ticker, unless `any_ticker` is set (prices)
    or `any_meta` (metadata). A request without the right token gets Tiingo's 401.
    """

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    routes: dict[str, Answer] = field(default_factory=dict)
    any_ticker: bytes | None = None
    meta: dict[str, Answer] = field(default_factory=dict)
    any_meta: bytes | None = None
    limits: Enforced | None = None
    clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC")
    served_times: list[pd.Timestamp] = field(default_factory=list)  # sorted
    last_served: dict[str, pd.Timestamp] = field(default_factory=dict)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def price_requests(self) -> list[Request]:
        """Requests for prices (not for metadata)."""
        return [r for r in self.requests if r.kind == "prices"]

    @property
    def refused(self) -> list[Request]:
        """Requests refused for a limit."""
        return [r for r in self.requests if r.refused]

    def route(
        self,
        ticker: str,
        fixture: str | bytes,
        status: int = 200,
        delay: float = 0,
        trickle: float = 0,
    ) -> None:
        """Answer `fixture` (a file name, or the bytes) with `status` for `ticker`, after `delay`
        seconds, a byte every `trickle` seconds if set."""
        data = body(fixture) if isinstance(fixture, str) else fixture
        self.routes[ticker.lower()] = Answer(data, status, delay, trickle)

    def route_meta(self, ticker: str, fixture: str | bytes, status: int = 200) -> None:
        """Answer `fixture` (a file name, or the bytes) to `ticker`'s metadata request."""
        data = body(fixture) if isinstance(fixture, str) else fixture
        self.meta[ticker.lower()] = Answer(data, status)

    def answer(
        self, ticker: str, query: dict[str, str], authorization: str | None, kind: str = "prices"
    ) -> Answer:
        with self.lock:
            request = Request(ticker, query, authorization, self.clock(), kind=kind)
            self.requests.append(request)
            if authorization != f"Token {API_KEY}" and query.get("token") != API_KEY:
                return Answer(body("invalid_token.json"), 401)
            refusal = self._over_limit(request)
            if refusal is not None:
                request.refused = True
                return refusal
            routes, any_answer = (
                (self.routes, self.any_ticker) if kind == "prices" else (self.meta, self.any_meta)
            )
            if ticker in routes:
                return routes[ticker]
            if any_answer is not None:
                return Answer(any_answer)
            return Answer(body("unknown_ticker.json").replace(b"NOSUCH", ticker.encode()), 404)

    def _over_limit(self, request: Request) -> Answer | None:
        """Tiingo's refusal when this request goes past a limit (refused requests do not count)."""
        if self.limits is None:
            return None
        now, times = request.time, self.served_times
        if bisect_right(times, now) - bisect_right(times, now - HOUR) >= self.limits.per_hour:
            return Answer(body("limit_hourly_429.json"), 429)
        if bisect_right(times, now) - bisect_right(times, now - DAY) >= self.limits.per_day:
            return Answer(body("limit_daily.txt"))
        month_start = now.normalize().replace(day=1)
        month = {ticker for ticker, last in self.last_served.items() if last >= month_start}
        if request.ticker not in month and len(month) >= self.limits.symbols_per_month:
            return Answer(body("limit_symbols.txt"))
        insort(times, now)
        self.last_served[request.ticker] = now
        return None


def _handler(fake: FakeTiingo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            kind = "prices" if path.endswith(SUFFIX) else "meta"
            ticker = path[len(PREFIX) : -len(SUFFIX) if kind == "prices" else None]
            if not path.startswith(PREFIX) or not ticker or "/" in ticker:
                self._send(Answer(b'{"detail":"Not found."}', 404))
                return
            query = dict(parse_qsl(parts.query))
            authorization = self.headers.get("Authorization")
            self._send(fake.answer(unquote(ticker), query, authorization, kind))

        def _send(self, answer: Answer) -> None:
            if answer.delay:
                fake.released.wait(answer.delay)
            kind = KINDS.get(answer.body[:1], "text/csv" if answer.body[:5] == b"date," else "")
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if not answer.trickle:
                    self.wfile.write(answer.body)
                for byte in answer.body if answer.trickle else b"":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if fake.released.wait(answer.trickle):
                        break
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving() -> Iterator[FakeTiingo]:
    """A fake Tiingo listening on a free loopback port, stopped afterwards."""
    fake = FakeTiingo()
    server = LoopbackServer(_handler(fake)).start()
    fake.url = server.base_url
    try:
        yield fake
    finally:
        fake.released.set()
        server.stop()


@pytest.fixture
def tiingo() -> Iterator[FakeTiingo]:
    """A fake Tiingo of the test's own."""
    with serving() as fake:
        yield fake


@pytest.fixture(scope="module")
def tiingo_once() -> Iterator[FakeTiingo]:
    """A fake Tiingo shared by a module's tests (each routes a symbol of its own)."""
    with serving() as fake:
        yield fake


@pytest.fixture
def tiingo_settings(tiingo: FakeTiingo) -> ProviderSettings:
    """Tiingo settings pointing at the fake."""
    return ProviderSettings(
        name="tiingo", tiingo_api_key=API_KEY, tiingo_url=tiingo.url, timeout_seconds=5.0
    )
