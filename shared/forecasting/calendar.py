"""Bar calendars: the timestamps that follow a history, recent training windows, model time axes.

Daily bars sit at 00:00 UTC of the exchange's sessions. Intraday bars start on a grid laid from
each session's open up to its close in the exchange's time zone: a bar every interval, so an
early close ends the grid early and DST is handled. Sessions, holidays, one-off closures and
early closes are the exchange's own (`shared.market.calendar`, built from exchange_calendars);
every function takes the exchange as an ISO MIC, New York's by default.
"""

from __future__ import annotations

import math

import pandas as pd

from shared.contract.schema import DAILY
from shared.market.calendar import DEFAULT_EXCHANGE, calendar

__all__ = [
    "DAILY",
    "DEFAULT_EXCHANGE",
    "bar_minutes",
    "bars_per_session",
    "future_times",
    "model_times",
    "off_grid",
    "sessions",
    "training_window",
]

AXIS_ORIGIN = pd.Timestamp("2000-01-03")  # day 0 of the trading-time axis (XNYS's first session)
DAILY_WINDOW = 1260  # bars: five years of trading days
INTRADAY_WINDOW = 800  # bars, rounded up to whole trading days ...
INTRADAY_DAYS = (3, 60)  # ... but never fewer or more trading days than these


def bar_minutes(interval: str) -> int:
    """Minutes between intraday bars ('5min' -> 5)."""
    return int(interval.removesuffix("min"))


def bars_per_session(interval: str, exchange: str = DEFAULT_EXCHANGE) -> int:
    """Intraday bars in one regular session of the exchange (a last, shorter bar counts)."""
    return math.ceil(calendar(exchange).regular_minutes() / bar_minutes(interval))


def future_times(
    last: pd.Timestamp, interval: str, horizon: int, exchange: str = DEFAULT_EXCHANGE
) -> pd.DatetimeIndex:
    """The `horizon` bar timestamps after `last` (UTC, named "time").

    Daily: the next sessions at 00:00 UTC. Intraday: the session grid continued after the last
    bar, skipping nights, weekends, holidays and the time after an early close.
    """
    sessions = calendar(exchange)
    if interval == DAILY:
        day = last.tz_convert("UTC").tz_localize(None).normalize()
        return sessions.next_sessions(day, horizon).tz_localize("UTC").rename("time")
    step = bar_minutes(interval)
    first_day = sessions.date_of(pd.DatetimeIndex([last]))[0]
    count = horizon // bars_per_session(interval, exchange) + 2
    while True:  # an early close holds fewer bars: widen until the horizon fits
        days = sessions.sessions(first_day, first_day).append(
            sessions.next_sessions(first_day, count)
        )
        times = sessions.bar_starts(days, step)
        times = times[times > last]
        if len(times) >= horizon:
            return times[:horizon].rename("time")
        count *= 2


def training_window(
    series: pd.Series, interval: str, horizon: int, exchange: str = DEFAULT_EXCHANGE
) -> pd.Series:
    """The recent part of `series` a model is fitted on, at least four horizons long.

    Daily: the last five years of bars. Intraday: the last whole sessions holding about 800
    bars, between 3 and 60 sessions.
    """
    if interval == DAILY:
        return series.iloc[-max(DAILY_WINDOW, 4 * horizon) :]
    wanted = math.ceil(max(INTRADAY_WINDOW, 4 * horizon) / bars_per_session(interval, exchange))
    days = min(max(wanted, INTRADAY_DAYS[0]), INTRADAY_DAYS[1])
    dates = calendar(exchange).date_of(series.index)
    first = dates.unique()[-days:][0]
    return series[dates >= first]


def model_times(
    times: pd.DatetimeIndex, interval: str, exchange: str = DEFAULT_EXCHANGE
) -> pd.DatetimeIndex:
    """Naive timestamps for a model that needs them (Prophet).

    Daily: UTC wall time. Intraday: a gap-free trading-time axis on which each session lasts one
    day (the regular open is the start of a day, the regular close its end; an early close just
    ends its day early) and sessions follow each other with no nights, weekends or holidays
    between them, so a period of 1 day is the intraday pattern.
    """
    if interval == DAILY:
        return times.tz_convert("UTC").tz_localize(None)
    sessions = calendar(exchange)
    wall = times.tz_convert(sessions.tz).tz_localize(None)
    dates = wall.normalize()
    day = sessions.session_number(dates)
    regular_open, length = sessions.regular_hours(dates)
    minutes = ((wall - dates) / pd.Timedelta(minutes=1)).to_numpy()
    fraction = (minutes - regular_open) / length
    return AXIS_ORIGIN + pd.to_timedelta(day + fraction, unit="D")


def off_grid(
    times: pd.DatetimeIndex, interval: str, exchange: str = DEFAULT_EXCHANGE
) -> pd.DatetimeIndex:
    """The intraday `times` that start no bar of the session grid of the exchange.

    The grid: a bar every `interval` from each session's open up to (not including) its close.
    """
    sessions = calendar(exchange)
    found, opens, closes = sessions.hours(sessions.date_of(times))
    moment = times.tz_convert("UTC").as_unit("ns").asi8
    since_open = moment - opens.as_unit("ns").asi8
    before_close = moment < closes.as_unit("ns").asi8
    step = bar_minutes(interval) * 60 * 10**9
    on_grid = found & (since_open >= 0) & before_close & (since_open % step == 0)
    return times[~on_grid]


def sessions(times: pd.DatetimeIndex, exchange: str = DEFAULT_EXCHANGE) -> int:
    """How many distinct session dates of the exchange `times` covers."""
    return calendar(exchange).date_of(times).nunique()
