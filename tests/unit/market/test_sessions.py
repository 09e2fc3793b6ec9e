"""Sessions a date at a time (`shared.market.sessions`): equal to the calendar, and bars due."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from shared.contract.errors import BadInput
from shared.contract.schema import EXCHANGES
from shared.market.calendar import calendar
from shared.market.session_table import committed
from shared.market.sessions import SessionDays, sessions

NEW_YORK = ZoneInfo("America/New_York")


def fresh(mic: str) -> SessionDays:
    """An exchange's sessions read anew (`sessions` keeps one per process: a test that changed
    how they are read would otherwise be answered by the one read before)."""
    return SessionDays(mic, committed()["exchanges"][mic])


def new_york(wall: str) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=NEW_YORK)


def utc_day(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize("mic", EXCHANGES)
def test_every_date_of_the_table_trades_and_opens_as_the_calendar_says(mic):
    days, frames = fresh(mic), calendar(mic)
    first, last = date(1990, 1, 1), date(2035, 12, 31)
    every_day = pd.date_range(first, last)
    found, opens, closes = frames.hours(every_day)
    for day, trades, opened, closed in zip(every_day, found, opens, closes, strict=True):
        assert days.is_session(day.date()) == trades, f"{mic} {day:%Y-%m-%d}"
        if trades:
            assert days.open_close(day.date()) == (opened, closed), f"{mic} {day:%Y-%m-%d}"


@pytest.mark.parametrize("mic", EXCHANGES)
def test_the_last_closed_session_at_each_close_and_just_before_it_is_the_calendars(mic):
    days, frames = fresh(mic), calendar(mic)
    dates = frames.sessions(pd.Timestamp("2023-12-01"), pd.Timestamp("2026-12-31"))
    special = [pd.Timestamp(day) for day in committed()["exchanges"][mic]["special_hours"]]
    dates = dates.union(pd.DatetimeIndex(special))
    _, _, closes = frames.hours(dates)
    for close in closes:
        for moment in (close, close - pd.Timedelta(seconds=1), close + pd.Timedelta(hours=9)):
            expected = frames.last_closed_session(moment)
            assert days.last_closed_session(moment.to_pydatetime()) == expected.date(), moment


def test_a_naive_moment_is_utc_and_its_own_date_is_the_exchanges():
    xetra = fresh("XETR")
    # 16:30 UTC on 2025-11-28 is Xetra's close (17:30 in Frankfurt)
    assert xetra.last_closed_session(datetime(2025, 11, 28, 16, 30)) == date(2025, 11, 28)
    assert xetra.last_closed_session(datetime(2025, 11, 28, 16, 29)) == date(2025, 11, 27)


def test_a_daily_bar_is_due_once_a_session_has_closed_after_the_newest():
    nyse = fresh("XNYS")
    newest = utc_day("2025-11-26")  # daily bars: 00:00 UTC of the session
    assert not nyse.bar_due(newest, "daily", new_york("2025-11-28 12:59"))  # Thanksgiving between
    assert nyse.bar_due(newest, "daily", new_york("2025-11-28 13:00"))  # the early close
    friday = utc_day("2025-11-28")
    assert not nyse.bar_due(friday, "daily", new_york("2025-12-01 15:59"))  # a weekend, then open
    assert nyse.bar_due(friday, "daily", new_york("2025-12-01 16:00"))
    assert nyse.bar_due(None, "daily", new_york("2025-12-01 03:00"))  # nothing stored yet
    christmas_eve = utc_day("2025-12-24")
    boxing_day_evening = datetime(2025, 12, 26, 22, tzinfo=ZoneInfo("Europe/London"))
    assert not fresh("XLON").bar_due(christmas_eve, "daily", boxing_day_evening)
    assert nyse.bar_due(christmas_eve, "daily", boxing_day_evening)  # 17:00 in New York


def test_intraday_bars_are_due_once_a_session_has_closed_after_the_newest():
    nyse = fresh("XNYS")
    last_before_early_close = new_york("2025-11-28 12:55")
    assert not nyse.bar_due(last_before_early_close, "5min", new_york("2025-11-28 15:00"))
    assert not nyse.bar_due(last_before_early_close, "5min", new_york("2025-12-01 15:59"))
    assert nyse.bar_due(last_before_early_close, "5min", new_york("2025-12-01 16:00"))
    assert nyse.bar_due(new_york("2025-11-28 12:00"), "5min", new_york("2025-11-29 12:00"))
    assert nyse.bar_due(new_york("2025-11-28 12:00"), "60min", new_york("2025-11-29 12:00"))
    # 60-minute bars of 9:30 to 13:00 start at 12:30 last (a shorter last bar counts)
    assert not nyse.bar_due(new_york("2025-11-28 12:30"), "60min", new_york("2025-11-29 12:00"))
    assert nyse.bar_due(new_york("2025-11-28 12:29"), "60min", new_york("2025-11-29 12:00"))
    assert not nyse.bar_due(new_york("2025-12-01 10:00"), "5min", new_york("2025-12-01 15:00"))


def test_the_last_closed_session_before_the_tables_first_is_the_calendars():
    new_years_day = datetime(1990, 1, 1, 12, tzinfo=UTC)  # a holiday, the table's first date
    assert fresh("XNYS").last_closed_session(new_years_day) == date(1989, 12, 29)
    assert not fresh("XNYS").bar_due(utc_day("1989-12-29"), "daily", new_years_day)
    assert fresh("XNYS").bar_due(utc_day("1989-12-28"), "daily", new_years_day)


def test_a_date_outside_the_table_is_asked_of_the_calendar():
    nyse = fresh("XNYS")
    assert nyse.is_session(date(1987, 10, 19))  # Black Monday traded
    assert not nyse.is_session(date(1987, 10, 18))  # a Sunday
    assert nyse.open_close(date(2036, 1, 2)) == (
        datetime(2036, 1, 2, 14, 30, tzinfo=UTC),
        datetime(2036, 1, 2, 21, tzinfo=UTC),
    )
    friday = datetime(2036, 1, 4, 21, tzinfo=UTC)
    assert nyse.last_closed_session(friday + timedelta(hours=30)) == date(2036, 1, 4)


def test_a_date_that_does_not_trade_has_no_hours():
    with pytest.raises(ValueError, match="no session of XNYS"):
        fresh("XNYS").open_close(date(2025, 11, 27))


def test_dates_within_the_table_never_ask_the_calendar(monkeypatch):
    def refused(mic):
        raise AssertionError(f"{mic}: the calendar was asked")

    monkeypatch.setattr("shared.market.sessions._calendar", refused)
    nyse = fresh("XNYS")
    assert not nyse.is_session(date(1990, 1, 1)) and nyse.is_session(date(2035, 12, 31))
    assert nyse.open_close(date(2035, 12, 31))[1] == datetime(2035, 12, 31, 21, tzinfo=UTC)
    assert nyse.open_close(date(1990, 1, 2))[0] == datetime(1990, 1, 2, 14, 30, tzinfo=UTC)
    new_years_eve = datetime(2035, 12, 31, 23, tzinfo=UTC)
    assert nyse.last_closed_session(new_years_eve) == date(2035, 12, 31)
    assert nyse.last_closed_session(datetime(1990, 1, 2, 21, tzinfo=UTC)) == date(1990, 1, 2)
    easter_monday = datetime(2025, 4, 21, 12, tzinfo=UTC)  # back over a weekend and Good Friday
    assert nyse.last_closed_session(easter_monday) == date(2025, 4, 17)


def test_an_unsupported_exchange_is_refused():
    with pytest.raises(BadInput):
        sessions("XTKS")


def test_asking_loads_neither_pandas_nor_numpy():
    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from shared.market.sessions import sessions\n"
        "from shared.contract.schema import EXCHANGES\n"
        "now = datetime.now(UTC)\n"
        "for mic in EXCHANGES:\n"
        "    sessions(mic).bar_due(datetime(2025, 1, 2, tzinfo=UTC), 'daily', now)\n"
        "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_one_exchanges_sessions_are_read_once_a_process():
    assert sessions("XNYS") is sessions("XNYS")
    assert repr(sessions("XNYS")) == "SessionDays('XNYS')"


def test_a_weekend_session_trades_at_its_eras_hours():
    stored = {**committed()["exchanges"]["XNYS"], "weekend_sessions": ["2025-11-29"]}
    days = SessionDays("XNYS", stored)
    assert days.is_session(date(2025, 11, 29)) and not days.is_session(date(2025, 11, 30))
    assert days.open_close(date(2025, 11, 29)) == (
        datetime(2025, 11, 29, 14, 30, tzinfo=UTC),
        datetime(2025, 11, 29, 21, tzinfo=UTC),
    )
    assert days.last_closed_session(datetime(2025, 11, 30, tzinfo=UTC)) == date(2025, 11, 29)


def test_an_eras_hours_apply_from_its_first_day():
    later = [["1990-01-01", "09:30", "16:00"], ["2025-12-01", "10:00", "16:00"]]
    days = SessionDays("XNYS", {**committed()["exchanges"]["XNYS"], "hours": later})
    assert days.open_close(date(2025, 12, 1))[0] == datetime(2025, 12, 1, 15, tzinfo=UTC)
    assert days.open_close(date(2025, 11, 26))[0] == datetime(2025, 11, 26, 14, 30, tzinfo=UTC)
