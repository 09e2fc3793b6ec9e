"""CloudEvents the functions emit and send: building, binary encoding, posting to a sink."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from shared.contract.errors import SinkFailed

if TYPE_CHECKING:
    import requests

SOURCE_PREFIX = "/stocks-manager/"
FETCH_REQUESTED = "io.stocksmanager.fetch.requested"
FETCHED = "io.stocksmanager.fetched"
PREDICTED = "io.stocksmanager.predicted"
TICK_COMPLETED = "io.stocksmanager.tick.completed"
ALERT_FIRED = "io.stocksmanager.alert.fired"
PING = "dev.knative.sources.ping"
_NAMESPACE = uuid.UUID("6f1c4d0e-2b7a-4c55-9f57-5d1f4a3b8e21")


def new_event(
    event_type: str,
    function: str,
    data: dict,
    event_id: str | None = None,
    subject: str | None = None,
) -> CloudEvent:
    """A CloudEvent with JSON data from one of our functions.

    The `subject` (the symbol) is also its `partitionkey` (the CloudEvents partitioning
    extension): the Kafka broker keeps one symbol's events in one partition, in order.
    """
    attributes = {
        "type": event_type,
        "source": SOURCE_PREFIX + function,
        "datacontenttype": "application/json",
        "id": event_id or str(uuid.uuid4()),
    }
    if subject:
        attributes["subject"] = subject
        attributes["partitionkey"] = subject
    return CloudEvent(attributes, data)


def stable_id(*parts: str) -> str:
    """An event id derived from its parts, the same on every redelivery."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def binary(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """Headers and body of the event in binary mode."""
    headers, body = to_binary(event)
    return dict(headers), body if isinstance(body, bytes) else body.encode()


def send(session: requests.Session, sink: str, event: CloudEvent, timeout: float = 10.0) -> None:
    """POST the event to the sink in binary mode; raise when the sink does not accept it."""
    import requests  # already loaded by whoever made the session; not by functions that send none

    headers, body = binary(event)
    try:
        response = session.post(sink, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise SinkFailed("The event sink (K_SINK) is unreachable; retry later.") from exc
    if response.status_code >= 300:
        raise SinkFailed(f"The event sink answered {response.status_code}; retry later.")
