"""Future bar timestamps, training windows and the trading-time axis (no model fits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import calendar
from shared.market.calendar import calendar as market_calendar

NEW_YORK = "America/New_York"


def session_bars(first_day: str, days: int, minutes: int) -> pd.DatetimeIndex:
    """UTC starts of every intraday bar on `days` business days from `first_day`."""
    dates = pd.bdate_range(first_day, periods=days)
    slots = pd.timedelta_range(start="09:30:00", end="15:59:00", freq=f"{minutes}min")
    wall = pd.DatetimeIndex((dates.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel())
    return wall.tz_localize(NEW_YORK).tz_convert("UTC")


def test_daily_future_is_the_next_business_days_at_midnight_utc() -> None:
    friday = pd.Timestamp("2026-11-27", tz="UTC")
    times = calendar.future_times(friday, "daily", 6)
    expected = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]
    assert list(times) == [pd.Timestamp(day, tz="UTC") for day in expected]
    assert times.name == "time"


def test_daily_future_skips_thanksgiving_christmas_and_new_year() -> None:
    wednesday = pd.Timestamp("2026-11-25", tz="UTC")
    assert calendar.future_times(wednesday, "daily", 1)[0] == pd.Timestamp("2026-11-27", tz="UTC")
    times = calendar.future_times(pd.Timestamp("2026-12-23", tz="UTC"), "daily", 6)
    expected = ["2026-12-24", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-04"]
    assert list(times) == [pd.Timestamp(day, tz="UTC") for day in expected]


def test_intraday_future_skips_a_holiday_and_the_axis_has_no_gap_for_it() -> None:
    wednesday_close = pd.Timestamp("2026-11-25 15:55", tz=NEW_YORK).tz_convert("UTC")
    times = calendar.future_times(wednesday_close, "5min", 2)
    assert list(times.tz_convert(NEW_YORK).strftime("%a %d %H:%M")) == [
        "Fri 27 09:30",
        "Fri 27 09:35",
    ]
    axis = calendar.model_times(times.insert(0, wednesday_close), "5min")
    step = (axis[1] - axis[0]) / (pd.Timedelta(days=1) / 78)
    assert step == pytest.approx(1)  # Thanksgiving takes no time on the axis


def test_intraday_future_skips_the_weekend_and_follows_the_spring_dst_change() -> None:
    last = pd.Timestamp("2024-03-08 15:55", tz=NEW_YORK).tz_convert("UTC")  # Friday, EST
    times = calendar.future_times(last, "5min", 2 * 78 + 1)
    local = times.tz_convert(NEW_YORK)
    assert times[0] == pd.Timestamp("2024-03-11 13:30", tz="UTC")  # Monday 09:30 EDT
    assert list(local.normalize().unique().strftime("%a %d")) == ["Mon 11", "Tue 12", "Wed 13"]
    assert times.name == "time" and str(times.tz) == "UTC"
    assert (local.strftime("%H:%M") >= "09:30").all() and (local.strftime("%H:%M") < "16:00").all()
    assert local[77].strftime("%H:%M") == "15:55" and local[78].strftime("%H:%M") == "09:30"


def test_intraday_future_follows_the_autumn_dst_change_and_continues_a_session() -> None:
    friday_close = pd.Timestamp("2024-11-01 15:30", tz=NEW_YORK).tz_convert("UTC")  # EDT
    assert list(calendar.future_times(friday_close, "60min", 2)) == [
        pd.Timestamp("2024-11-04 14:30", tz="UTC"),  # Monday 09:30 EST
        pd.Timestamp("2024-11-04 15:30", tz="UTC"),
    ]
    mid_session = pd.Timestamp("2024-11-05 10:00", tz=NEW_YORK).tz_convert("UTC")
    assert calendar.future_times(mid_session, "15min", 1)[0] == mid_session + pd.Timedelta("15min")


def test_bars_per_session_counts_a_last_short_bar() -> None:
    assert [calendar.bars_per_session(i) for i in ("1min", "5min", "30min", "60min")] == [
        390,
        78,
        13,
        7,
    ]


def test_trading_time_axis_has_no_nights_weekends_or_dst_jumps() -> None:
    bars = session_bars("2024-03-07", 4, 30)  # Thursday to Tuesday, across the DST change
    axis = calendar.model_times(bars, "30min")
    steps = np.diff(axis.to_numpy()).astype("timedelta64[s]").astype(np.int64)
    assert set(steps) == {int(pd.Timedelta(days=1).total_seconds() / 13)}
    opens = axis[bars.tz_convert(NEW_YORK).strftime("%H:%M") == "09:30"]
    assert (opens == opens.normalize()).all()  # each session starts at a whole day


def test_daily_model_times_are_naive_utc() -> None:
    days = pd.bdate_range("2026-01-05", periods=3, tz="UTC")
    assert list(calendar.model_times(days, "daily")) == list(days.tz_localize(None))


def test_intraday_training_window_is_whole_recent_trading_days() -> None:
    bars = session_bars("2024-01-02", 40, 5)
    series = pd.Series(np.arange(len(bars), dtype=float), index=bars)
    window = calendar.training_window(series, "5min", 78)
    assert len(window) == 11 * 78  # 800 bars rounded up to whole days of 78
    assert window.index[-1] == bars[-1] and calendar.sessions(window.index) == 11
    assert len(calendar.training_window(series, "5min", 400)) == 21 * 78  # four horizons


@pytest.mark.parametrize(("horizon", "expected"), [(30, 1260), (400, 1600)])
def test_daily_training_window_is_five_years_or_four_horizons(horizon: int, expected: int) -> None:
    days = pd.bdate_range("2010-01-04", periods=3000, tz="UTC")
    series = pd.Series(np.zeros(len(days)), index=days)
    assert len(calendar.training_window(series, "daily", horizon)) == expected


def test_a_daily_forecast_made_on_2025_01_08_skips_the_day_of_mourning() -> None:
    times = calendar.future_times(pd.Timestamp("2025-01-08", tz="UTC"), "daily", 2)
    assert list(times) == [
        pd.Timestamp("2025-01-10", tz="UTC"),
        pd.Timestamp("2025-01-13", tz="UTC"),
    ]


def test_daily_futures_follow_the_exchanges_own_holidays() -> None:
    christmas_eve = pd.Timestamp("2025-12-24", tz="UTC")
    new_york = calendar.future_times(christmas_eve, "daily", 1)
    london = calendar.future_times(christmas_eve, "daily", 1, "XLON")
    assert new_york[0] == pd.Timestamp("2025-12-26", tz="UTC")
    assert london[0] == pd.Timestamp("2025-12-29", tz="UTC")  # Boxing Day is a holiday there


def test_an_intraday_forecast_made_on_an_early_close_morning_stops_at_the_close() -> None:
    morning = pd.Timestamp("2025-11-28 10:00", tz=NEW_YORK)
    times = calendar.future_times(morning.tz_convert("UTC"), "5min", 40).tz_convert(NEW_YORK)
    assert times[0] == morning + pd.Timedelta(minutes=5)
    assert times[34] == pd.Timestamp("2025-11-28 12:55", tz=NEW_YORK)
    assert times[35] == pd.Timestamp("2025-12-01 09:30", tz=NEW_YORK)
    assert times[39] == pd.Timestamp("2025-12-01 09:50", tz=NEW_YORK)


def test_bars_after_an_early_close_are_off_the_grid() -> None:
    wall = ["2025-11-28 12:55", "2025-11-28 13:00", "2025-11-28 15:55", "2025-11-26 15:55"]
    times = pd.DatetimeIndex(wall).tz_localize(NEW_YORK).tz_convert("UTC")
    strays = calendar.off_grid(times, "5min")
    assert list(strays.tz_convert(NEW_YORK).strftime("%d %H:%M")) == ["28 13:00", "28 15:55"]


def test_a_one_off_closure_is_off_the_grid_and_takes_no_room_on_the_axis() -> None:
    before = pd.Timestamp("2025-01-08 15:55", tz=NEW_YORK).tz_convert("UTC")
    after = pd.Timestamp("2025-01-10 09:30", tz=NEW_YORK).tz_convert("UTC")
    closed = pd.Timestamp("2025-01-09 10:00", tz=NEW_YORK).tz_convert("UTC")
    assert list(calendar.off_grid(pd.DatetimeIndex([before, closed, after]), "5min")) == [closed]
    axis = calendar.model_times(pd.DatetimeIndex([before, after]), "5min")
    assert (axis[1] - axis[0]) / (pd.Timedelta(days=1) / 78) == pytest.approx(1)


def test_the_grid_and_session_length_follow_the_exchange() -> None:
    assert calendar.bars_per_session("5min", "XLON") == 102  # 08:00 to 16:30
    london = pd.Timestamp("2025-12-23 16:25", tz="Europe/London").tz_convert("UTC")
    times = calendar.future_times(london, "5min", 2, "XLON").tz_convert("Europe/London")
    assert list(times.strftime("%d %H:%M")) == ["24 08:00", "24 08:05"]
    stray = pd.DatetimeIndex([pd.Timestamp("2025-12-24 12:30", tz="Europe/London")])
    assert len(calendar.off_grid(stray, "5min", "XLON")) == 1  # London closes at 12:30 that day


def test_the_intraday_training_window_counts_sessions_of_the_exchange_s_own_length() -> None:
    london = market_calendar("XLON")
    days = london.sessions(pd.Timestamp("2025-10-01"), pd.Timestamp("2025-11-28"))
    bars = london.bar_starts(days, 5)
    series = pd.Series(np.arange(len(bars), dtype=float), index=bars)
    window = calendar.training_window(series, "5min", 78, "XLON")
    assert calendar.sessions(window.index, "XLON") == 8  # 800 bars in days of 102, not of 78
    assert len(window) == 8 * 102 and window.index[-1] == bars[-1]
