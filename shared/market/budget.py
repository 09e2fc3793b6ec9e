"""Provider request budgets: each provider's published limits, what is spent, and a tick's plan.

Limits are per day, per hour and per month of distinct symbols (Tiingo counts a symbol once a
month however often it is asked for). Where a provider does not say how it counts, windows are
read conservatively: Tiingo's hour and day as the last 60 minutes and 24 hours; Alpha Vantage's
day runs from 00:00 UTC, when it says its limit resets. A plan places each symbol, in priority
order, at the first moment from the tick on when every window has room (a request leaves a
rolling window an hour or a day after it was made), no sooner than the provider's least spacing
after the previous one, and defers what cannot start before the next tick.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from shared.contract.config import ProviderSettings
from shared.contract.timefmt import in_utc

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Limits:
    """How many requests a provider allows; None is unlimited."""

    per_day: int | None = None
    per_hour: int | None = None
    symbols_per_month: int | None = None
    spacing_seconds: float = 0.0  # least time between two requests
    rolling_day: bool = False  # the day is the last 24 hours, not the UTC date


PUBLISHED = {
    # Tiingo's free plan as published in 2025-26
    "tiingo": Limits(
        per_day=1000, per_hour=50, symbols_per_month=500, spacing_seconds=1.0, rolling_day=True
    ),
    # Alpha Vantage's free keys: 25 a day, reset at midnight UTC, about one a second at most
    "alphavantage": Limits(per_day=25, spacing_seconds=1.2),
    "demo": Limits(),
}


def limits_for(settings: ProviderSettings) -> Limits:
    """The configured provider's limits: counts from the settings (whose defaults are the
    published ones; None is unlimited), windows and spacing as the provider publishes them."""
    return replace(
        PUBLISHED.get(settings.name, Limits()),
        per_day=settings.daily_limit,
        per_hour=settings.hourly_limit,
        symbols_per_month=settings.monthly_symbols,
    )


@dataclass(frozen=True)
class Spent:
    """Requests already made: their times over the last day, and this month's symbols."""

    times: tuple[datetime, ...] = ()
    symbols_this_month: frozenset[str] = frozenset()

    @classmethod
    def from_requests(cls, requests: Iterable[tuple[datetime, str]], now: datetime) -> Spent:
        """What the `requests` (time, symbol) made up to `now` spent."""
        now = in_utc(now)
        month_start = month_of(now)
        times, symbols = [], set()
        for made, symbol in requests:
            made = in_utc(made)
            if made > now:
                continue
            if made > now - DAY:
                times.append(made)
            if made >= month_start:
                symbols.add(symbol)
        return cls(tuple(sorted(times)), frozenset(symbols))

    def in_hour(self, now: datetime) -> int:
        """Requests within the hour before `now`."""
        return sum(now - HOUR < t <= now for t in self.times)

    def in_day(self, now: datetime, limits: Limits) -> int:
        """Requests within `limits`' day up to `now`."""
        if limits.rolling_day:
            return sum(now - DAY < t <= now for t in self.times)
        return sum(_midnight(now) <= t <= now for t in self.times)


def metered(limits: Limits) -> bool:
    """Whether any count is limited: without one, no request needs counting (the demo)."""
    return any(n is not None for n in (limits.per_day, limits.per_hour, limits.symbols_per_month))


def admits(limits: Limits, spent: Spent, now: datetime, symbol: str, cost: int = 1) -> bool:
    """Whether `cost` more requests for `symbol` fit every window at `now`, after `spent`."""
    now = in_utc(now)
    return (
        not _month_full(limits, spent, symbol)
        and _room_at(now, sorted(spent.times), limits, cost) is None
    )


def retry_after(limits: Limits, spent: Spent, now: datetime, symbol: str, cost: int = 1) -> int:
    """Whole seconds (at least 1) until `cost` more requests for `symbol` fit: until enough
    requests leave a rolling window, midnight UTC for a calendar day, the next month for a
    month's symbols (a count larger than a limit waits for the next day)."""
    now = in_utc(now)
    if _month_full(limits, spent, symbol):
        at = month_of(month_of(now) + 32 * DAY)
    else:
        at = _earliest(now, sorted(spent.times), limits, cost) or _midnight(now) + DAY
    return max(1, math.ceil((at - now).total_seconds()))


def _month_full(limits: Limits, spent: Spent, symbol: str) -> bool:
    month = spent.symbols_this_month
    limit = limits.symbols_per_month
    return limit is not None and symbol not in month and len(month) >= limit


@dataclass(frozen=True)
class Slot:
    """One planned request: which symbol, how many seconds after the tick, at what cost."""

    symbol: str
    offset_seconds: float
    cost: int = 1


@dataclass(frozen=True)
class Plan:
    """What a tick asks for, when, and what waits for a later tick."""

    slots: list[Slot]
    deferred: list[str]

    @property
    def symbols(self) -> list[str]:
        return [slot.symbol for slot in self.slots]


def plan(
    symbols: Sequence[str],
    limits: Limits,
    spent: Spent,
    now: datetime,
    *,
    horizon_seconds: float = 0.0,
    costs: Mapping[str, int] | None = None,
) -> Plan:
    """Place `symbols` (priority first) at the earliest moments the limits allow.

    A slot that must wait for a window to free may start up to `horizon_seconds` after `now`
    (the time until the next tick); a symbol that cannot start by then is deferred. `costs` gives
    the requests a symbol's refresh takes when more than one (bars plus actions from a provider
    that lists them apart).
    """
    now = in_utc(now)
    made = sorted(spent.times)  # stays sorted: every slot is placed after the previous one
    month = set(spent.symbols_this_month)
    last = now + timedelta(seconds=horizon_seconds)
    slots: list[Slot] = []
    deferred: list[str] = []
    start = now
    for symbol in symbols:
        cost = (costs or {}).get(symbol, 1)
        full = limits.symbols_per_month is not None and len(month) >= limits.symbols_per_month
        at = None if symbol not in month and full else _earliest(start, made, limits, cost)
        if at is None or (at > start and at > last):
            deferred.append(symbol)
            continue
        slots.append(Slot(symbol, (at - now).total_seconds(), cost))
        made.extend([at] * cost)
        month.add(symbol)
        start = at + timedelta(seconds=limits.spacing_seconds * cost)
    return Plan(slots, deferred)


def _earliest(start: datetime, made: list[datetime], limits: Limits, cost: int) -> datetime | None:
    """The first moment from `start` at which `cost` more requests fit every window."""
    at = start
    for _ in range(len(made) + 2):  # each step lets at least one request leave a window
        later = _room_at(at, made, limits, cost)
        if later is None:
            return at
        if later == NEVER:
            return None
        at = later
    return None


def _room_at(at: datetime, made: list[datetime], limits: Limits, cost: int) -> datetime | None:
    """None when `cost` requests fit at `at`; else the next moment worth trying.

    `made` is sorted, so each window is a slice found by bisection: a rolling window holds the
    requests after its start, a calendar day those from its midnight on.
    """
    end = bisect_right(made, at)
    day_first = (
        bisect_right(made, at - DAY) if limits.rolling_day else bisect_left(made, _midnight(at))
    )
    for limit, first, span in (
        (limits.per_hour, bisect_right(made, at - HOUR), HOUR),
        (limits.per_day, day_first, DAY if limits.rolling_day else None),
    ):
        if limit is None or end - first + cost <= limit:
            continue
        if cost > limit:
            return NEVER
        if span is None:
            return _midnight(at) + DAY  # a calendar day's count resets at midnight UTC
        return made[first + (end - first + cost - limit) - 1] + span  # enough have left by then
    return None


def month_of(moment: datetime) -> datetime:
    """Midnight UTC of the first day of `moment`'s month (UTC)."""
    return _midnight(moment).replace(day=1)


def _midnight(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s date (UTC), as a plain datetime (a pandas Timestamp's
    nanoseconds are dropped with its time of day)."""
    return datetime.combine(in_utc(moment).date(), time(), UTC)
