"""Tracking and untracking stocks; a stock tracked anew is fetched at once, within the budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contract.errors import RateLimited, SinkFailed, SinkMissing, Unprocessable
from shared.contract.events import FETCH_REQUESTED, new_event, send
from shared.market import budget, listings
from shared.market.exchanges import check_intraday
from shared.runtime.services import Services
from shared.store.watchlist import Entry, Watchlist
from shared.usecases import ledger
from shared.usecases.tick import mark_requested


@dataclass(frozen=True)
class Outcome:
    """What a change did: whether anything changed, in words, and the fetch it asked for."""

    changed: bool
    entry: Entry
    message: str
    fetch: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "entry": self.entry.as_dict(),
            "message": self.message,
            "fetch": self.fetch,
        }


def label(entry: Entry) -> str:
    return f"{entry.symbol} ({entry.interval})"


def watchlist_of(services: Services) -> Watchlist:
    return Watchlist(services.influx, services.settings.meta_bucket)


def track(services: Services, entry: Entry, requester: str) -> Outcome:
    """Track the entry; when that changes anything, ask fetch for it now (budget allowing).

    With the demo provider a symbol outside its universe is refused (422) before it is tracked,
    and so is an intraday entry on an exchange no provider offers intraday bars for.
    """
    if services.settings.provider.name == "demo":
        listings.served(entry.symbol)
    check_intraday(entry.interval, entry.exchange)
    watchlist = watchlist_of(services)
    current = watchlist.find(entry.symbol, entry.interval)
    if current == entry:
        return Outcome(False, entry, f"{label(entry)} is already tracked so; nothing changed.")
    watchlist.save(entry, tracked=True)
    fetch = request_fetch(services, entry, requester, strict=False)
    verb = "Now tracking" if current is None else "Updated"
    then = "fetching it now." if fetch["requested"] else f"not fetched yet: {fetch['reason']}"
    return Outcome(True, entry, f"{verb} {label(entry)}; {then}", fetch)


def untrack(services: Services, symbol: str, interval: str) -> Outcome:
    """Stop tracking a symbol at an interval; Unprocessable when it is not tracked."""
    watchlist = watchlist_of(services)
    tracked = watchlist.tracked()
    current = next((e for e in tracked if e.key == (symbol, interval)), None)
    if current is None:
        others = [label(e) for e in tracked if e.symbol == symbol]
        hint = f" (tracked: {', '.join(others)})" if others else ""
        raise Unprocessable(f"{symbol} ({interval}) is not on the watchlist{hint}.")
    watchlist.save(current, tracked=False)
    return Outcome(True, current, f"Stopped tracking {label(current)}.")


def refresh(services: Services, symbol: str, interval: str, requester: str) -> Outcome:
    """Ask fetch for a tracked entry now; 429 when today's budget is spent."""
    entry = watchlist_of(services).find(symbol, interval)
    if entry is None:
        raise Unprocessable(f"{symbol} ({interval}) is not on the watchlist: track it first.")
    fetch = request_fetch(services, entry, requester, strict=True)
    return Outcome(False, entry, f"Asked fetch for {label(entry)}.", fetch)


def request_fetch(services: Services, entry: Entry, requester: str, strict: bool) -> dict[str, Any]:
    """Send one fetch request for the entry to K_SINK, within the provider's daily budget.

    Not strict (tracking): a request that cannot go now is reported, and the next tick sends it.
    Strict (refresh now): it raises the contract's error instead.
    """
    settings = services.settings
    limits = budget.limits_for(settings.provider)
    now = datetime.now(UTC)
    spent = ledger.spending(
        services.influx, settings.meta_bucket, settings.provider.name, limits, now
    )
    if not budget.admits(limits, spent, now, entry.symbol):
        reason = "the provider's request budget has no room now"
        if strict:
            wait = budget.retry_after(limits, spent, now, entry.symbol)
            raise RateLimited(f"{reason}; retry in {wait} s.", wait)
        return {"requested": False, "reason": f"{reason}; the next tick fetches it."}
    if not settings.k_sink:
        if strict:
            raise SinkMissing(
                "K_SINK is not set: the SinkBinding that gives this function its sink is missing."
            )
        return {
            "requested": False,
            "reason": "no event sink (K_SINK) is set; the next tick fetches it.",
        }
    data = {**entry.as_dict(), "forecast": True}  # forecast even if no bar is new (another model)
    event = new_event(FETCH_REQUESTED, requester, data, subject=entry.symbol)
    try:
        send(services.http, settings.k_sink, event)
    except SinkFailed as error:
        if strict:
            raise
        return {"requested": False, "reason": f"{error.message} The next tick fetches it."}
    mark_requested(services.influx, settings.meta_bucket, [entry], requester)
    return {"requested": True, "event_id": event["id"]}
