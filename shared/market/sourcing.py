"""Where a fetch gets corporate actions: the provider's own rows, or Alpha Vantage when it is due.

Tiingo's rows and the demo carry their splits and dividends, so actions cost no extra request.
Alpha Vantage's bars carry none: its SPLITS and DIVIDENDS (two requests) are asked only when a
symbol's history is first fetched, and when the new bars (with the newest stored one before them)
show an overnight move near a usual split ratio that no stored split explains. Bars matter more
than actions: when that listing is refused (a limit, a premium-only answer) the bars are still
returned, with no actions, and the requests spent are still counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pandas as pd

from shared.contract.errors import StocksError
from shared.contract.schema import DAILY
from shared.market.actions import empty_actions, suspected_splits
from shared.market.providers.base import Provider


@runtime_checkable
class WithActions(Protocol):
    """A provider whose bars come with the actions of the same days."""

    def bars_and_actions(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]: ...


class ActionLister(Protocol):
    """A source that lists every action of a symbol on request (Alpha Vantage's)."""

    requests_per_symbol: int

    def actions(self, symbol: str) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Sourced:
    """New bars, the actions to store with them, and the provider requests they took."""

    bars: pd.DataFrame
    actions: pd.DataFrame
    requests: int


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
    """The provider's bars after `since` and the actions worth storing with them.

    `newest_stored` is the newest stored bar (with its close), so the move into the first new
    bar is judged too; `lister` lists actions for providers whose rows carry none.
    """
    if isinstance(provider, WithActions):
        bars, actions = provider.bars_and_actions(symbol, interval, since=since, month=month)
        return Sourced(bars, actions, 1)
    bars = provider.bars(symbol, interval, since=since, month=month)
    if lister is None or interval != DAILY or bars.empty:
        return Sourced(bars, empty_actions(), 1)
    if since is None or _looks_split(bars, newest_stored):
        try:
            listed = lister.actions(symbol)
        except StocksError:
            listed = empty_actions()
        return Sourced(bars, listed, 1 + lister.requests_per_symbol)
    return Sourced(bars, empty_actions(), 1)


def _looks_split(bars: pd.DataFrame, newest_stored: pd.DataFrame | None) -> bool:
    """Whether an overnight move into or within `bars` is near a usual split ratio."""
    if newest_stored is not None and len(newest_stored):
        bars = pd.concat([newest_stored[["open", "close"]], bars[["open", "close"]]])
    return bool(suspected_splits(bars))
