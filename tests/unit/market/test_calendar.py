"""Exchange calendars: the committed session table against exchange_calendars, and its API."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import exchange_calendars
import pandas as pd
import pytest

from shared.contract.errors import BadInput
from shared.market import calendar, calendar_build
from shared.market.calendar import ExchangeCalendar, exchange_of

calendar_of = calendar.calendar

FIRST, LAST = "1990-01-01", "2030-12-31"


@pytest.mark.parametrize("mic", calendar.EXCHANGES)
def test_sessions_opens_and_closes_equal_exchange_calendars_from_1990_to_2030(mic: str) -> None:
    reference = exchange_calendars.get_calendar(mic, start=FIRST, end=LAST).schedule
    ours = calendar_of(mic)
    sessions = ours.sessions(pd.Timestamp(FIRST), pd.Timestamp(LAST))
    pd.testing.assert_index_equal(
        sessions, reference.index.rename(None), check_exact=True, check_freq=False
    )
    found, opens, closes = ours.hours(sessions)
    assert found.all()
    assert (opens == pd.DatetimeIndex(reference["open"])).all()
    assert (closes == pd.DatetimeIndex(reference["close"])).all()


def test_the_committed_table_is_what_make_calendars_builds_now() -> None:
    assert calendar_build.PATH.read_text() == calendar_build.dumps(calendar_build.build()), (
        "shared/market/calendar_sessions.json is stale: run `make calendars` and commit it"
    )


def test_a_change_of_regular_hours_is_an_era_not_a_run_of_special_hours() -> None:
    tokyo = calendar_build.table("XTKS", date(2024, 10, 1), date(2024, 12, 31))  # 15:30 from 11-05
    assert tokyo["hours"] == [["2024-10-01", "09:00", "15:00"], ["2024-11-05", "09:00", "15:30"]]
    assert tokyo["special_hours"] == {}
    later = calendar_build.table("XTKS", date(2024, 12, 1), date(2024, 12, 31))
    assert later["hours"] == [["2024-12-01", "09:00", "15:30"]]
    hk = calendar_build.table("XHKG", date(2011, 2, 7), date(2011, 3, 31))  # opens at 09:30 later
    assert hk["hours"] == [["2011-02-07", "10:00", "16:00"], ["2011-03-07", "09:30", "16:00"]]
    assert hk["special_hours"] == {}


def test_the_table_reads_weekends_by_the_calendar_s_own_weekmask() -> None:
    always = calendar_build.table("24/7", date(2024, 6, 1), date(2024, 6, 14))  # every day
    assert always["weekmask"] == "1111111"
    assert always["weekend_sessions"] == [] and always["holidays"] == []


def test_one_off_closures_are_no_sessions() -> None:
    nyse = calendar_of("XNYS")
    assert not nyse.is_session(pd.Timestamp("2025-01-09"))  # national day of mourning
    assert not nyse.is_session(pd.Timestamp("2018-12-05"))
    assert not nyse.is_session(pd.Timestamp("2012-10-29"))  # hurricane Sandy
    assert nyse.is_session(pd.Timestamp("2025-01-08"))
    assert list(nyse.next_sessions(pd.Timestamp("2025-01-08"), 2)) == [
        pd.Timestamp("2025-01-10"),
        pd.Timestamp("2025-01-13"),
    ]
    assert nyse.previous_session(pd.Timestamp("2025-01-10")) == pd.Timestamp("2025-01-08")


def test_an_early_close_is_the_sessions_close() -> None:
    opened, closed = calendar_of("XNYS").open_close(pd.Timestamp("2025-11-28"))
    assert opened == pd.Timestamp("2025-11-28 09:30", tz="America/New_York")
    assert closed == pd.Timestamp("2025-11-28 13:00", tz="America/New_York")
    opened, closed = calendar_of("XLON").open_close(pd.Timestamp("2025-12-24"))
    assert closed == pd.Timestamp("2025-12-24 12:30", tz="Europe/London")


def test_open_close_of_a_day_without_session_is_refused() -> None:
    with pytest.raises(ValueError, match="no session"):
        calendar_of("XNYS").open_close(pd.Timestamp("2025-11-27"))


def test_the_last_closed_session_changes_at_the_close_not_at_midnight() -> None:
    nyse = calendar_of("XNYS")
    close = pd.Timestamp("2025-11-28 13:00", tz="America/New_York")
    assert nyse.last_closed_session(close - pd.Timedelta(seconds=1)) == pd.Timestamp("2025-11-26")
    assert nyse.last_closed_session(close) == pd.Timestamp("2025-11-28")
    saturday = pd.Timestamp("2025-11-29 12:00", tz="UTC")
    assert nyse.last_closed_session(saturday) == pd.Timestamp("2025-11-28")
    before_xetra_opens = pd.Timestamp("2025-12-01 08:00", tz="Europe/Berlin")
    assert calendar_of("XETR").last_closed_session(before_xetra_opens) == pd.Timestamp("2025-11-28")


def test_a_tz_aware_date_means_the_exchanges_date_at_that_moment() -> None:
    late_evening_utc = pd.Timestamp("2025-01-09 02:00", tz="UTC")  # still 8 January in New York
    assert calendar_of("XNYS").is_session(late_evening_utc)


def test_exchanges_follow_the_symbol() -> None:
    assert exchange_of("IBM") == "XNYS"
    assert exchange_of("AAPL") == "XNAS"  # a known listing
    assert exchange_of("unknownco") == "XNYS"  # no suffix: New York
    assert exchange_of("BP.LON") == "XLON"
    assert exchange_of("ry.trt") == "XTSE"
    assert exchange_of("SAP.DEX") == "XETR"


def test_an_unsupported_exchange_is_bad_input_naming_the_supported_ones() -> None:
    with pytest.raises(BadInput, match="XNYS, XNAS, XLON, XTSE, XETR"):
        calendar_of("XTKS")


def test_dates_outside_the_table_come_from_exchange_calendars() -> None:
    stored = calendar._committed()["exchanges"]["XNYS"]
    nyse = ExchangeCalendar("XNYS", stored)
    reference = exchange_calendars.get_calendar("XNYS", start="1987-10-01", end="1987-10-31")
    sessions = nyse.sessions(pd.Timestamp("1987-10-01"), pd.Timestamp("1987-10-31"))
    pd.testing.assert_index_equal(sessions, reference.sessions.rename(None), check_freq=False)
    assert nyse.next_sessions(pd.Timestamp("2035-12-30"), 2)[-1] == pd.Timestamp("2036-01-02")


def test_looking_sessions_up_never_imports_exchange_calendars() -> None:
    code = (
        "import sys, pandas as pd\n"
        "from shared.market.calendar import EXCHANGES, calendar as calendar_of\n"
        "for mic in EXCHANGES:\n"
        "    c = calendar_of(mic)\n"
        "    c.sessions(pd.Timestamp('1990-01-01'), pd.Timestamp('2035-12-31'))\n"
        "    c.last_closed_session(pd.Timestamp.now(tz='UTC'))\n"
        "print('exchange_calendars' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def new_york(wall: str) -> pd.Timestamp:
    return pd.Timestamp(wall, tz="America/New_York")


def test_a_daily_bar_is_due_once_a_session_has_closed_after_the_newest() -> None:
    nyse = calendar_of("XNYS")
    newest = pd.Timestamp("2025-11-26", tz="UTC")  # daily bars: 00:00 UTC of the session
    assert not nyse.bar_due(newest, "daily", new_york("2025-11-28 12:59"))  # Thanksgiving between
    assert nyse.bar_due(newest, "daily", new_york("2025-11-28 13:00"))  # the early close
    friday = pd.Timestamp("2025-11-28", tz="UTC")
    assert not nyse.bar_due(friday, "daily", new_york("2025-12-01 15:59"))  # a weekend, then open
    assert nyse.bar_due(friday, "daily", new_york("2025-12-01 16:00"))
    assert nyse.bar_due(None, "daily", new_york("2025-12-01 03:00"))  # nothing stored yet
    christmas_eve = pd.Timestamp("2025-12-24", tz="UTC")
    boxing_day_evening = pd.Timestamp("2025-12-26 22:00", tz="Europe/London")  # 17:00 in New York
    assert not calendar_of("XLON").bar_due(christmas_eve, "daily", boxing_day_evening)
    assert nyse.bar_due(christmas_eve, "daily", boxing_day_evening)


def test_intraday_bars_are_due_once_a_session_has_closed_after_the_newest() -> None:
    nyse = calendar_of("XNYS")
    last_before_early_close = new_york("2025-11-28 12:55")
    assert not nyse.bar_due(last_before_early_close, "5min", new_york("2025-11-28 15:00"))
    assert not nyse.bar_due(last_before_early_close, "5min", new_york("2025-12-01 15:59"))
    assert nyse.bar_due(last_before_early_close, "5min", new_york("2025-12-01 16:00"))
    assert nyse.bar_due(new_york("2025-11-28 12:00"), "5min", new_york("2025-11-29 12:00"))
    assert nyse.bar_due(new_york("2025-11-28 12:00"), "60min", new_york("2025-11-29 12:00"))
    assert not nyse.bar_due(new_york("2025-11-28 12:30"), "60min", new_york("2025-11-29 12:00"))
    assert not nyse.bar_due(new_york("2025-12-01 10:00"), "5min", new_york("2025-12-01 15:00"))


def test_bar_starts_follow_each_sessions_hours() -> None:
    days = pd.DatetimeIndex(["2025-11-26", "2025-11-28"])
    starts = calendar_of("XNYS").bar_starts(days, 60).tz_convert("America/New_York")
    assert list(starts.strftime("%d %H:%M")) == [
        *(f"26 {h:02d}:30" for h in range(9, 16)),
        *(f"28 {h:02d}:30" for h in range(9, 13)),  # 12:30 is a shorter last bar
    ]
