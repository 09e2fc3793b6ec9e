"""The scheduled fan-out: on a PingSource tick, one fetch request per tracked stock, within budget.

Alpha Vantage's free keys allow 25 requests a day. The day's spend is read from the `runs` that
fetch records, so the budget holds across processes and restarts; the oldest-refreshed stocks go
first and the rest are deferred to the next tick.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import requests

from shared.contract.events import FETCH_REQUESTED, new_event, send, stable_id
from shared.influx.client import InfluxClient
from shared.store import runs
from shared.store.watchlist import Entry

REFRESH_LOOKBACK = pd.Timedelta(days=35)
"""How far back a successful fetch still counts as the symbol's last refresh."""


@dataclass(frozen=True)
class TickPlan:
    """Which tracked stocks this tick requests and which it defers."""

    requested: list[Entry]
    deferred: list[Entry]
    daily_limit: int | None
    spent_today: int

    def summary(self, tick_time: str, event_ids: list[str]) -> dict:
        return {
            "tick": tick_time,
            "requested": [e.symbol for e in self.requested],
            "deferred": [e.symbol for e in self.deferred],
            "event_ids": event_ids,
            "daily_limit": self.daily_limit,
            "spent_today": self.spent_today,
        }


def plan_tick(
    client: InfluxClient,
    meta_bucket: str,
    entries: list[Entry],
    daily_limit: int | None,
    now: pd.Timestamp,
) -> TickPlan:
    """Order entries oldest-refreshed first and keep as many as the day's budget allows.

    A refresh is a successful fetch; the day's spend is every fetch since midnight UTC (the
    provider counts refused and failed requests too).
    """
    now = now.tz_convert("UTC")
    refreshes = runs.fetches(client, meta_bucket, now - REFRESH_LOOKBACK, ok_only=True)
    refreshed = refreshes.reset_index().groupby("symbol")["time"].max().to_dict()
    never = pd.Timestamp.min.tz_localize("UTC")
    ordered = sorted(entries, key=lambda e: (refreshed.get(e.symbol, never), e.symbol))
    spent = len(runs.fetches(client, meta_bucket, now.normalize(), ok_only=False))
    if daily_limit is None:
        return TickPlan(ordered, [], None, spent)
    remaining = max(daily_limit - spent, 0)
    return TickPlan(ordered[:remaining], ordered[remaining:], daily_limit, spent)


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
