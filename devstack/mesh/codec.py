"""CloudEvents over HTTP for the mesh: read either mode, write binary mode, data byte for byte."""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import Message

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent, from_http


def read_event(headers: Mapping[str, str] | Message, body: bytes) -> CloudEvent:
    """The CloudEvent of a request or response in binary or structured mode.

    Its data is kept as it arrived (the bytes, or the JSON text of structured mode), so it is
    forwarded unchanged. Raises cloudevents.exceptions.GenericException when it is not one.
    """
    return from_http(dict(headers), body, data_unmarshaller=_as_is)


def write_binary(event: CloudEvent) -> tuple[dict[str, str], bytes | None]:
    """Binary-mode headers and body; `Content-Type: application/json` for JSON data without one."""
    headers, body = to_binary(event, data_marshaller=_marshal)
    headers = {name: str(value) for name, value in headers.items()}
    if "content-type" not in headers and _is_json(event.get_data()):
        headers["content-type"] = "application/json"
    return headers, body


def _as_is(data: bytes | str) -> bytes | str:
    return data


def _marshal(data: object) -> bytes | None:
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return json.dumps(data).encode()


def _is_json(data: object) -> bool:
    if isinstance(data, dict | list):
        return True
    if not isinstance(data, bytes | str) or not data:
        return False
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return True
