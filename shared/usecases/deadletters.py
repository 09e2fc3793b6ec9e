"""Dead-lettered events: what Knative (or the local mesh) gave up delivering, kept in InfluxDB.

Knative's broker adds `knativeerrordest` (the subscriber), `knativeerrorcode` (its last HTTP status)
and `knativeerrordata` (base64 of its last response body) to the event it dead-letters.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlparse

import pandas as pd
from cloudevents.http import CloudEvent

from shared.influx.client import InfluxClient
from shared.influx.frames import point
from shared.store import dead_letters

MAX_TEXT = 2_000


def dead_letter_row(event: CloudEvent) -> pd.DataFrame:
    """One `dead_letters` point describing the event and why its delivery failed."""
    destination = str(event.get("knativeerrordest") or "")
    code = str(event.get("knativeerrorcode") or "0")
    return point(
        type=event["type"],
        trigger=_service_of(destination),
        event_id=event["id"],
        subscriber=destination,
        code=int(code) if code.isdigit() else 0,
        error=_decoded(event.get("knativeerrordata"))[:MAX_TEXT],
        data=json.dumps(event.data, default=str)[:MAX_TEXT],
    )


def record(client: InfluxClient, meta_bucket: str, event: CloudEvent) -> None:
    """Store the dead letter in the meta bucket."""
    dead_letters.record(client, meta_bucket, dead_letter_row(event))


def _service_of(destination: str) -> str:
    """`fetch` from `http://fetch.default.svc.cluster.local/` or the mesh's name for it."""
    host = urlparse(destination).hostname or ""
    return host.split(".")[0] if host and not host[0].isdigit() else destination or "unknown"


def _decoded(data: object) -> str:
    if not data:
        return ""
    try:
        return base64.b64decode(str(data), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return str(data)
