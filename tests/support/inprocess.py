"""Call a FunctionSpec in process as parliament would: a real Flask request, a real CloudEvent.

Parliament parses a POST body as a CloudEvent (or gives up quietly) and hands the request and the
event to `func.main`; `call` does the same through `shared.runtime.handler.Handler`, without a
server process, so handler and function tests run in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent, from_http
from flask import Flask, request
from werkzeug.datastructures import Headers

from shared.runtime.handler import FunctionSpec, Handler
from shared.runtime.services import Services

APP = Flask("stocks-manager-tests")


@dataclass(frozen=True)
class Answer:
    """What the handler answered; its headers read case-insensitively, as an HTTP client would."""

    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def event(self) -> CloudEvent:
        """The reply as a CloudEvent (binary mode)."""
        return from_http(dict(self.headers), self.body)


def call(
    spec: FunctionSpec,
    services: Services,
    *,
    method: str = "GET",
    query: dict[str, str] | list[tuple[str, str]] | None = None,
    json_body: Any = None,
    data: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    event: CloudEvent | None = None,
    structured: bool = False,
) -> Answer:
    """Run one request through `Handler(spec, services)`; `event` posts it in either mode.

    What the call queued to write soon (its `runs` point) is written before it returns.
    """
    headers = dict(headers or {})
    if event is not None:
        method = "POST"
        event_headers, data = to_structured(event) if structured else to_binary(event)
        headers.update(event_headers)
    with APP.test_request_context(
        "/", method=method, query_string=query, json=json_body, data=data, headers=headers
    ):
        parsed = None
        if request.method == "POST":
            try:  # parliament's own attempt, which fails quietly on plain JSON
                parsed = from_http(dict(request.headers), request.get_data())
            except Exception:
                parsed = None
        body, status, reply_headers = Handler(spec, services)(request, parsed)
    services.influx.deferred.flush()  # the `runs` point, written within a second otherwise
    return Answer(status, Headers(reply_headers), body.encode() if isinstance(body, str) else body)
