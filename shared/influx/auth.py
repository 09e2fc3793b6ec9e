"""How every InfluxDB request authenticates, and what the server's refusals mean for the caller."""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import Message

from shared.contract.config import InfluxSettings
from shared.contract.errors import StorageUnavailable


def credentials(settings: InfluxSettings) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query parameters that authenticate: a token, else 1.x user and password."""
    if settings.token:
        return {"Authorization": f"Token {settings.token}"}, {}
    if settings.username:
        return {}, {"u": settings.username, "p": settings.password or ""}
    return {}, {}


def raise_for_server_status(status: int) -> None:
    """Refused credentials and server faults are retryable unavailability (503)."""
    if status in (401, 403):
        raise StorageUnavailable("InfluxDB refused the configured credentials.")
    if status >= 500:
        raise StorageUnavailable(f"InfluxDB failed with status {status}; retry later.")


def error_text(headers: Mapping[str, str] | Message, body: bytes) -> str:
    """InfluxDB's own words for an error: its `X-Influxdb-Error` header or JSON `error`."""
    header = headers.get("X-Influxdb-Error")
    if header:
        return header
    text = body.decode("utf-8", "replace")
    try:
        return str(json.loads(text).get("error", text))
    except (ValueError, AttributeError):
        return text
