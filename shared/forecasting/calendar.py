"""Bar calendars: the timestamps that follow a history, recent training windows, model time axes.

Daily bars sit at 00:00 UTC of trading days. Intraday bars start on a grid from 09:30 to 16:00
America/New_York on trading days; the grid is laid out in New York time, so DST is handled.
Trading days are NYSE's (`shared.market.trading_days`).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

from shared.contract.schema import DAILY
from shared.market.session import (
    MARKET_TZ,
    SESSION,
    SESSION_MINUTES,
    SESSION_OPEN,
    bar_minutes,
    bars_per_session,
)
from shared.market.trading_days import trading_day

__all__ = [
    "DAILY",
    "MARKET_TZ",
    "bar_minutes",
    "bars_per_session",
    "future_times",
    "model_times",
    "off_grid",
    "sessions",
    "training_window",
]

AXIS_ORIGIN = pd.Timestamp("2000-01-03")  # a Monday: day 0 of the trading-time axis
DAILY_WINDOW = 1260  # bars: five years of trading days
INTRADAY_WINDOW = 800  # bars, rounded up to whole trading days ...
INTRADAY_DAYS = (3, 60)  # ... but never fewer or more trading days than these


@cache
def _trading_days() -> np.busdaycalendar:
    return np.busdaycalendar(holidays=trading_day().holidays)


def future_times(last: pd.Timestamp, interval: str, horizon: int) -> pd.DatetimeIndex:
    """The `horizon` bar timestamps after `last` (UTC, named "time").

    Daily: the next trading days at 00:00 UTC. Intraday: the session grid continued after the
    last bar, skipping nights, weekends and holidays.
    """
    if interval == DAILY:
        start = last.tz_convert("UTC").normalize() + trading_day()
        return pd.date_range(start, periods=horizon, freq=trading_day(), name="time")
    per_day = bars_per_session(interval)
    first_day = pd.Timestamp(last.tz_convert(MARKET_TZ).date())
    days = pd.date_range(first_day, periods=horizon // per_day + 2, freq=trading_day())
    slots = SESSION_OPEN + pd.to_timedelta(np.arange(per_day) * bar_minutes(interval), unit="min")
    wall = pd.DatetimeIndex((days.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel())
    times = wall.tz_localize(MARKET_TZ).tz_convert("UTC")
    return times[times > last][:horizon].rename("time")


def training_window(series: pd.Series, interval: str, horizon: int) -> pd.Series:
    """The recent part of `series` a model is fitted on, at least four horizons long.

    Daily: the last five years of bars. Intraday: the last whole trading days holding about
    800 bars, between 3 and 60 days.
    """
    if interval == DAILY:
        return series.iloc[-max(DAILY_WINDOW, 4 * horizon) :]
    wanted = math.ceil(max(INTRADAY_WINDOW, 4 * horizon) / bars_per_session(interval))
    days = min(max(wanted, INTRADAY_DAYS[0]), INTRADAY_DAYS[1])
    dates = series.index.tz_convert(MARKET_TZ).normalize()
    first = dates.unique()[-days:][0]
    return series[dates >= first]


def model_times(times: pd.DatetimeIndex, interval: str) -> pd.DatetimeIndex:
    """Naive timestamps for a model that needs them (Prophet).

    Daily: UTC wall time. Intraday: a gap-free trading-time axis on which each session lasts one
    day (09:30 is the start of a day, 16:00 its end) and trading days follow each other with no
    nights, weekends or holidays between them, so a period of 1 day is the intraday pattern.
    """
    if interval == DAILY:
        return times.tz_convert("UTC").tz_localize(None)
    wall = times.tz_convert(MARKET_TZ).tz_localize(None)
    dates = wall.normalize()
    day = np.busday_count(
        AXIS_ORIGIN.date(), dates.to_numpy().astype("datetime64[D]"), busdaycal=_trading_days()
    )
    fraction = (wall - dates - SESSION_OPEN) / SESSION
    return AXIS_ORIGIN + pd.to_timedelta(day + fraction.to_numpy(), unit="D")


def off_grid(times: pd.DatetimeIndex, interval: str) -> pd.DatetimeIndex:
    """The intraday `times` that start no bar of the session grid on a NYSE trading day.

    The grid: a bar every `interval` from 09:30 up to (not including) 16:00 New York time.
    """
    wall = times.tz_convert(MARKET_TZ).tz_localize(None)
    dates = wall.normalize()
    minutes = ((wall - dates - SESSION_OPEN) / pd.Timedelta(minutes=1)).to_numpy()
    trading = np.is_busday(dates.to_numpy().astype("datetime64[D]"), busdaycal=_trading_days())
    in_session = (minutes >= 0) & (minutes < SESSION_MINUTES)
    return times[~(trading & in_session & (minutes % bar_minutes(interval) == 0))]


def sessions(times: pd.DatetimeIndex) -> int:
    """How many distinct New York trading dates `times` covers."""
    return times.tz_convert(MARKET_TZ).normalize().nunique()
