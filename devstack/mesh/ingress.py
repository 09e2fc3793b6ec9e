"""The brokers' HTTP ingress, at the paths Knative gives them: POST /<namespace>/<broker>.

It takes a CloudEvent in binary or structured mode and answers 202, or 400 when the request is
not a CloudEvent. POST /pingsources/<name>/fire (or /pingsources/fire, for all) fires
PingSources now; GET / describes the mesh.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent

from devstack.mesh.codec import read_event
from devstack.ports import bind_or_move

logger = logging.getLogger("devstack.mesh")

BrokerKey = tuple[str, str]


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server whose listen backlog takes a burst of producers (the default is 5)."""

    request_queue_size = 1024
    daemon_threads = True


class Ingress:
    """A threaded HTTP server in front of the mesh's brokers and PingSources."""

    def __init__(
        self,
        host: str,
        port: int,
        accept: Callable[[BrokerKey, CloudEvent], bool],
        fire: Callable[[str | None], list[CloudEvent]],
        describe: Callable[[], dict],
    ) -> None:
        self.host = host
        self._accept, self._fire, self._describe = accept, fire, describe
        # Bound now, before anyone is told the URL: a port chosen free and bound later is a
        # race with every other program on the machine. A port in use moves, saying so.
        self._server: ThreadingHTTPServer | None = bind_or_move(self._bind, port, "the mesh")
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self, port: int) -> ThreadingHTTPServer:
        return _Server((self.host, port), self._handler())

    def start(self) -> None:
        """Serve in a background thread (on the same port again after `stop`)."""
        if self._server is None:
            self._server = bind_or_move(self._bind, self.port, "the mesh", move=False)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="mesh-ingress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        ingress = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "":
                    self._answer(HTTPStatus.OK, ingress._describe())
                else:
                    self._answer(HTTPStatus.NOT_FOUND, {"error": f"nothing at {self.path}"})

            def do_POST(self) -> None:
                body = self._body()
                if body is None:
                    return
                parts = [part for part in self.path.split("?")[0].split("/") if part]
                if parts[:1] == ["pingsources"] and parts[-1:] == ["fire"] and len(parts) <= 3:
                    self._fire_ping(parts[1] if len(parts) == 3 else None)
                elif len(parts) == 2:
                    self._publish((parts[0], parts[1]), body)
                else:
                    self._answer(HTTPStatus.NOT_FOUND, {"error": f"no broker at {self.path}"})

            def _publish(self, broker: BrokerKey, body: bytes) -> None:
                try:
                    event = read_event(self.headers, body)
                except GenericException as exc:
                    self._answer(HTTPStatus.BAD_REQUEST, {"error": f"not a CloudEvent: {exc}"})
                    return
                if ingress._accept(broker, event):
                    self._answer(HTTPStatus.ACCEPTED, None)
                else:
                    self._answer(HTTPStatus.NOT_FOUND, {"error": f"no broker at {self.path}"})

            def _fire_ping(self, name: str | None) -> None:
                try:
                    events = ingress._fire(name)
                except KeyError:
                    self._answer(HTTPStatus.NOT_FOUND, {"error": f"no PingSource {name!r}"})
                    return
                fired = [{"name": e["source"].rsplit("/", 1)[-1], "id": e["id"]} for e in events]
                self._answer(HTTPStatus.ACCEPTED, {"fired": fired})

            def _body(self) -> bytes | None:
                length = self.headers.get("Content-Length")
                if length is None:
                    if "chunked" in self.headers.get("Transfer-Encoding", ""):
                        self.close_connection = True
                        self._answer(HTTPStatus.LENGTH_REQUIRED, {"error": "send Content-Length"})
                        return None
                    return b""
                return self.rfile.read(int(length))

            def _answer(self, status: HTTPStatus, payload: dict | None) -> None:
                body = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if payload is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                logger.debug("ingress: " + format, *args)

        return Handler
