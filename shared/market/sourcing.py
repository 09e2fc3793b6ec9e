"""Where a fetch gets corporate actions: the provider's own rows, or Alpha Vantage when it is due.

Tiingo's rows and the demo carry their splits and dividends, so actions cost no extra request.
Alpha Vantage's bars carry none: its SPLITS and DIVIDENDS (two requests) are asked only when a
symbol's history is first fetched, and when the new bars (with the newest stored one before them)
show an overnight move near a usual split ratio that no stored split explains. Bars matter more
than actions: when that listing is refused (a limit, a premium-only answer) the bars are still
returned, with no actions, and the requests spent are still counted. Everything is checked at the
provider boundary (`shared.market.providers.rows`), listed actions included.
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


@dataclass(frozen=True)
class Sourced:
    """New bars, the actions to store with them, what was dropped, the provider requests made."""

    bars: pd.DataFrame
    actions: pd.DataFrame
    requests: int
    dropped: Dropped = field(default_factory=Dropped)


def bars_and_actions(
    provider: Provider,
    symbol: str,
    interval: str,
    *,
    since: pd.Timestamp | None = None,
    month: str | None = None,
    newest_stored: pd.DataFrame | None = None,
    lister: ActionLister | None = None,
) -> Sourced:
    """The provider's checked bars after `since` and the checked actions worth storing with them.

    `newest_stored` is the newest stored bar (with its open and close), so the move into the first
    new bar is judged too and a dividend on it is checked against its close; `lister` lists
    actions for providers whose rows carry none.
    """
    checked = provider.checked(symbol, interval, since=since, month=month, before=newest_stored)
    bars, dropped = checked.bars, checked.dropped
    if lister is None or interval != DAILY or bars.empty:
        return Sourced(bars, checked.actions, 1, dropped)
    if since is None or _looks_split(bars, newest_stored):
        try:
            listed = lister.actions(symbol)
        except StocksError:
            return Sourced(bars, checked.actions, 1 + lister.requests_per_symbol, dropped)
        now = pd.Timestamp.now(tz="UTC")
        actions, dropped_actions = check_actions(listed, now, bars, newest_stored)
        return Sourced(
            bars,
            combine(checked.actions, actions),
            1 + lister.requests_per_symbol,
            dropped + dropped_actions,
        )
    return Sourced(bars, checked.actions, 1, dropped)


def _looks_split(bars: pd.DataFrame, newest_stored: pd.DataFrame | None) -> bool:
    """Whether an overnight move into or within `bars` is near a usual split ratio."""
    if newest_stored is not None and len(newest_stored):
        bars = pd.concat([newest_stored[["open", "close"]], bars[["open", "close"]]])
    return bool(suspected_splits(bars))
