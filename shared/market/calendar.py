"""Exchange calendars: each supported exchange's sessions and their open and close times.

Answers come from `calendar_sessions.json`: holidays, one-off closures, early closes and late
opens of XNYS, XNAS, XLON, XTSE and XETR for 1990 to 2035, built from exchange_calendars by
`make calendars` (`calendar_build`) and tested equal to it. Loading it costs a few milliseconds;
importing exchange_calendars costs about a second of CPU, more than pandas, so no function imports
it on start or on a hot path. A question about a date outside the table's years rebuilds that
exchange's table from exchange_calendars, once per process and over the years asked: slow once,
never wrong, and nothing in use asks (stored history starts later; forecasts look months ahead).

Dates are naive midnight `pd.Timestamp`s, the session's date where the exchange is; times are
tz-aware UTC. A tz-aware timestamp given as a date stands for the exchange's date at that moment.
`sessions` answers a date at a time from the same table without pandas (whether a bar is due);
`exchanges` which exchange a symbol trades on.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import DEFAULT_EXCHANGE, EXCHANGES
from shared.contract.validation import checked_exchange
from shared.market import calendar_build
from shared.market.session_table import committed

__all__ = ["DEFAULT_EXCHANGE", "EXCHANGES", "ExchangeCalendar", "calendar"]

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # beyond these a date is a mistake, not a question

Day = np.datetime64
MINUTE = np.timedelta64(1, "m")


@cache
def calendar(mic: str) -> ExchangeCalendar:
    """The calendar of a supported exchange (BadInput for any other)."""
    return ExchangeCalendar(checked_exchange(mic), committed()["exchanges"][mic])


@dataclass(frozen=True)
class _Table:
    """One exchange's sessions over [first, last]: dates, UTC open and close, regular hours."""

    first: Day
    last: Day
    days: np.ndarray  # datetime64[D], ascending
    opens: np.ndarray  # datetime64[ns] UTC
    closes: np.ndarray
    regular_open: np.ndarray  # minutes after local midnight of the era's regular open
    regular_length: np.ndarray  # minutes of the era's regular session

    @classmethod
    def parse(cls, stored: dict[str, Any]) -> _Table:
        first, last = Day(stored["first"], "D"), Day(stored["last"], "D")
        every_day = np.arange(first, last + 1)
        weekdays = np.is_busday(every_day, weekmask=stored["weekmask"], holidays=stored["holidays"])
        extra = np.array(stored["weekend_sessions"], dtype="datetime64[D]")
        days = np.union1d(every_day[weekdays], extra)
        eras = stored["hours"]
        starts = np.array([era[0] for era in eras], dtype="datetime64[D]")
        era = np.searchsorted(starts, days, "right") - 1
        opens = np.array([_minutes(e[1]) for e in eras])[era]
        closes = np.array([_minutes(e[2]) for e in eras])[era]
        regular_open, regular_length = opens.copy(), closes - opens
        special = stored["special_hours"]
        where = np.searchsorted(days, np.array(list(special), dtype="datetime64[D]"))
        opens[where] = [_minutes(hours[0]) for hours in special.values()]
        closes[where] = [_minutes(hours[1]) for hours in special.values()]
        return cls(
            first,
            last,
            days,
            _utc(days, opens, stored["tz"]),
            _utc(days, closes, stored["tz"]),
            regular_open,
            regular_length,
        )


class ExchangeCalendar:
    """One exchange's sessions: which dates trade, and from when to when (UTC)."""

    def __init__(self, mic: str, stored: dict[str, Any]) -> None:
        self.mic = mic
        self.tz: str = stored["tz"]
        self._table = _Table.parse(stored)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ExchangeCalendar({self.mic!r})"

    def is_session(self, date: pd.Timestamp) -> bool:
        """Whether `date` is a session (a trading day) of this exchange."""
        day = self._day(date)
        table = self._covering(day, day)
        position = np.searchsorted(table.days, day)
        return bool(position < len(table.days) and table.days[position] == day)

    def sessions(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
        """The sessions from `start` to `end`, both included."""
        first, last = self._day(start), self._day(end)
        table = self._covering(first, last)
        chosen = table.days[(table.days >= first) & (table.days <= last)]
        return _dates(chosen)

    def next_sessions(self, after: pd.Timestamp, n: int) -> pd.DatetimeIndex:
        """The `n` sessions after the date `after` (not counting it)."""
        day = self._day(after)
        table = self._covering(day, day + 2 * n + 31)  # n sessions lie within 2n + a month
        position = np.searchsorted(table.days, day, "right")
        return _dates(table.days[position : position + n])

    def previous_session(self, date: pd.Timestamp) -> pd.Timestamp:
        """The last session before the date `date` (not counting it)."""
        day = self._day(date)
        table = self._covering(day - 31, day)
        position = np.searchsorted(table.days, day) - 1
        return pd.Timestamp(table.days[position])

    def open_close(self, date: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The session's open and close (UTC); ValueError if `date` is no session."""
        day = self._day(date)
        table = self._covering(day, day)
        position = np.searchsorted(table.days, day)
        if position == len(table.days) or table.days[position] != day:
            raise ValueError(f"{day} is no session of {self.mic}")
        return _utc_stamp(table.opens[position]), _utc_stamp(table.closes[position])

    def last_closed_session(self, now: pd.Timestamp) -> pd.Timestamp | None:
        """The newest session whose close is at or before `now` (None if none is known)."""
        moment = _utc_ns(now)
        day = self._day(now)
        table = self._covering(day - 31, day)
        position = np.searchsorted(table.closes, moment, "right") - 1
        return pd.Timestamp(table.days[position]) if position >= 0 else None

    def bar_starts(self, dates: pd.DatetimeIndex, minutes: int) -> pd.DatetimeIndex:
        """The intraday bar starts of the sessions `dates` (UTC): from each session's open, one
        every `minutes` before its close (a last, shorter bar counts; early closes end early)."""
        _, opens, closes = self.hours(dates)
        start = opens.tz_convert(None).to_numpy()
        length = (closes.tz_convert(None).to_numpy() - start) // MINUTE
        counts = -(-length // minutes)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        bars = np.repeat(start, counts) + within * minutes * MINUTE
        return pd.DatetimeIndex(bars).tz_localize("UTC")

    def date_of(self, times: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The exchange's local date of each of `times` (naive midnights)."""
        return times.tz_convert(self.tz).tz_localize(None).normalize()

    def hours(
        self, dates: pd.DatetimeIndex
    ) -> tuple[np.ndarray, pd.DatetimeIndex, pd.DatetimeIndex]:
        """For naive `dates`: which are sessions, and their open and close (NaT for others)."""
        days = dates.to_numpy().astype("datetime64[D]")
        table = self._covering(days.min(), days.max()) if len(days) else self._table
        position = np.minimum(np.searchsorted(table.days, days), len(table.days) - 1)
        found = table.days[position] == days
        nat = np.datetime64("NaT", "ns")
        opens = np.where(found, table.opens[position], nat)
        closes = np.where(found, table.closes[position], nat)
        return found, _times(opens), _times(closes)

    def regular_hours(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """For session `dates`: the regular open (local minutes) and session length (minutes).

        An early close or late open keeps its era's regular hours here.
        """
        days = dates.to_numpy().astype("datetime64[D]")
        table = self._covering(days.min(), days.max()) if len(days) else self._table
        position = np.minimum(np.searchsorted(table.days, days), len(table.days) - 1)
        return table.regular_open[position], table.regular_length[position]

    def session_number(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """How many sessions come before each of `dates` since 2000-01-01 (negative before)."""
        days = dates.to_numpy().astype("datetime64[D]")
        origin = Day("2000-01-01", "D")
        low = min(days.min(), origin) if len(days) else origin
        high = max(days.max(), origin) if len(days) else origin
        table = self._covering(low, high)
        return np.searchsorted(table.days, days) - np.searchsorted(table.days, origin)

    def regular_minutes(self) -> int:
        """The length of today's era's regular session in minutes (XNYS: 390)."""
        return int(self._table.regular_length[-1])

    def _day(self, date: pd.Timestamp) -> Day:
        stamp = pd.Timestamp(date)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(self.tz).tz_localize(None)
        return Day(stamp.date(), "D")

    def _covering(self, first: Day, last: Day) -> _Table:
        """The table, extended from exchange_calendars if [first, last] is outside it."""
        table = self._table
        if table.first <= first and last <= table.last:
            return table
        low = min(int(str(first)[:4]), int(str(table.first)[:4]))
        high = max(int(str(last)[:4]), int(str(table.last)[:4]))
        if low < EARLIEST_YEAR or high > LATEST_YEAR:
            raise Unprocessable(
                f"{self.mic} sessions are known from {EARLIEST_YEAR} to {LATEST_YEAR}, "
                f"not for {first} to {last}."
            )
        with self._lock:
            if not (self._table.first <= first and last <= self._table.last):
                stored = calendar_build.table(self.mic, dt.date(low, 1, 1), dt.date(high, 12, 31))
                self._table = _Table.parse(stored)
            return self._table


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _utc(days: np.ndarray, minutes: np.ndarray, tz: str) -> np.ndarray:
    """UTC instants of local wall times `days` + `minutes` in `tz` (datetime64[ns])."""
    wall = days.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    local = pd.DatetimeIndex(wall.astype("datetime64[ns]")).tz_localize(tz)
    return local.tz_convert("UTC").tz_localize(None).to_numpy()


def _utc_ns(moment: pd.Timestamp) -> np.datetime64:
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.tz_localize(None).to_datetime64()


def _utc_stamp(value: np.datetime64) -> pd.Timestamp:
    return pd.Timestamp(value).tz_localize("UTC")


def _times(values: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(values.astype("datetime64[ns]")).tz_localize("UTC")


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))
