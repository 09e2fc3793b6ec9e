"""The scheduled fan-out: on a PingSource tick, one fetch request per tracked stock, within budget.

The provider's limits (per day, per hour, distinct symbols a month: `market/budget.py`) are
checked against the provider-request ledger (`usecases/ledger.py`), which fetch itself enforces;
the oldest-refreshed stocks go first and what does not fit now is deferred to the next tick.
A stock whose exchange has had no session since its newest stored bar (`sessions.bar_due`: a
daily bar is due once a session has closed) is current: no provider request is made for it.
Plain datetimes and JSON reads throughout: watchlist, which ticks, starts without pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shared.contract.events import FETCH_REQUESTED, new_event, send, stable_id
from shared.influx.client import InfluxClient
from shared.market import budget
from shared.market.sessions import sessions
from shared.store import bar_times, fetch_requests, runs
from shared.store.watchlist import Entry
from shared.usecases import ledger

if TYPE_CHECKING:
    import requests

REFRESH_LOOKBACK = timedelta(days=35)
"""How far back a successful fetch still counts as the symbol's last refresh."""
IN_FLIGHT = timedelta(minutes=10)
"""How long after a fetch request a tick leaves its entry alone: the request is on its way, the
broker is retrying it (its retries end within a minute), or it has just been served."""
NEWEST_LOOKBACK = timedelta(days=40)
"""How far back the tick looks for an entry's newest bar; one older is due anyway."""


@dataclass(frozen=True)
class TickPlan:
    """Which tracked stocks this tick requests and which it defers."""

    requested: list[Entry]
    deferred: list[Entry]
    limits: budget.Limits
    spent_today: int
    in_flight: list[Entry] = field(default_factory=list)
    """Entries fetch was asked for within `IN_FLIGHT`: left alone, not asked twice."""
    current: list[Entry] = field(default_factory=list)
    """Entries with no newer bar to fetch: no session of their exchange since their newest."""

    def summary(self, tick_time: str, event_ids: list[str]) -> dict:
        return {
            "tick": tick_time,
            "requested": [e.symbol for e in self.requested],
            "deferred": [e.symbol for e in self.deferred],
            "in_flight": [e.symbol for e in self.in_flight],
            "current": [e.symbol for e in self.current],
            "event_ids": event_ids,
            "daily_limit": self.limits.per_day,
            "hourly_limit": self.limits.per_hour,
            "symbols_per_month": self.limits.symbols_per_month,
            "spent_today": self.spent_today,
        }


def plan_tick(
    client: InfluxClient,
    meta_bucket: str,
    entries: list[Entry],
    limits: budget.Limits,
    now: datetime,
    provider: str = "demo",
) -> TickPlan:
    """Order the entries a new bar may be due for oldest-refreshed first and keep those the
    provider's limits allow now.

    An entry with no bar due is current, whether or not it was asked for lately. One a bar is
    due for but asked for within `IN_FLIGHT` (by a tick, a track or a refresh) is in flight and
    left alone: asking again would fetch it twice. A refresh is a successful fetch; the spend is
    every request the provider-request ledger holds (refused and failed ones too: the provider
    counts them).
    """
    now = now.astimezone(UTC)
    newest = _newest(client, entries, now)
    current = [entry for entry in entries if not _due(entry, newest, now)]
    entries = [entry for entry in entries if entry not in current]
    asked = fetch_requests.since(client, meta_bucket, now - IN_FLIGHT)
    in_flight = [e for e in entries if e.key in asked]
    entries = [e for e in entries if e.key not in asked]
    refreshed = runs.last_fetched(client, meta_bucket, now - REFRESH_LOOKBACK)
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(
        entries, key=lambda e: (refreshed.get((e.symbol, e.interval), never), e.symbol)
    )
    spent = ledger.spending(client, meta_bucket, provider, limits, now)
    planned = iter(budget.plan([e.symbol for e in ordered], limits, spent, now).symbols)
    requested, deferred = [], []
    upcoming = next(planned, None)
    for entry in ordered:  # the plan keeps the entries' order, so it is walked once
        if entry.symbol == upcoming:
            requested.append(entry)
            upcoming = next(planned, None)
        else:
            deferred.append(entry)
    return TickPlan(requested, deferred, limits, spent.in_day(now, limits), in_flight, current)


def _newest(
    client: InfluxClient, entries: list[Entry], now: datetime
) -> dict[tuple[str, str, str], datetime]:
    """The newest stored bar of every (bucket, symbol, interval): one request per bucket."""
    newest = {}
    for bucket in sorted({entry.bucket for entry in entries}):
        for (symbol, interval), time in bar_times.newest_times(
            client, bucket, since=now - NEWEST_LOOKBACK
        ).items():
            newest[bucket, symbol, interval] = time
    return newest


def _due(entry: Entry, newest: dict[tuple[str, str, str], datetime], now: datetime) -> bool:
    last = newest.get((entry.bucket, entry.symbol, entry.interval))
    return sessions(entry.exchange).bar_due(last, entry.interval, now)


def mark_requested(
    client: InfluxClient, meta_bucket: str, entries: list[Entry], requester: str
) -> None:
    """Record that fetch was asked for `entries` now, for the next tick to leave them alone."""
    now = datetime.now(UTC)
    fetch_requests.record(client, meta_bucket, (e.key for e in entries), requester, now)


def fan_out(session: requests.Session, sink: str, plan: TickPlan, tick_time: str) -> list[str]:
    """Send one `io.stocksmanager.fetch.requested` per requested stock; their stable ids."""
    ids = []
    for entry in plan.requested:
        event_id = stable_id(FETCH_REQUESTED, entry.symbol, entry.interval, tick_time)
        send(
            session,
            sink,
            new_event(
                FETCH_REQUESTED, "watchlist", entry.as_dict(), event_id, subject=entry.symbol
            ),
        )
        ids.append(event_id)
    return ids
