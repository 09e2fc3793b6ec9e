"""What every market-data provider returns, and the checks and shaping they share."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import INTRADAY_INTERVALS, PRICE_COLUMNS, PRICES

COLUMNS = PRICE_COLUMNS
DTYPES = dict(PRICES.fields)


class Provider(Protocol):
    """A source of OHLCV bars."""

    name: str

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
