"""A local HTTP receiver of CloudEvents, standing in for K_SINK or a broker in tests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

from cloudevents.http import CloudEvent, from_http

from tests.support.loopback import LoopbackServer


class EventReceiver:
    """Collects every CloudEvent POSTed to it; answers `status` (202 by default)."""

    def __init__(self, status: int = 202) -> None:
        self.events: list[CloudEvent] = []
        self.status = status
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event = from_http(dict(self.headers), body)
                with receiver._lock:
                    receiver.events.append(event)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = LoopbackServer(Handler)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[CloudEvent]:
        """The first `count` events, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.events) >= count:
                    return list(self.events[:count])
            time.sleep(0.02)
        raise AssertionError(f"expected {count} events, got {len(self.events)}")

    def __enter__(self) -> EventReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
