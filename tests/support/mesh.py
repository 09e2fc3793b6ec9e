"""Stand-ins for functions (real HTTP servers on free loopback ports), manifests, mesh fixtures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.mesh import Mesh


@dataclass(frozen=True)
class Answer:
    """What a stand-in answers to one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def event(cls, event_type: str, data: dict, status: int = 200) -> Answer:
        """A binary-mode CloudEvent reply."""
        headers, body = to_binary(
            CloudEvent(
                {"type": event_type, "source": "/stand-in", "datacontenttype": "application/json"},
                data,
            )
        )
        return cls(status, body, dict(headers))


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() on arrival


class StandIn:
    """A function stand-in: records every request and answers from a script, then `then`."""

    def __init__(self, *script: Answer, then: Answer = Answer()) -> None:
        self._script, self._then = list(script), then
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = stand_in._record(
                    Request({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                )
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the mesh gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, request: Request) -> Answer:
        with self._lock:
            index = len(self._requests)
            self._requests.append(request)
        return self._script[index] if index < len(self._script) else self._then


@pytest.fixture
def stand_in() -> Iterator[Callable[..., StandIn]]:
    """Make stand-ins; all are closed after the test."""
    made: list[StandIn] = []

    def make(*script: Answer, then: Answer = Answer()) -> StandIn:
        made.append(StandIn(*script, then=then))
        return made[-1]

    yield make
    for server in made:
        server.close()


def knative_service(name: str) -> dict:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"image": "stocks-manager"}]}}},
    }


def service_ref(name: str) -> dict:
    return {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": name}}


def trigger(name: str, subscriber: str, delivery: dict | None = None, **attributes: str) -> dict:
    """A Trigger on broker `default` filtering on exact attributes."""
    spec: dict = {"broker": "default", "subscriber": service_ref(subscriber)}
    if attributes:
        spec["filter"] = {"attributes": attributes}
    if delivery:
        spec["delivery"] = delivery
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": {"name": name},
        "spec": spec,
    }


def broker(delivery: dict | None = None, final: str = "test.final") -> dict:
    return {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "metadata": {
            "name": "default",
            "annotations": {"stocksmanager.io/final-event-types": final},
        },
        "spec": {"delivery": delivery} if delivery else {},
    }


def write_manifests(directory: Path, objects: list[dict]) -> Path:
    """The objects as one multi-document YAML file in `directory` (no kustomization)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return directory


@pytest.fixture
def mesh_for(tmp_path: Path) -> Iterator[Callable[..., Mesh]]:
    """Start a mesh over given objects plus Knative Services for the given stand-ins."""
    started: list[Mesh] = []

    def make(objects: list[dict], subscribers: dict[str, str], **options: object) -> Mesh:
        services = [knative_service(name) for name in subscribers]
        path = write_manifests(tmp_path / f"manifests{len(started)}", [*services, *objects])
        options = {
            "backoff_scale": 0.01,
            "dead_letter_file": tmp_path / "dead.jsonl",
            "schedule_pings": False,
            **options,
        }
        mesh = Mesh.from_manifests(path, subscribers, **options)
        started.append(mesh.start())
        return mesh

    yield make
    for mesh in started:
        mesh.stop(timeout=5)
