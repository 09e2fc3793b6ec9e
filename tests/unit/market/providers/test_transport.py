"""The provider transport: a deadline for the whole answer, a capped body, every request metered.

Servers here are real HTTP on loopback that trickle, flood or stall; timings are bounds the
contract sets (a 502 within 1.5 times the provider timeout), never sleeps in the assertions.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from shared.contract.errors import ProviderFailed, RateLimited, StorageUnavailable
from shared.market.providers import transport
from tests.support.loopback import LoopbackServer

MiB = 2**20


class Behaviour:
    """What the server does: trickle a byte every `every` s, flood `size` bytes, or stall."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.every = 1.0
        self.size = 0
        self.stop = threading.Event()
        self.closed = threading.Event()  # the client closed a stalled connection


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer()  # else the client gave up, as it should

        def _answer(self) -> None:
            mode = behaviour.mode
            if mode == "trickle-headers":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: " + b"y" * 10_000:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if behaviour.stop.wait(behaviour.every):
                        return
                return
            self.send_response(200)
            if mode == "gzip-bomb":
                body = gzip.compress(b"0" * behaviour.size)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if mode == "stall":  # headers, then nothing until the client hangs up
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.flush()
                self.connection.settimeout(30)
                if self.rfile.read(1) == b"":
                    behaviour.closed.set()
                return
            if mode == "bad-gzip":  # declared gzip, and not
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", "10000")
                self.end_headers()
                self.wfile.write(b"x" * 10_000)
                return
            if mode == "unsized":  # no Content-Length: the body ends when the connection does
                self.end_headers()
                self.wfile.write(b"x" * 10_000)
                return
            if mode == "declared-huge":
                self.send_header("Content-Length", str(behaviour.size))
                self.end_headers()
                self.wfile.write(b"x" * 1024)
                return
            self.send_header("Content-Length", str(behaviour.size or 10_000))
            self.end_headers()
            if mode == "ok":
                self.wfile.write(b"x" * 10_000)
            elif mode == "trickle":
                while not behaviour.stop.wait(behaviour.every):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            elif mode == "flood":
                chunk = b"x" * MiB
                for _ in range(behaviour.size // MiB):
                    self.wfile.write(chunk)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    loopback = LoopbackServer(_handler(behaviour)).start()
    yield loopback.base_url, behaviour
    behaviour.stop.set()
    loopback.stop()


def get(url: str, timeout: float = 2.0, **kwargs) -> transport.Answer:
    return transport.get(requests.Session(), "Tiingo", url, params={}, timeout=timeout, **kwargs)


@pytest.mark.parametrize("mode", ["trickle", "trickle-headers"])
def test_a_server_sending_a_byte_a_second_is_502_within_the_deadline(server, mode):
    url, behaviour = server
    behaviour.mode, behaviour.every = mode, 0.5  # every read is quick: only a deadline stops it
    started = time.monotonic()
    with pytest.raises(ProviderFailed) as caught:
        get(url, timeout=2.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"{elapsed:.2f} s for a 2 s timeout"
    assert "did not answer within 2 s" in caught.value.message


@pytest.mark.parametrize(
    ("mode", "size"),
    [("flood", 300 * MiB), ("declared-huge", 300 * MiB), ("gzip-bomb", 200 * MiB)],
)
def test_a_body_over_the_cap_is_502_and_never_held_whole(server, mode, size):
    url, behaviour = server
    behaviour.mode, behaviour.size = mode, size
    with pytest.raises(ProviderFailed) as caught:
        get(url, timeout=60, max_bytes=8 * MiB)
    assert (
        "more than 8 MiB" in caught.value.message and "nothing was stored" in caught.value.message
    )


def test_a_stalled_answer_s_connection_is_closed_soon_after_the_deadline(server):
    url, behaviour = server
    behaviour.mode = "stall"
    with pytest.raises(ProviderFailed, match="did not answer within 1 s"):
        get(url, timeout=1.0)
    assert behaviour.closed.wait(5.0), "the worker still holds the connection"


def test_the_worker_s_refusals_name_the_provider(server):
    url, behaviour = server
    behaviour.mode, behaviour.size = "declared-huge", 300 * MiB
    with pytest.raises(ProviderFailed, match=r"^Tiingo answered more than 8 MiB"):
        get(url, max_bytes=8 * MiB)
    with pytest.raises(ProviderFailed, match=r"^Tiingo could not be reached"):
        get("http://127.0.0.1:9")  # nothing listens


def test_an_answer_within_the_cap_and_the_deadline_is_whole(server):
    url, _ = server
    answer = get(url)
    assert answer.status_code == 200 and answer.content == b"x" * 10_000


def test_an_answer_of_exactly_the_cap_is_whole(server):
    url, _ = server
    assert get(url, max_bytes=10_000).content == b"x" * 10_000  # declared and sent: 10,000


def test_an_answer_that_declares_no_length_is_read_whole(server):
    url, behaviour = server
    behaviour.mode = "unsized"
    answer = get(url)
    assert answer.status_code == 200 and answer.content == b"x" * 10_000


class Meter:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.reserved: list[tuple[str, str]] = []
        self.settled: list[int] = []

    def reserve(self, symbol: str, kind: str):
        if self.refuse:
            raise RateLimited("no room", 60)
        self.reserved.append((symbol, kind))
        return self.settled.append


def test_a_metered_request_is_reserved_before_and_settled_after_whatever_came(server):
    url, behaviour = server
    meter = Meter()
    get(url, meter=meter, symbol="IBM", kind="daily")
    behaviour.mode = "trickle"
    with pytest.raises(ProviderFailed):
        get(url, timeout=0.5, meter=meter, symbol="IBM", kind="daily")
    with pytest.raises(ProviderFailed):
        get("http://127.0.0.1:9", meter=meter, symbol="KO", kind="daily")  # nothing listens
    assert meter.reserved == [("IBM", "daily"), ("IBM", "daily"), ("KO", "daily")]
    assert meter.settled == [200, 0, 0]


def test_a_refused_reservation_makes_no_request(server):
    url, _ = server
    with pytest.raises(RateLimited):
        transport.get(
            requests.Session(), "Tiingo", f"{url}/never", params={}, timeout=2, meter=Meter(True)
        )


def test_a_settlement_that_fails_still_gives_the_answer(server):
    url, _ = server

    class Failing(Meter):
        def reserve(self, symbol: str, kind: str):
            super().reserve(symbol, kind)

            def settle(status: int) -> None:
                raise StorageUnavailable("the ledger is down")

            return settle

    meter = Failing()
    assert get(url, meter=meter, symbol="IBM", kind="daily").content == b"x" * 10_000
    assert meter.reserved == [("IBM", "daily")]


def test_a_failed_request_names_what_failed(server):
    url, behaviour = server
    behaviour.mode = "bad-gzip"
    with pytest.raises(ProviderFailed, match=r"^The request to Tiingo failed \(DecodeError\)\.$"):
        get(url)
