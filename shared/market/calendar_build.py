"""Builds the exchanges' session table (`calendar_sessions.json`) from exchange_calendars.

`make calendars` runs this module; `shared.market.calendar` loads its output, and asks `table`
again (importing exchange_calendars then, once per process) only for a date outside the committed
years. The table keeps per exchange what a session lookup needs and nothing else: the regular
hours of each era, the weekdays that are no session (holidays, one-off closures), sessions on a
weekend (if any) and the sessions whose hours differ from their era's (early closes, late opens).
"""

from __future__ import annotations

import json
import sys
from datetime import date, time
from typing import Any

import numpy as np
import pandas as pd

from shared.contract.schema import EXCHANGES
from shared.market.session_table import PATH

YEARS = (1990, 2035)


def table(mic: str, first: date, last: date) -> dict[str, Any]:
    """The sessions of `mic` from `first` to `last`, as stored in the JSON table."""
    import exchange_calendars  # costs about a second of CPU: only here, never at import

    source = exchange_calendars.get_calendar(mic, start=first.isoformat(), end=last.isoformat())
    schedule = source.schedule
    tz = str(source.tz)
    days = schedule.index.to_numpy().astype("datetime64[D]")
    opens = _local_minutes(schedule["open"], tz)
    closes = _local_minutes(schedule["close"], tz)
    eras = _eras(source.open_times, source.close_times, first)
    era_of = np.searchsorted(np.array([e[0] for e in eras], dtype="datetime64[D]"), days, "right")
    regular_open = np.array([_minutes(e[1]) for e in eras])[era_of - 1]
    regular_close = np.array([_minutes(e[2]) for e in eras])[era_of - 1]
    special = (opens != regular_open) | (closes != regular_close)
    calendar_days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    weekdays = np.is_busday(calendar_days, weekmask=source.weekmask)
    is_session = np.isin(calendar_days, days)
    return {
        "tz": tz,
        "weekmask": source.weekmask,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "hours": [[str(day), _clock(o), _clock(c)] for day, o, c in eras],
        "holidays": [str(d) for d in calendar_days[weekdays & ~is_session]],
        "weekend_sessions": [str(d) for d in calendar_days[~weekdays & is_session]],
        "special_hours": {
            str(d): [_clock(o), _clock(c)]
            for d, o, c in zip(days[special], opens[special], closes[special], strict=True)
        },
    }


def build(first_year: int = YEARS[0], last_year: int = YEARS[1]) -> dict[str, Any]:
    """Every supported exchange's table over whole years, with its provenance."""
    import exchange_calendars

    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    return {
        "source": f"exchange_calendars {exchange_calendars.__version__}",
        "exchanges": {mic: table(mic, first, last) for mic in EXCHANGES},
    }


def dumps(built: dict[str, Any]) -> str:
    """The table as committed: one date per line, so a changed holiday is a one-line diff."""
    return json.dumps(built, indent=1, sort_keys=True) + "\n"


def _eras(
    open_times: tuple[tuple[date | None, time], ...],
    close_times: tuple[tuple[date | None, time], ...],
    first: date,
) -> list[tuple[np.datetime64, int, int]]:
    """(from date, regular open, regular close) in local minutes, one row per change of hours."""
    changes = sorted({_start(d, first) for d, _ in (*open_times, *close_times)})
    return [
        (np.datetime64(day), _minutes(_at(open_times, day)), _minutes(_at(close_times, day)))
        for day in changes
    ]


def _start(day: date | pd.Timestamp | None, first: date) -> date:
    return first if day is None else max(first, pd.Timestamp(day).date())


def _at(times: tuple[tuple[date | None, time], ...], day: date) -> time:
    """The time in force on `day` in exchange_calendars' (from date or None, time) list."""
    current = times[0][1]
    for start, value in times:
        if start is None or pd.Timestamp(start).date() <= day:
            current = value
    return current


def _local_minutes(times: pd.Series, tz: str) -> np.ndarray:
    """Minutes after local midnight of the session's date, for UTC timestamps."""
    local = pd.DatetimeIndex(times).tz_convert(tz)
    return np.asarray(local.hour * 60 + local.minute)


def _minutes(value: time | int | np.integer) -> int:
    return int(value) if not isinstance(value, time) else value.hour * 60 + value.minute


def _clock(minutes: int | np.integer) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def main() -> None:
    """Write the committed table (`make calendars`)."""
    PATH.write_text(dumps(build()))
    print(f"wrote {PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
