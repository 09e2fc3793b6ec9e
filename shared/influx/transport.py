"""HTTP to one InfluxDB server: a keep-alive connection per thread, credentials on every request.

`http.client` rather than `requests`: a small query through a `requests.Session` costs about
1.1 ms of CPU against 0.24 ms here (docs/benchmarks.md), and a tick makes a few per symbol. Each
thread keeps its own connection (the functions serve requests on several threads; an
`http.client` connection carries one exchange at a time). Every request the store makes is
idempotent (reads, writes of points that overwrite themselves, deletes, `CREATE DATABASE`), so
one whose reused connection turns out closed by the server is sent again once on a new one.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from shared.contract.config import InfluxSettings
from shared.contract.errors import StorageUnavailable
from shared.influx.auth import credentials

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer: status, headers and body."""

    status: int
    headers: http.client.HTTPMessage
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class Transport:
    """Requests to the server `settings.url` names, over the calling thread's connection."""

    def __init__(self, settings: InfluxSettings) -> None:
        url = urlsplit(settings.url)
        self.host = url.hostname or ""
        self.port = url.port
        self.base = url.path.rstrip("/")
        self.https = url.scheme == "https"
        self.timeout = settings.timeout_seconds
        self.headers, self.params = credentials(settings)
        self._local = threading.local()
        self._tls: ssl.SSLContext | None = None

    def path(self, path: str, params: dict[str, str] | None = None) -> str:
        """`path` under the server's base path, with `params` and the credentials' parameters."""
        query = urlencode({**(params or {}), **self.params})
        return f"{self.base}{path}?{query}" if query else f"{self.base}{path}"

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        body: bytes | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request and read its whole answer (`form`: a URL-encoded body).

        `StorageUnavailable` when the server cannot be reached or does not answer in time.
        """
        if form is not None:
            body, headers = urlencode(form).encode(), {**FORM, **(headers or {})}
        target = self.path(path, params)
        sent_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            reused = False
            try:
                connection, reused = self.connection()
                connection.request(method, target, body=body, headers=sent_headers)
                response = connection.getresponse()
                content = response.read()
            except TimeoutError as exc:
                self.discard()
                raise StorageUnavailable("InfluxDB did not answer in time; retry later.") from exc
            except (OSError, http.client.HTTPException) as exc:
                self.discard()
                if reused and attempt == 1:
                    continue  # the server closed the idle connection: once more on a new one
                raise StorageUnavailable("InfluxDB is unreachable; retry later.") from exc
            if response.will_close:
                self.discard()
            return Answer(response.status, response.headers, content)
        raise AssertionError("unreachable")  # pragma: no cover

    def connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it has carried a request before."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        connection = self._new_connection()
        self._local.connection = connection
        return connection, False

    def discard(self) -> None:
        """Close this thread's connection: the next request opens a new one."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        if self.https:
            if self._tls is None:
                import certifi

                self._tls = ssl.create_default_context(cafile=certifi.where())
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        connection.connect()
        if connection.sock is not None:  # small requests go at once, not after Nagle's delay
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection
