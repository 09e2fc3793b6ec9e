"""PingSources: their events, their next fire time (croniter, in their zone), a scheduler."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cloudevents.http import CloudEvent
from croniter import croniter

from devstack.mesh.topology import PingSource

logger = logging.getLogger("devstack.mesh")

PING_TYPE = "dev.knative.sources.ping"


def next_fire(ping: PingSource, after: datetime) -> datetime:
    """The first time strictly after `after` that the schedule names, in the source's zone."""
    local = after.astimezone(ZoneInfo(ping.timezone))
    return croniter(ping.schedule, local).get_next(datetime)


def ping_event(ping: PingSource, now: datetime | None = None) -> CloudEvent:
    """The event Knative's PingSource sends: its data, content type and CloudEvent overrides."""
    attributes = {
        "type": PING_TYPE,
        "source": ping.source,
        "id": str(uuid.uuid4()),
        "time": (now or datetime.now(UTC)).isoformat(),
        **ping.extensions,
    }
    if ping.content_type:
        attributes["datacontenttype"] = ping.content_type
    return CloudEvent(attributes, ping.data)


class PingScheduler:
    """Fires each PingSource at its schedule's times until stopped, in one background thread."""

    def __init__(self, pings: Sequence[PingSource], fire: Callable[[PingSource], object]) -> None:
        self._pings = list(pings)
        self._fire = fire
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mesh-pings", daemon=True)

    def start(self) -> None:
        if self._pings:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        now = datetime.now(UTC)
        due = {ping.name: next_fire(ping, now) for ping in self._pings}
        while not self._stop.is_set():
            now = datetime.now(UTC)
            for ping in self._pings:
                if due[ping.name] <= now:
                    self._fire_safely(ping)
                    due[ping.name] = next_fire(ping, now)
            soonest = min(due.values())
            # Wake at least once a minute, so a clock change is noticed.
            self._stop.wait(min(max((soonest - datetime.now(UTC)).total_seconds(), 0.0), 60.0))

    def _fire_safely(self, ping: PingSource) -> None:
        try:
            self._fire(ping)
        except Exception:
            logger.exception("PingSource %s failed to fire", ping.name)
