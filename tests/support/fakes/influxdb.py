"""A local stand-in for InfluxDB 2.x and 3 Core, answering as their API references document.

Only what `shared.influx.client` asks of a server of those generations is served: `/ping`'s
version headers, the v1-compatible `SHOW DATABASES` (2.x), organisations and buckets
(`/api/v2/orgs`, `/api/v2/buckets`), `/api/v2/delete`, and `/api/v3/configure/database`.
Every request is recorded so tests can check what was sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import LoopbackServer

ORG_ID = "0f1e2d3c4b5a6978"  # 16 hex digits, as 2.x gives ids


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeInflux:
    """A fake server of one generation (2 or 3) holding `buckets`."""

    generation: int
    buckets: set[str] = field(default_factory=lambda: {"stocks"})
    org: str = "acme"
    version: str | None = None
    build: str | None = None
    status_override: int | None = None
    stall_seconds: float = 0.0
    """How long a bucket creation waits before it is answered (a server that hangs)."""
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, *args: object) -> None:
                pass

        self.server = LoopbackServer(Handler)

    @property
    def url(self) -> str:
        return self.server.base_url

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def __enter__(self) -> FakeInflux:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # -- answers -------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0) or 0))
        seen = Seen(method, parts.path, query, dict(handler.headers), body)
        with self.lock:
            self.seen.append(seen)
        if seen.path == "/api/v2/buckets":
            time.sleep(self.stall_seconds)
        with self.lock:
            status, headers, payload = self._answer(seen)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        # a client that gave up waiting (a stalled answer) is told nothing
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(handler, status, headers, data)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes
    ) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 204:
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if status != 204:
            handler.wfile.write(data)

    def _answer(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.path == "/ping":
            return self._ping()
        if self.status_override is not None:
            return self.status_override, {}, {"code": "internal error", "message": "fault"}
        route = (seen.method, seen.path)
        if self.generation == 2:
            if route == ("POST", "/query"):
                return self._show_databases()
            if route == ("GET", "/api/v2/orgs"):
                orgs = (
                    [{"id": ORG_ID, "name": self.org}] if seen.query.get("org") == self.org else []
                )
                return 200, {}, {"orgs": orgs}
            if route == ("POST", "/api/v2/buckets"):
                return self._create_v2_bucket(seen.json())
            if route == ("POST", "/api/v2/delete"):
                return self._delete(seen)
        if self.generation == 3 and seen.path == "/api/v3/configure/database":
            if seen.method == "GET":
                names = ["_internal", *sorted(self.buckets)]
                return 200, {}, [{"iox::database": name} for name in names]
            name = seen.json()["db"]
            if name in self.buckets:
                return 409, {}, {"error": "attempted to create a resource that already exists"}
            self.buckets.add(name)
            return 200, {}, b""
        return 404, {}, {"code": "not found", "message": "path not found"}

    def _ping(self) -> tuple[int, dict[str, str], Any]:
        if self.generation == 2:
            headers = {"X-Influxdb-Build": "OSS", "X-Influxdb-Version": "v2.7.11"}
            status, body = 204, b""
        else:
            headers = {"X-Influxdb-Build": "Core", "X-Influxdb-Version": "3.1.0"}
            status, body = 200, {"version": "3.1.0", "revision": "482dd8aac5", "process_id": "x"}
        if self.version is not None:
            headers["X-Influxdb-Version"] = self.version
        if self.build is not None:
            headers["X-Influxdb-Build"] = self.build
        return status, {k: v for k, v in headers.items() if v}, body

    def _show_databases(self) -> tuple[int, dict[str, str], Any]:
        names = ["_monitoring", "_tasks", *sorted(self.buckets)]
        series = {"name": "databases", "columns": ["name"], "values": [[n] for n in names]}
        return 200, {}, {"results": [{"statement_id": 0, "series": [series]}]}

    def _create_v2_bucket(self, request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if request.get("orgID") != ORG_ID:
            return 404, {}, {"code": "not found", "message": "organization not found"}
        name = request["name"]
        if name in self.buckets:
            return (
                422,
                {},
                {"code": "conflict", "message": f"bucket with name {name} already exists"},
            )
        self.buckets.add(name)
        bucket = {"id": "1a2b3c4d5e6f7a8b", "orgID": ORG_ID, "name": name, "type": "user"}
        return 201, {}, {**bucket, "retentionRules": request.get("retentionRules", [])}

    def _delete(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.query.get("org") != self.org:
            return 404, {}, {"code": "not found", "message": "organization not found"}
        if seen.query.get("bucket") not in self.buckets:
            return (
                404,
                {},
                {"code": "not found", "message": f'bucket "{seen.query.get("bucket")}" not found'},
            )
        request = seen.json()
        if not request.get("start") or not request.get("stop"):
            return (
                400,
                {},
                {"code": "invalid", "message": "invalid request; error parsing request json"},
            )
        if "OR" in request.get("predicate", ""):
            return (
                400,
                {},
                {"code": "invalid", "message": "the logical operator OR is not supported yet"},
            )
        return 204, {}, b""
