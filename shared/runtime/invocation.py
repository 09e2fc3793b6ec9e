"""What a caller sent: the same fields by GET query, POST JSON or POST CloudEvent (either mode)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudevents.exceptions import DataUnmarshallerError
from cloudevents.http import CloudEvent, from_http
from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from shared.contract.errors import BadInput, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")


@dataclass(frozen=True)
class Invocation:
    """One call of a function: its HTTP method, fields and, when it came as one, the CloudEvent."""

    method: str
    fields: dict[str, Any] = field(default_factory=dict)
    event: CloudEvent | None = None

    @property
    def event_id(self) -> str | None:
        return self.event["id"] if self.event is not None else None


def read_invocation(
    request: Request, parsed_event: CloudEvent | None, opaque_data: bool = False
) -> Invocation:
    """Parse a request into an Invocation, refusing anything malformed with a `BadInput`.

    With `opaque_data` a CloudEvent's data is kept as it came (any type, even JSON that does not
    parse) and gives no fields: a dead-letter sink records every well-formed event.
    """
    if method_of(request) == "GET":  # HEAD: GET's answer, whose body Werkzeug drops
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
    if parsed_event is not None or looks_like_event(request):
        event = parsed_event or _parse_event(request, body, opaque_data)
        _check_attributes(event)
        return Invocation("POST", {} if opaque_data else _event_fields(event), event)
    if body.strip() and request.mimetype != "application/json":
        # Only a body declared JSON is read as JSON: a browser sends text/plain and forms to any
        # site without asking first (no preflight), application/json never. An empty body
        # carries no field, whatever its type.
        declared = request.mimetype[:60] or "none"
        raise UnsupportedMediaType(
            "A POST carries a JSON object with Content-Type: application/json "
            f"(this one's Content-Type: {declared})."
        )
    return Invocation("POST", _json_fields(body))


def _query_fields(request: Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise BadInput(f"The field '{key[:40]}' is given more than once.")
        fields[key] = values[0]
    return fields


def _is_structured(request: Request) -> bool:
    return request.headers.get("Content-Type", "").startswith("application/cloudevents")


def method_of(request: Request) -> str:
    """The method the call is read as: HEAD is GET without a body."""
    return "GET" if request.method in ("GET", "HEAD") else request.method


def looks_like_event(request: Request) -> bool:
    """Any `ce-` header or a CloudEvents content type: the caller meant a CloudEvent."""
    return _is_structured(request) or any(k.lower().startswith("ce-") for k, _ in request.headers)


def _parse_event(request: Request, body: bytes, opaque_data: bool) -> CloudEvent:
    headers = {k.lower(): v for k, v in request.headers.items()}
    missing = [name for name in REQUIRED_ATTRIBUTES if f"ce-{name}" not in headers]
    if missing and not _is_structured(request):
        lacking = ", ".join(f"ce-{name}" for name in missing)
        raise BadInput(f"The request is not a valid CloudEvent: it lacks {lacking}.")
    try:
        return from_http(headers, body)
    except DataUnmarshallerError:
        if opaque_data:  # the data is declared JSON but is not: keep its bytes
            return from_http(headers, body, data_unmarshaller=lambda data: data)
        raise BadInput("The CloudEvent's data is not valid JSON.") from None
    except Exception:  # the SDK raises several unrelated exception types, with texts for developers
        raise BadInput(
            "The request is not a valid CloudEvent: it needs the attributes "
            f"{', '.join(REQUIRED_ATTRIBUTES)} (specversion 1.0 or 0.3), as ce- headers "
            "or in a JSON object."
        ) from None


def _check_attributes(event: CloudEvent) -> None:
    for name in REQUIRED_ATTRIBUTES:
        value = event.get(name)
        if not isinstance(value, str) or not value:
            raise BadInput(f"The CloudEvent's attribute '{name}' must be a non-empty string.")


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
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise BadInput("The request body is not valid JSON.") from None
    if not isinstance(fields, dict):
        raise BadInput("The request body must be a JSON object.")
    return fields
