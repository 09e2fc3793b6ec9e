"""What a caller sent: the same fields by GET query, POST JSON, or POST CloudEvent (binary or structured)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudevents.http import CloudEvent, from_http
from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from shared.errors import BadInput, PayloadTooLarge

MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Invocation:
    """One call of a function: its HTTP method, fields and, when it came as one, the CloudEvent."""

    method: str
    fields: dict[str, Any] = field(default_factory=dict)
    event: CloudEvent | None = None

    @property
    def event_id(self) -> str | None:
        return self.event["id"] if self.event is not None else None


def read_invocation(request: Request, parsed_event: CloudEvent | None) -> Invocation:
    """Parse a request into an Invocation, refusing anything malformed with a `BadInput`."""
    if request.method == "GET":
        return Invocation("GET", _query_fields(request))
    too_large = PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    if parsed_event is not None or _looks_like_event(request):
        event = parsed_event or _parse_event(request, body)
        return Invocation("POST", _event_fields(event), event)
    return Invocation("POST", _json_fields(body))


def _query_fields(request: Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise BadInput(f"The field '{key[:40]}' is given more than once.")
        fields[key] = values[0]
    return fields


def _looks_like_event(request: Request) -> bool:
    content_type = request.headers.get("Content-Type", "")
    return "ce-specversion" in {k.lower() for k in request.headers.keys()} or content_type.startswith(
        "application/cloudevents"
    )


def _parse_event(request: Request, body: bytes) -> CloudEvent:
    try:
        return from_http(dict(request.headers), body)
    except Exception as exc:  # the SDK raises several unrelated exception types
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise BadInput(f"The request is not a valid CloudEvent: {reason}") from None


def _event_fields(event: CloudEvent) -> dict[str, Any]:
    data = event.data
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data) if data else {}
        except ValueError:
            raise BadInput("The CloudEvent's data is not valid JSON.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInput("The CloudEvent's data must be a JSON object.")
    return data


def _json_fields(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("The request body is not valid JSON.") from None
    if not isinstance(fields, dict):
        raise BadInput("The request body must be a JSON object.")
    return fields
