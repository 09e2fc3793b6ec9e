"""What the mesh did, kept in memory for whoever accounts for events and logged as JSON lines.

Each record is also logged on the `devstack.mesh` logger as one JSON object (the message is
the whole line: give its handler a `%(message)s` format to get pure JSON lines).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass

logger = logging.getLogger("devstack.mesh")


@dataclass(frozen=True)
class Received:
    """An event a broker accepted: from its ingress, a subscriber's reply or a PingSource."""

    event_id: str
    event_type: str
    source: str
    broker: str
    origin: str
    triggers: int
    final: bool


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one event to one Trigger's subscriber.

    `outcome` is `delivered`, `dead-lettered` (the dead-letter sink took it) or `dropped`
    (no dead-letter sink, or it failed too); `status` is the last HTTP status, None when the
    last attempt got no response.
    """

    event_id: str
    event_type: str
    trigger: str
    subscriber: str
    attempts: int
    status: int | None
    outcome: str
    seconds: float
    error: str | None = None
    reply_type: str | None = None


class Journal:
    """Thread-safe lists of Received and Delivery records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._deliveries: list[Delivery] = []

    def received(self, record: Received) -> None:
        with self._lock:
            self._received.append(record)
        logger.info(json.dumps({"record": "received", **asdict(record)}))

    def delivered(self, record: Delivery) -> None:
        with self._lock:
            self._deliveries.append(record)
        log = logger.info if record.outcome == "delivered" else logger.warning
        log(json.dumps({"record": "delivery", **asdict(record)}))

    def all_received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def all_deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)
