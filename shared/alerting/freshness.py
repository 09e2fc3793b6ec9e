"""How fresh an entry's data is, and the stale-data rule: from the exchange calendar, never
from the clock alone.

The session a bar belongs to is its date where the exchange is. The first session after the
newest bar's is the first one missing; once its close plus the deadline has passed, the data is
stale since that moment, and stays stale (one alert) until a newer bar arrives. Weekends and
holidays have no session, so they are never missing; an early close moves the deadline with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from shared.alerting.firing import Firing, day
from shared.alerting.rules import Rule
from shared.contract.timefmt import rfc3339

DEFAULT_DEADLINE = pd.Timedelta(minutes=90)
"""How long after a session's close its bar may take to arrive before the data counts stale."""


class Sessions(Protocol):
    """What freshness needs of an exchange calendar (`shared.market.calendar`)."""

    tz: Any

    def next_sessions(self, after_date: pd.Timestamp, n: int) -> Any: ...

    def open_close(self, date: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]: ...

    def last_closed_session(self, now: pd.Timestamp) -> pd.Timestamp | None: ...


@dataclass(frozen=True)
class Freshness:
    """An entry's data as of a session: fresh, or stale since a deadline passed."""

    as_of: pd.Timestamp | None
    """The session (a naive date) of the newest bar; None without one."""
    missing: pd.Timestamp | None
    """The first session after it, whose bar is awaited."""
    deadline: pd.Timestamp | None
    """When that session's bar is due (UTC): its close plus the deadline."""
    now: pd.Timestamp

    @property
    def stale(self) -> bool:
        return self.deadline is not None and self.now >= self.deadline

    @property
    def state(self) -> str:
        if self.as_of is None:
            return "no data"
        return "stale" if self.stale else "fresh"

    def as_dict(self) -> dict[str, Any]:
        """For the page: `as_of` date, `state`, `stale_since` (RFC 3339) or the next `due`."""
        return {
            "as_of": day(self.as_of) if self.as_of is not None else None,
            "state": self.state,
            "stale_since": rfc3339(self.deadline) if self.stale else None,
            "missing": day(self.missing) if self.stale and self.missing is not None else None,
            "due": rfc3339(self.deadline) if not self.stale else None,
        }


def session_of(bar_time: pd.Timestamp, interval: str, tz: Any) -> pd.Timestamp:
    """The session (naive date) a bar belongs to: a daily bar's own date (stamped 00:00 UTC), an
    intraday bar's date where the exchange is."""
    moment = pd.Timestamp(bar_time)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    if interval == "daily":
        return moment.tz_convert("UTC").tz_localize(None).normalize()
    return moment.tz_convert(tz).tz_localize(None).normalize()


def freshness(
    calendar: Sessions,
    newest_bar: pd.Timestamp | None,
    interval: str,
    now: pd.Timestamp,
    deadline: pd.Timedelta = DEFAULT_DEADLINE,
    watching_since: pd.Timestamp | None = None,
) -> Freshness:
    """How fresh the data is at `now`, its newest bar at `newest_bar` (None: no bar yet).

    Without a bar, `watching_since` (a rule's creation) starts the wait: the first session that
    closes after it is the first one missing.
    """
    if newest_bar is not None:
        as_of: pd.Timestamp | None = session_of(newest_bar, interval, calendar.tz)
        after = as_of
    elif watching_since is not None:
        as_of = None
        after = calendar.last_closed_session(pd.Timestamp(watching_since))
    else:
        return Freshness(None, None, None, now)
    if after is None:
        return Freshness(as_of, None, None, now)
    upcoming = list(calendar.next_sessions(pd.Timestamp(after), 1))
    if not upcoming:  # past the calendar's table: nothing can be said
        return Freshness(as_of, None, None, now)
    missing = pd.Timestamp(upcoming[0])
    close = calendar.open_close(missing)[1]
    return Freshness(as_of, missing, close + deadline, now)


def stale_firing(rule: Rule, fresh: Freshness, tz: Any) -> Firing | None:
    """The stale-data alert a rule fires, or None while the data is fresh.

    Its identity is the first missing session's deadline: while the data stays stale, every
    check finds the same alert; a newer bar re-arms the rule.
    """
    if not fresh.stale or fresh.deadline is None or fresh.missing is None:
        return None
    local = fresh.deadline.tz_convert(tz)
    minutes = int(rule.threshold or DEFAULT_DEADLINE.total_seconds() / 60)
    newest = f"the newest is of {day(fresh.as_of)}" if fresh.as_of is not None else "none yet"
    message = (
        f"{rule.symbol} ({rule.interval}) is stale: no bar for the session of "
        f"{day(fresh.missing)} by {local.strftime('%H:%M %Z')} ({minutes} minutes after its "
        f"close); {newest}."
    )
    return Firing(rule, fresh.deadline, None, message)
