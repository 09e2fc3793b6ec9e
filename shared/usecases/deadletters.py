"""Dead-lettered events: what Knative (or the local mesh) gave up delivering, kept in InfluxDB.

Knative's broker adds `knativeerrordest` (the subscriber), `knativeerrorcode` (its last HTTP status)
and `knativeerrordata` (base64 of its last response body) to the event it dead-letters.

Knative may deliver a dead letter twice: its point is keyed on the event, so a duplicate
overwrites the first and is stored once (`dead_letter_time`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

from cloudevents.http import CloudEvent

from shared.influx.client import InfluxClient
from shared.store import dead_letters

MAX_TEXT = 2_000
MAX_TAG = 256
STATUS_CODE = re.compile(r"[0-9]{1,18}")  # an int64 for certain; ASCII digits only
TRAILING_BACKSLASHES = re.compile(r"\\+\Z")
NS_PER_SECOND = 1_000_000_000
PLAUSIBLE_AGE = (-86_400, 30 * 86_400)
"""Seconds an event's own `time` may lie after (a clock ahead) or before now and still stamp
its dead letter; outside, the letter is stamped from the second it arrived in."""
STAND_IN_BACKSLASH = "\u29f5"  # REVERSE SOLIDUS OPERATOR: looks like the backslash it replaces


def dead_letter_fields(event: CloudEvent) -> dict[str, object]:
    """The tags and fields of the `dead_letters` point describing the event and why its
    delivery failed.

    Whatever Knative or the sender put in the event is recorded, never refused: data of any type
    as text, a status code that is not a number as text in `error` (so `code` stays an integer
    field), a destination that is not a URL as it is, tag values line protocol cannot end with
    made safe.
    """
    destination = _text(event.get("knativeerrordest"))
    code_text = _text(event.get("knativeerrorcode")).strip()
    code = int(code_text) if STATUS_CODE.fullmatch(code_text) else None
    error = _decoded(event.get("knativeerrordata"))
    if code_text and code is None:
        error = f"(knativeerrorcode {code_text[:100]!r} is not a status code) {error}"
    return dict(
        type=_tag(event["type"]),
        trigger=_tag(_service_of(destination)),
        event_id=event["id"][:MAX_TEXT],
        subscriber=destination[:MAX_TEXT],
        code=0 if not code_text else code,
        error=error[:MAX_TEXT],
        data=_data_text(event.data)[:MAX_TEXT],
    )


def dead_letter_time(event: CloudEvent, now: float | None = None) -> int:
    """The letter's time, in nanoseconds since the epoch: the second of the event's own `time`
    (of its arrival when it has none, or none plausible), and within that second a place drawn
    from the event's source and id.

    A duplicate delivery of one event lands on the same point; distinct events of one type for
    one subscriber in one second (a tick's fan-out) do not meet, but for 1 in 10^9 a pair.
    """
    arrived = time.time() if now is None else now
    second = int(arrived)
    try:
        given = datetime.fromisoformat(str(event.get("time")))
        stamped = (given if given.tzinfo else given.replace(tzinfo=UTC)).timestamp()
        if PLAUSIBLE_AGE[0] <= arrived - stamped <= PLAUSIBLE_AGE[1]:
            second = int(stamped // 1)
    except (ValueError, OverflowError, OSError):
        pass  # no time, or not one: the second it arrived in
    key = f"{event['source']}\n{event['id']}".encode()
    place = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % NS_PER_SECOND
    return second * NS_PER_SECOND + place


def record(client: InfluxClient, meta_bucket: str, event: CloudEvent) -> None:
    """Store the dead letter in the meta bucket, once however often it is delivered."""
    dead_letters.record(client, meta_bucket, dead_letter_fields(event), dead_letter_time(event))


def _service_of(destination: str) -> str:
    """`fetch` from `http://fetch.default.svc.cluster.local/`; the text itself if no host."""
    try:
        host = urlparse(destination).hostname or ""
    except ValueError:  # `http://[::1` and the like
        host = ""
    label = next((part for part in host.split(".") if part), "")
    if label and not label[0].isdigit():
        return label
    return destination or "unknown"


def _tag(value: str) -> str:
    """A tag value InfluxDB takes: bounded, and not ending in a backslash (line protocol reads
    one there as escaping the separator after it)."""
    value = value[:MAX_TAG]
    return TRAILING_BACKSLASHES.sub(lambda run: STAND_IN_BACKSLASH * len(run.group()), value)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _data_text(data: object) -> str:
    """The event's data as text: JSON of any type as JSON, bytes as UTF-8, text as it is."""
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    if isinstance(data, str):
        return data
    return json.dumps(data, default=str)


def _decoded(data: object) -> str:
    if not data:
        return ""
    try:
        return base64.b64decode(str(data), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return str(data)
