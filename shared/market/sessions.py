"""One exchange's sessions asked a date at a time, with no pandas or numpy: what a tick needs.

Reads the committed table (`session_table`, built by `calendar_build`) as
`shared.market.calendar` does, and answers alike (tested equal to it date by date): whether a date
trades, its open and close in UTC, the last session closed by a moment, and whether a bar newer
than the stored one is due. The calendar answers for ranges of dates as arrays and frames; this
module answers the few dates a tick asks about in microseconds, so that watchlist starts without
pandas (docs/benchmarks.md, cold start). A date outside the table's years is asked of the
calendar, which extends its table from exchange_calendars: slow once, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from shared.contract.schema import DAILY
from shared.contract.timefmt import in_utc
from shared.contract.validation import checked_exchange
from shared.market.session_table import committed


@cache
def sessions(mic: str) -> SessionDays:
    """The sessions of a supported exchange (BadInput for any other)."""
    return SessionDays(checked_exchange(mic), committed()["exchanges"][mic])


@dataclass(frozen=True)
class _Era:
    start: date
    open: time
    close: time


class SessionDays:
    """One exchange's sessions over the table's years, one date at a time."""

    def __init__(self, mic: str, stored: dict[str, Any]) -> None:
        self.mic = mic
        self.tz = ZoneInfo(stored["tz"])
        self.first = date.fromisoformat(stored["first"])
        self.last = date.fromisoformat(stored["last"])
        self._weekdays = frozenset(i for i, flag in enumerate(stored["weekmask"]) if flag == "1")
        self._holidays = frozenset(map(date.fromisoformat, stored["holidays"]))
        self._weekend_sessions = frozenset(map(date.fromisoformat, stored["weekend_sessions"]))
        self._eras = [
            _Era(date.fromisoformat(start), _clock(opens), _clock(closes))
            for start, opens, closes in stored["hours"]
        ]
        self._special = {
            date.fromisoformat(day): (_clock(opens), _clock(closes))
            for day, (opens, closes) in stored["special_hours"].items()
        }

    def __repr__(self) -> str:
        return f"SessionDays({self.mic!r})"

    def is_session(self, day: date) -> bool:
        """Whether the exchange trades on `day` (its own date)."""
        if not self.first <= day <= self.last:
            return bool(_calendar(self.mic).is_session(day))
        if day in self._weekend_sessions:
            return True
        return day.weekday() in self._weekdays and day not in self._holidays

    def open_close(self, day: date) -> tuple[datetime, datetime]:
        """The session's open and close in UTC; ValueError if `day` is no session."""
        if not self.first <= day <= self.last:
            opens, closes = _calendar(self.mic).open_close(day)
            return opens.to_pydatetime(), closes.to_pydatetime()
        if not self.is_session(day):
            raise ValueError(f"{day} is no session of {self.mic}")
        opens, closes = self._hours(day)
        return self._utc(day, opens), self._utc(day, closes)

    def last_closed_session(self, now: datetime) -> date | None:
        """The newest session whose close is at or before `now` (None if none is known); a
        naive `now` is UTC."""
        moment = in_utc(now)
        day = moment.astimezone(self.tz).date() if now.tzinfo is not None else now.date()
        while self.first <= day <= self.last:
            if self.is_session(day) and self._utc(day, self._hours(day)[1]) <= moment:
                return day
            day -= timedelta(days=1)
        closed = _calendar(self.mic).last_closed_session(now)  # before or after the table
        return None if closed is None else closed.date()

    def bar_due(self, newest: datetime | None, interval: str, now: datetime) -> bool:
        """Whether a session closed by `now` holds a bar newer than `newest` (the newest one
        stored; None: none), so that a fetch is worth a provider request. Daily: a session has
        closed after the newest bar's date (daily bars are stamped 00:00 UTC of their session's
        date). Intraday: the newest bar is older than the last bar of the last closed session;
        a session's bars are fetched once it has closed, never while it trades."""
        if newest is None:
            return True
        closed = self.last_closed_session(now)
        if closed is None:
            return False
        if interval == DAILY:
            return closed > newest.date()
        step = timedelta(minutes=int(interval.removesuffix("min")))
        opens, closes = self.open_close(closed)
        bars = -(-(closes - opens) // step)  # a last, shorter bar counts
        return in_utc(newest) < opens + (bars - 1) * step

    def _hours(self, day: date) -> tuple[time, time]:
        """A session's local open and close: its own when special, else its era's."""
        hours = self._special.get(day)
        if hours is None:
            era = next(e for e in reversed(self._eras) if e.start <= day)
            hours = era.open, era.close
        return hours

    def _utc(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self.tz).astimezone(UTC)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _calendar(mic: str) -> Any:
    """The pandas calendar, which extends its table beyond the committed years."""
    from shared.market.calendar import calendar  # pandas: only for dates outside the table

    return calendar(mic)
