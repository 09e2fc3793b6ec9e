"""The offline demo provider: deterministic, realistic, stable as time passes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from shared.contract.errors import Unprocessable
from shared.market import listings
from shared.market.calendar import calendar
from shared.market.providers.demo import ORIGIN, DemoProvider
from tests.support.fakes.alphavantage import assert_bars

NOW = pd.Timestamp("2026-11-04 17:05", tz="UTC")  # a Wednesday, 12:05 in New York (EST)
LATER = pd.Timestamp("2028-02-15 12:00", tz="UTC")
INTERVALS = ["1min", "5min", "15min", "30min", "60min"]


def demo(now: pd.Timestamp = NOW) -> DemoProvider:
    return DemoProvider(now=lambda: now)


def assert_consistent(frame: pd.DataFrame) -> None:
    """low <= open, close <= high, positive prices, non-negative integer volume."""
    assert (frame[["open", "high", "low", "close"]] > 0).all(axis=None)
    assert (frame.low <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame.high >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame.volume >= 0).all()


def new_york(frame: pd.DataFrame) -> pd.DatetimeIndex:
    return frame.index.tz_convert("America/New_York")


@pytest.mark.parametrize("interval", ["daily", *INTERVALS])
def test_the_same_symbol_always_gives_the_same_bars(interval):
    first = demo().bars("IBM", interval)
    assert_bars(first)
    assert not first.empty
    pd.testing.assert_frame_equal(first, demo().bars("IBM", interval))
    other = demo().bars("MSFT", interval)
    assert not np.allclose(first.close.to_numpy()[:50], other.close.to_numpy()[:50])


def test_daily_bars_are_every_trading_day_from_the_origin_to_today():
    frame = demo().bars("IBM", "daily")
    assert_consistent(frame)
    weekdays = pd.bdate_range(ORIGIN, NOW.tz_localize(None).normalize(), tz="UTC")
    holidays = pd.DatetimeIndex(["2016-01-01", "2024-07-04", "2025-11-27", "2025-12-25"], tz="UTC")
    assert frame.index.isin(weekdays).all() and not frame.index.isin(holidays).any()
    assert len(frame.loc["2024"]) == 252  # NYSE's count of 2024


def test_daily_bars_do_not_depend_on_the_day_they_are_asked_for():
    today, later = demo(NOW).bars("IBM", "daily"), demo(LATER).bars("IBM", "daily")
    assert len(later) > len(today)
    pd.testing.assert_frame_equal(today, later.loc[: today.index[-1]])


def test_daily_walk_moves_like_a_stock():
    close = demo().bars("IBM", "daily").close
    returns = np.log(close).diff().dropna()
    assert 0.003 < returns.std() < 0.04  # daily volatility between ~5% and ~60% a year
    assert close.nunique() > 0.9 * len(close)


@pytest.mark.parametrize("interval", INTERVALS)
def test_intraday_bars_are_market_hours_of_business_days_in_utc(interval):
    frame = demo().bars("IBM", interval, month="2026-10")
    assert_bars(frame)
    assert_consistent(frame)
    local = new_york(frame)
    minutes = local.hour * 60 + local.minute
    assert (minutes >= 9 * 60 + 30).all() and (minutes < 16 * 60).all()
    assert (local.day_of_week < 5).all()
    assert set(local.normalize().day) == {d.day for d in pd.bdate_range("2026-10-01", "2026-10-31")}
    per_day = -(-390 // int(interval.removesuffix("min")))
    assert (pd.Series(local.date).value_counts() == per_day).all()


def test_intraday_bars_skip_thanksgiving():
    local = new_york(demo().bars("IBM", "60min", month="2025-11"))
    assert pd.Timestamp("2025-11-27").date() not in set(local.date)
    assert pd.Timestamp("2025-11-28").date() in set(local.date)


def test_intraday_opening_bell_is_1330_utc_in_summer_and_1430_in_winter():
    summer = demo().bars("IBM", "30min", month="2026-07")
    winter = demo().bars("IBM", "30min", since=pd.Timestamp("2026-11-02", tz="UTC"))
    assert summer.index[0] == pd.Timestamp("2026-07-01 13:30", tz="UTC")
    assert winter.index[0] == pd.Timestamp("2026-11-02 14:30", tz="UTC")


def test_intraday_days_continue_the_daily_bar_of_that_day():
    daily = demo().bars("IBM", "daily").loc["2026-10-01":"2026-10-31"]
    minutes = demo().bars("IBM", "1min", month="2026-10")
    by_day = minutes.groupby(new_york(minutes).date)
    assert len(by_day) == len(daily)
    for (day, bars), (stamp, bar) in zip(by_day, daily.iterrows(), strict=True):
        assert day == stamp.date()
        assert bars.open.iloc[0] == bar.open and bars.close.iloc[-1] == bar.close
        assert bars.high.max() <= bar.high and bars.low.min() >= bar.low
        assert 0.95 * bar.volume <= bars.volume.sum() <= bar.volume


def test_coarser_intervals_aggregate_the_minutes():
    minutes = demo().bars("IBM", "1min", month="2026-09")
    hours = demo().bars("IBM", "60min", month="2026-09")
    first_hour = minutes.loc[hours.index[0] : hours.index[1] - pd.Timedelta(minutes=1)]
    assert len(first_hour) == 60
    assert hours.iloc[0].to_dict() == {
        "open": first_hour.open.iloc[0], "high": first_hour.high.max(),
        "low": first_hour.low.min(), "close": first_hour.close.iloc[-1],
        "volume": first_hour.volume.sum(),
    }  # fmt: skip


def test_intraday_without_month_is_the_last_30_days_up_to_now():
    frame = demo().bars("IBM", "5min")
    assert frame.index[-1] <= NOW
    assert frame.index[-1] > NOW - pd.Timedelta(minutes=10)  # today's session so far
    assert new_york(frame)[0].date() >= (NOW - pd.Timedelta(days=29)).date()
    assert new_york(frame)[0].date() <= (NOW - pd.Timedelta(days=27)).date()


def test_intraday_bars_do_not_depend_on_the_day_or_range_asked():
    month = demo(NOW).bars("IBM", "1min", month="2026-10")
    pd.testing.assert_frame_equal(month, demo(LATER).bars("IBM", "1min", month="2026-10"))
    one_day = demo(pd.Timestamp("2026-10-14 21:00", tz="UTC")).bars(
        "IBM", "1min", since=pd.Timestamp("2026-10-14", tz="UTC")
    )
    pd.testing.assert_frame_equal(one_day, month.loc["2026-10-14"])


@pytest.mark.parametrize("interval", ["daily", "15min"])
def test_since_keeps_only_later_bars(interval):
    cut = pd.Timestamp("2026-10-20 15:00", tz="UTC")
    everything = demo().bars("IBM", interval, month=None)
    after = demo().bars("IBM", interval, since=cut)
    assert (after.index > cut).all()
    pd.testing.assert_frame_equal(after, everything[everything.index > cut])


def test_months_outside_the_series_are_empty():
    for month in ("2015-06", "2027-01"):
        frame = demo().bars("IBM", "1min", month=month)
        assert frame.empty
        assert_bars(frame)


def test_a_month_of_daily_bars_is_refused():
    with pytest.raises(Unprocessable):
        demo().bars("IBM", "daily", month="2026-10")


@pytest.mark.parametrize("symbol", ["ZZZZQ", "SYN", "DEMO0", "DEMO1000", "DEMO01", "BP"])
@pytest.mark.parametrize("interval", ["daily", "5min"])
def test_a_symbol_outside_the_universe_is_refused_naming_known_ones(symbol, interval):
    with pytest.raises(Unprocessable, match=r"no symbol .*IBM, AAPL.* or DEMO1 to DEMO999"):
        demo().bars(symbol, interval)
    with pytest.raises(Unprocessable, match="no symbol"):
        demo().actions(symbol)


def test_the_refusal_counts_the_known_listings_it_does_not_name():
    with pytest.raises(Unprocessable) as caught:
        demo().bars("ZZZZQ", "daily")
    named, more = re.search(r"serves (.*) \(and (\d+) more\)", caught.value.message).groups()
    assert len(named.split(", ")) + int(more) == len(listings.REAL)


@pytest.mark.parametrize("symbol", [*listings.REAL, "DEMO1", "DEMO999"])
def test_every_known_listing_has_daily_bars_on_its_exchanges_sessions(symbol):
    frame = demo().bars(symbol, "daily", since=pd.Timestamp("2025-11-01", tz="UTC"))
    assert_bars(frame)
    assert_consistent(frame)
    exchange = calendar(listings.exchange(symbol))
    sessions = exchange.sessions(pd.Timestamp("2025-11-02"), exchange.last_closed_session(NOW))
    pd.testing.assert_index_equal(frame.index.tz_localize(None), sessions, check_names=False)


def test_london_trades_on_thanksgiving_and_new_york_on_boxing_day():
    london = demo(LATER).bars("BP.LON", "daily").index.tz_localize(None)
    new_york_days = demo(LATER).bars("IBM", "daily").index.tz_localize(None)
    thanksgiving, boxing_day = pd.Timestamp("2025-11-27"), pd.Timestamp("2025-12-26")
    assert thanksgiving in london and thanksgiving not in new_york_days
    assert boxing_day in new_york_days and boxing_day not in london
    assert pd.Timestamp("2025-01-09") not in new_york_days  # a one-off closure


def test_no_daily_bar_stands_for_a_session_that_has_not_closed():
    close = pd.Timestamp("2026-11-04 16:00", tz="America/New_York")
    before = demo(close - pd.Timedelta(minutes=1)).bars("IBM", "daily")
    after = demo(close).bars("IBM", "daily")
    assert before.index[-1] == pd.Timestamp("2026-11-03", tz="UTC")
    assert after.index[-1] == pd.Timestamp("2026-11-04", tz="UTC")
    xetra_close = pd.Timestamp("2026-11-04 17:30", tz="Europe/Berlin")
    assert demo(xetra_close).bars("SAP.DEX", "daily").index[-1] == pd.Timestamp(
        "2026-11-04", tz="UTC"
    )


def test_intraday_bars_stop_at_an_early_close():
    frame = demo(LATER).bars("IBM", "5min", month="2025-11")
    day = new_york(frame)[
        new_york(frame).normalize() == pd.Timestamp("2025-11-28", tz="America/New_York")
    ]
    assert day[0] == pd.Timestamp("2025-11-28 09:30", tz="America/New_York")
    assert day[-1] == pd.Timestamp("2025-11-28 12:55", tz="America/New_York")
    assert len(day) == 42
    daily = demo(LATER).bars("IBM", "daily").loc["2025-11-28"]
    one_day = frame[new_york(frame).normalize() == day[0].normalize()]
    assert one_day.close.iloc[-1] == daily.close


def test_intraday_of_a_listing_outside_the_us_is_refused():
    with pytest.raises(Unprocessable, match="US listings only"):
        demo().bars("SAP.DEX", "5min")


def test_synthetic_stocks_are_named_as_such():
    assert listings.name("DEMO42") == "Demo stock 42 (synthetic)"
    assert listings.exchange("DEMO42") == "XNYS"
    assert listings.name("IBM") == "International Business Machines Corporation"
    assert listings.name("ZZZZQ") is None


def test_a_session_s_minutes_join_move_in_small_steps_and_trade_most_at_open_and_close():
    """Each minute opens at the one before's close; no minute spans a fifth of its day's range
    (a bridge that misses the day's open or close, or leaves its range, jumps); volume is
    busiest in the first and last half hours."""
    daily = demo().bars("IBM", "daily").loc["2026-10-01":"2026-10-31"]
    minutes = demo().bars("IBM", "1min", month="2026-10")
    local = new_york(minutes)
    for (_, bars), (_, bar) in zip(minutes.groupby(local.date), daily.iterrows(), strict=True):
        np.testing.assert_array_equal(bars.open.to_numpy()[1:], bars.close.to_numpy()[:-1])
        assert ((bars.high - bars.low) / (bar.high - bar.low)).max() < 0.2
    half_hours = minutes.volume.groupby((local.hour * 60 + local.minute - 570) // 30).sum()
    assert len(half_hours) == 13
    assert min(half_hours.iloc[0], half_hours.iloc[-1]) > 2 * half_hours.iloc[6]


def test_a_month_with_an_early_close_has_every_session_s_bars():
    """November 2025: 19 sessions, one of them closing at 13:00 (sessions of each length are
    drawn apart and joined)."""
    frame = demo(LATER).bars("IBM", "5min", month="2025-11")
    local = new_york(frame)
    per_day = pd.Series(local.date).value_counts()
    assert len(per_day) == 19
    assert (per_day.drop(pd.Timestamp("2025-11-28").date()) == 78).all()
    assert frame.index.is_monotonic_increasing


@pytest.mark.parametrize("symbol", ["NVDA", "AAPL"])
def test_split_adjusted_bars_are_one_walk_across_the_splits(symbol):
    """Raw bars before a split are the walk times its ratio and the volume divided by it, so
    the adjusted bars keep a day's high within 50% of its low and the volume steady across."""
    from shared.market.actions import adjusted

    checked = demo().checked(symbol, "daily")
    bars = adjusted(checked.bars, checked.actions)
    assert (bars.high / bars.low).max() < 1.5
    for day in checked.actions.index[checked.actions["kind"] == "split"]:
        at = bars.index.get_loc(day)
        before, after = (
            bars.volume.iloc[at - 20 : at].median(),
            bars.volume.iloc[at : at + 20].median(),
        )
        assert 1 / 3 < after / before < 3


def test_the_demo_s_bars_are_the_same_in_every_release():
    """The walk by value: stored demo bars and those made after an upgrade must join, so any
    change to the walk's draws or constants is deliberate (and updates these figures).
    Checked through sums of whole series (prices to 4 decimals; a rounding a platform might
    flip changes a sum by 1e-4)."""
    expected = {
        ("IBM", "daily", None): (2725, 65173.7939, 66563.0919, 63833.3127, 65195.682, 29234933344),
        ("NVDA", "daily", None): (
            2725, 11687675.0186, 11841660.7439, 11538699.5698, 11690667.5191, 7130755027,
        ),
        ("IBM", "1min", "2025-11"): (
            7230, 303262.7326, 303464.5787, 303059.5719, 303261.3115, 201716170,
        ),
    }  # fmt: skip
    for (symbol, interval, month), (rows, *sums) in expected.items():
        frame = demo().bars(symbol, interval, month=month)
        assert len(frame) == rows
        found = [float(frame[column].sum()) for column in ("open", "high", "low", "close")]
        assert found == pytest.approx(sums[:4], abs=5e-4)
        assert int(frame.volume.sum()) == pytest.approx(sums[4], abs=10)
    assert demo().bars("IBM", "daily").loc["2026-10-01"].to_dict() == pytest.approx(
        {"open": 39.8064, "high": 40.086, "low": 39.6655, "close": 40.0503, "volume": 11145229}
    )
    first_minutes = demo().bars("IBM", "1min", month="2025-11").iloc[:2]
    assert first_minutes.to_dict("list") == {
        "open": [41.4873, 41.4774], "high": [41.5435, 41.5186], "low": [41.4707, 41.4206],
        "close": [41.4774, 41.4618], "volume": [54148, 54563],
    }  # fmt: skip
    paid = demo().actions("KO")["amount"].dropna()
    assert (len(paid), round(paid.sum(), 2)) == (43, 81.18)
    assert ((paid * 100).round(6) % 1 == 0).all()  # whole cents
