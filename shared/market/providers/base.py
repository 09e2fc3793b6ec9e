"""What every market-data provider returns, and the checks and shaping they share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import INTRADAY_INTERVALS, PRICE_COLUMNS, PRICES

if TYPE_CHECKING:
    from shared.market.providers.rows import Checked

COLUMNS = PRICE_COLUMNS
DTYPES = dict(PRICES.fields)


class Provider(Protocol):
    """A source of OHLCV bars (and of the corporate actions its answers carry).

    Every provider is a `shared.market.providers.rows.Source`: it reads its answers into rows,
    and `checked` (the provider boundary) keeps what meets the contract.
    """

    name: str

    def checked(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
        before: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    ) -> Checked:
        """`Checked` bars after `since` and the actions that came with them."""
        ...

    def bars(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> pd.DataFrame:
        """Bars of `symbol` at `interval`: a UTC `time` index, ascending, columns `COLUMNS`.

        `since` keeps only bars strictly after it; `month` (YYYY-MM) asks for that month of
        intraday history.
        """
        ...


@runtime_checkable
class NamesSymbols(Protocol):
    """A provider that can say a symbol's company name (Tiingo's metadata; one request)."""

    name: str

    def company_name(self, symbol: str) -> str | None:
        """The company name the provider gives `symbol`, or None."""
        ...


def check_request(interval: str, month: str | None) -> None:
    """Refuse what no provider can serve: a month of daily bars."""
    if month is not None and interval not in INTRADAY_INTERVALS:
        raise Unprocessable(
            f"A month of history is only available for intraday intervals, not {interval}: "
            "leave the month out for daily bars."
        )


def as_utc(moment: pd.Timestamp) -> pd.Timestamp:
    """A timestamp in UTC; a naive one is taken to be UTC already."""
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def finish(frame: pd.DataFrame, since: pd.Timestamp | None) -> pd.DataFrame:
    """Bars shaped to the contract: typed columns, unique ascending UTC `time`, after `since`.

    `frame` must already be indexed by tz-aware times.
    """
    frame = frame[list(COLUMNS)]
    if frame.dtypes.to_dict() != DTYPES:
        frame = frame.astype(DTYPES)
    frame.index = pd.DatetimeIndex(frame.index).tz_convert("UTC").as_unit("ns").rename("time")
    frame = frame.sort_index(kind="stable")
    frame = frame[~frame.index.duplicated(keep="first")]
    if since is not None:
        frame = frame[frame.index > as_utc(since)]
    return frame


def empty_bars() -> pd.DataFrame:
    """No bars, typed as bars are."""
    index = pd.DatetimeIndex([], tz="UTC", name="time").as_unit("ns")
    return pd.DataFrame({c: np.array([], dtype=t) for c, t in DTYPES.items()}, index=index)
