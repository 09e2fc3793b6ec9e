"""Exchange calendars: the committed session table against exchange_calendars, and its API."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import exchange_calendars
import pandas as pd
import pytest

from shared.contract.errors import BadInput, Unprocessable
from shared.market import calendar, calendar_build, exchanges
from shared.market.calendar import ExchangeCalendar
from shared.market.exchanges import exchange_of
from shared.market.session_table import committed

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
    stored = committed()["exchanges"]["XNYS"]
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


def test_bar_starts_follow_each_sessions_hours() -> None:
    days = pd.DatetimeIndex(["2025-11-26", "2025-11-28"])
    starts = calendar_of("XNYS").bar_starts(days, 60).tz_convert("America/New_York")
    assert list(starts.strftime("%d %H:%M")) == [
        *(f"26 {h:02d}:30" for h in range(9, 16)),
        *(f"28 {h:02d}:30" for h in range(9, 13)),  # 12:30 is a shorter last bar
    ]


def test_outside_the_table_a_weekend_end_of_year_is_no_session_and_hours_are_looked_up() -> None:
    nyse = ExchangeCalendar("XNYS", committed()["exchanges"]["XNYS"])
    assert not nyse.is_session(pd.Timestamp("2039-12-31"))  # a Saturday, past every session
    found, opens, _ = nyse.hours(pd.DatetimeIndex(["1987-10-19", "1987-10-18"]))
    assert list(found) == [True, False]  # Black Monday traded; the Sunday before did not
    assert opens[0] == pd.Timestamp("1987-10-19 13:30", tz="UTC") and opens[1] is pd.NaT
    fresh = ExchangeCalendar("XNYS", committed()["exchanges"]["XNYS"])
    numbers = fresh.session_number(pd.DatetimeIndex(["1987-10-19"]))
    assert numbers[0] < -3_000  # about 12 years of sessions before 2000
    fresh = ExchangeCalendar("XNYS", committed()["exchanges"]["XNYS"])
    assert fresh.previous_session(pd.Timestamp("1990-01-02")) == pd.Timestamp("1989-12-29")


def test_session_numbers_count_the_sessions_since_2000() -> None:
    nyse = calendar_of("XNYS")
    days = pd.DatetimeIndex(["2000-01-03", "2000-01-04", "1999-12-31", "2000-01-10"])
    assert list(nyse.session_number(days)) == [0, 1, -1, 5]
    assert len(nyse.session_number(pd.DatetimeIndex([]))) == 0


def test_hours_reach_the_table_s_last_session_and_take_no_dates() -> None:
    nyse = calendar_of("XNYS")
    found, opens, closes = nyse.hours(pd.DatetimeIndex(["2035-12-31"]))  # the table's last day
    assert list(found) == [True] and closes[0] == pd.Timestamp("2035-12-31 21:00", tz="UTC")
    regular_open, length = nyse.regular_hours(pd.DatetimeIndex(["2035-12-31"]))
    assert (list(regular_open), list(length)) == ([570], [390])
    found, opens, closes = nyse.hours(pd.DatetimeIndex([]))
    assert len(found) == len(opens) == len(closes) == 0
    assert len(nyse.regular_hours(pd.DatetimeIndex([]))[0]) == 0


def test_a_moment_s_date_on_an_exchange_is_its_local_date() -> None:
    late = pd.DatetimeIndex(["2026-11-25 01:30", "2026-11-24 23:30"], tz="UTC")
    assert list(calendar_of("XNYS").date_of(late)) == [
        pd.Timestamp("2026-11-24"),
        pd.Timestamp("2026-11-24"),
    ]
    assert list(calendar_of("XETR").date_of(late)) == [
        pd.Timestamp("2026-11-25"),
        pd.Timestamp("2026-11-25"),
    ]


def test_a_naive_now_is_utc() -> None:
    nyse = calendar_of("XNYS")
    for now in ("2026-11-25 21:00", "2026-11-25 20:59"):
        assert nyse.last_closed_session(pd.Timestamp(now)) == nyse.last_closed_session(
            pd.Timestamp(now, tz="UTC")
        )


def test_eras_of_regular_hours_apply_from_their_first_day() -> None:
    stored = {
        "tz": "America/New_York",
        "first": "2026-01-01",
        "last": "2026-12-31",
        "weekmask": "1111110",  # Monday to Saturday
        "holidays": [],
        "weekend_sessions": ["2026-06-07"],
        "hours": [["1990-01-01", "09:30", "16:00"], ["2026-06-01", "10:00", "15:00"]],
        "special_hours": {"2026-06-02": ["10:00", "13:00"]},
    }
    exchange = ExchangeCalendar("XNYS", stored)
    days = pd.DatetimeIndex(["2026-05-29", "2026-06-01", "2026-06-02", "2026-06-07"])
    regular_open, length = exchange.regular_hours(days)
    assert list(regular_open) == [570, 600, 600, 600] and list(length) == [390, 300, 300, 300]
    found, opens, closes = exchange.hours(days)
    assert found.all()  # a Sunday listed as a session is one
    assert exchange.is_session(pd.Timestamp("2026-06-13"))  # a Saturday, by the weekmask
    assert not exchange.is_session(pd.Timestamp("2026-06-14"))
    assert [t.strftime("%H:%M") for t in opens.tz_convert("America/New_York")] == [
        "09:30",
        "10:00",
        "10:00",
        "10:00",
    ]
    assert [t.strftime("%H:%M") for t in closes.tz_convert("America/New_York")] == [
        "16:00",
        "15:00",
        "13:00",
        "15:00",
    ]
    assert exchange.regular_minutes() == 300


def test_intraday_is_refused_on_an_exchange_without_it_in_a_sentence() -> None:
    with pytest.raises(Unprocessable) as raised:
        exchanges.check_intraday("5min", "XLON")
    assert raised.value.message.endswith("not on XLON: track or fetch it daily.")
    assert "US listings only (XNYS, XNAS: " in raised.value.message
