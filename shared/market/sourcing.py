"""Where a fetch gets corporate actions: the provider's own rows, or Alpha Vantage when it is due.

Tiingo's rows and the demo carry their splits and dividends, so actions cost no extra request
and are as fresh as the bars. Alpha Vantage's bars carry none: its SPLITS and DIVIDENDS (two
requests, spent from the budget like any) are listed when a check is due (`actions_due`):

- on a symbol's first fetch, or when it was never listed;
- when the new bars (with the newest stored one before them) show an overnight move near a usual
  split ratio that no stored split explains;
- when the last listing is `MAX_AGE` (30 days) old;
- for a symbol that pays at regular intervals, when the new bars reach a week before its next
  expected ex-date (dividends are declared weeks ahead, so it is stored before it goes ex) and
  again the day after it (if it was declared late), unless a listing already covered that day.

So a dividend Alpha Vantage lists is stored within 30 days at most, and for a regular payer
before or on the day of its ex-date; the cost is two requests a listing, at most about three
listings a month for a quarterly payer. Bars matter more than actions: when a listing is refused
(a limit, a premium-only answer) the bars are still returned, with no actions, and the next fetch
tries again. Everything is checked at the provider boundary (`shared.market.providers.rows`),
listed actions included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from shared.contract.errors import StocksError
from shared.contract.schema import DAILY
from shared.market.actions import combine, suspected_splits
from shared.market.providers.base import Provider
from shared.market.providers.rows import Dropped, check_actions


class ActionLister(Protocol):
    """A source that lists every action of a symbol on request (Alpha Vantage's)."""

    requests_per_symbol: int

    def actions(self, symbol: str) -> pd.DataFrame:
        """Every action listed for `symbol`, read but not checked."""
        ...


MAX_AGE = pd.Timedelta(days=30)
"""The longest a symbol's listed actions go unchecked (Alpha Vantage)."""
AHEAD = pd.Timedelta(days=7)
"""How long before a regular payer's next expected ex-date its actions are listed again."""
CADENCE_DIVIDENDS = 4
"""How many of the latest dividends give a payer's interval."""


LISTED_APART = frozenset({"alphavantage"})
"""Providers whose bars carry no corporate actions: those are listed apart, when due."""


@dataclass(frozen=True)
class Sourced:
    """New bars, the actions to store with them, what was dropped, the provider requests made,
    and the listing made (its count of actions) when actions were listed apart."""

    bars: pd.DataFrame
    actions: pd.DataFrame
    requests: int
    dropped: Dropped = field(default_factory=Dropped)
    listed: int | None = None


@dataclass(frozen=True)
class LastListing:
    """When a symbol's actions were last listed, and the newest bar that listing covered."""

    time: pd.Timestamp
    as_of: pd.Timestamp | None


def bars_and_actions(
    provider: Provider,
    symbol: str,
    interval: str,
    *,
    since: pd.Timestamp | None = None,
    month: str | None = None,
    newest_stored: pd.DataFrame | None = None,
    lister: ActionLister | None = None,
    last_listing: LastListing | None = None,
    dividend_dates: pd.DatetimeIndex | None = None,
) -> Sourced:
    """The provider's checked bars after `since` and the checked actions worth storing with them.

    `newest_stored` is the newest stored bar (with its open and close), so the move into the first
    new bar is judged too and a dividend on it is checked against its close; `lister` lists
    actions for providers whose rows carry none, when `actions_due` says so from the
    `last_listing` and the stored `dividend_dates`.
    """
    checked = provider.checked(symbol, interval, since=since, month=month, before=newest_stored)
    bars, dropped = checked.bars, checked.dropped
    if lister is None or interval != DAILY or bars.empty:
        return Sourced(bars, checked.actions, 1, dropped)
    now = pd.Timestamp.now(tz="UTC")
    if actions_due(since, bars, newest_stored, last_listing, dividend_dates, now) is None:
        return Sourced(bars, checked.actions, 1, dropped)
    try:
        listed = lister.actions(symbol)
    except StocksError:
        return Sourced(bars, checked.actions, 1 + lister.requests_per_symbol, dropped)
    actions, dropped_actions = check_actions(listed, now, bars, newest_stored)
    return Sourced(
        bars,
        combine(checked.actions, actions),
        1 + lister.requests_per_symbol,
        dropped + dropped_actions,
        listed=len(actions),
    )


def actions_due(
    since: pd.Timestamp | None,
    bars: pd.DataFrame,
    newest_stored: pd.DataFrame | None,
    last_listing: LastListing | None,
    dividend_dates: pd.DatetimeIndex | None,
    now: pd.Timestamp,
) -> str | None:
    """Why a symbol's actions are to be listed with these new `bars`, or None when not yet."""
    if since is None:
        return "the symbol's first fetch"
    if last_listing is None:
        return "its actions were never listed"
    if _looks_split(bars, newest_stored):
        return "an overnight move looks like a split"
    if now - last_listing.time >= MAX_AGE:
        return f"the last listing is {MAX_AGE.days} days old"
    expected = expected_ex_date(dividend_dates)
    if expected is not None and len(bars):
        covered = last_listing.as_of if last_listing.as_of is not None else since
        for moment in (expected - AHEAD, expected + pd.Timedelta(days=1)):
            if covered < moment <= bars.index.max():
                return f"a dividend is expected around {expected:%Y-%m-%d}"
    return None


def expected_ex_date(dividend_dates: pd.DatetimeIndex | None) -> pd.Timestamp | None:
    """The next ex-date of a regular payer: its last one plus its usual interval (the median of
    its last few), when that interval is from about a month to about a year."""
    if dividend_dates is None or len(dividend_dates) < 2:
        return None
    dates = dividend_dates.sort_values()[-(CADENCE_DIVIDENDS + 1) :]
    gap = pd.Series(dates[1:] - dates[:-1]).median()
    if not pd.Timedelta(days=25) <= gap <= pd.Timedelta(days=400):
        return None
    return dates[-1] + gap


def _looks_split(bars: pd.DataFrame, newest_stored: pd.DataFrame | None) -> bool:
    """Whether an overnight move into or within `bars` is near a usual split ratio."""
    if newest_stored is not None and len(newest_stored):
        bars = pd.concat([newest_stored[["open", "close"]], bars[["open", "close"]]])
    return bool(suspected_splits(bars))
