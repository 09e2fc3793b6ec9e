"""Request budgets: published limits, spending windows, and a tick plan that the limits accept."""

from __future__ import annotations

import pandas as pd
import pytest

from shared.contract.config import Settings
from shared.market.budget import (
    PUBLISHED,
    Limits,
    Spent,
    admits,
    limits_for,
    metered,
    plan,
    retry_after,
)
from shared.market.providers.tiingo import TiingoProvider
from tests.support.fakes.tiingo import Enforced, body

NOW = pd.Timestamp("2026-11-18 15:00", tz="UTC")
HOUR_SECONDS = 3600
SYMBOLS = [f"S{n:03d}" for n in range(200)]


def spent(*minutes_ago: float, symbols: frozenset[str] = frozenset()) -> Spent:
    times = tuple(sorted(NOW - pd.Timedelta(minutes=m) for m in minutes_ago))
    return Spent(times, symbols)


def test_a_plan_takes_symbols_in_order_while_every_limit_has_room():
    limits = Limits(per_day=10, per_hour=4, spacing_seconds=1.5)
    result = plan(["A", "B", "C", "D", "E"], limits, spent(10, 90), NOW)
    assert result.symbols == ["A", "B", "C"]  # the hour has 3 requests left
    assert result.deferred == ["D", "E"]
    assert [slot.offset_seconds for slot in result.slots] == [0.0, 1.5, 3.0]


def test_a_slot_waits_until_an_old_request_leaves_the_hour_when_the_tick_allows():
    limits = Limits(per_hour=2)
    result = plan(["A", "B", "C"], limits, spent(50, 40), NOW, horizon_seconds=25 * 60)
    assert result.symbols == ["A", "B"]
    assert [slot.offset_seconds for slot in result.slots] == [600.0, 1200.0]
    assert result.deferred == ["C"]


def test_a_calendar_day_that_is_used_up_waits_for_midnight_utc():
    limits = Limits(per_day=2)
    result = plan(["A"], limits, spent(10, 20), NOW, horizon_seconds=10 * 3600)
    assert result.slots[0].offset_seconds == 9 * 3600  # 15:00 to 00:00 UTC
    assert plan(["A"], limits, spent(10, 20), NOW, horizon_seconds=3600).deferred == ["A"]


def test_symbols_counted_this_month_stay_free_when_the_month_is_used_up():
    used = spent(symbols=frozenset({"OLD1", "OLD2"}))
    result = plan(["NEW1", "OLD1", "NEW2", "OLD2"], Limits(symbols_per_month=3), used, NOW)
    assert result.symbols == ["NEW1", "OLD1", "OLD2"]
    assert result.deferred == ["NEW2"]


def test_a_symbol_costing_several_requests_waits_for_room_for_all_of_them():
    result = plan(["A", "B", "C"], Limits(per_day=4), Spent(), NOW, costs={"A": 3, "B": 3})
    assert result.symbols == ["A", "C"] and result.deferred == ["B"]
    assert [slot.cost for slot in result.slots] == [3, 1]


def test_unlimited_providers_take_everything_at_once():
    result = plan(SYMBOLS, PUBLISHED["demo"], Spent(), NOW)
    assert result.symbols == SYMBOLS
    assert {slot.offset_seconds for slot in result.slots} == {0.0}


def test_spending_is_counted_in_each_window():
    requests = [
        (NOW - pd.Timedelta(minutes=5), "A"),
        (NOW - pd.Timedelta(minutes=59), "B"),
        (NOW - pd.Timedelta(hours=2), "A"),
        (NOW - pd.Timedelta(hours=20), "C"),  # yesterday (UTC), within 24 hours
        (NOW - pd.Timedelta(days=20), "D"),  # last month
        (NOW + pd.Timedelta(minutes=1), "E"),  # not yet made
    ]
    made = Spent.from_requests(requests, NOW)
    assert made.in_hour(NOW) == 2
    assert made.in_day(NOW, PUBLISHED["tiingo"]) == 4
    assert made.in_day(NOW, PUBLISHED["alphavantage"]) == 3  # its day starts at 00:00 UTC
    assert made.symbols_this_month == {"A", "B", "C"}


def test_the_configured_counts_apply_with_the_providers_own_windows():
    env = {"TIINGO_API_KEY": "k", "TIINGO_HOURLY_LIMIT": "20", "TIINGO_DAILY_LIMIT": "unlimited"}
    assert limits_for(Settings.from_env(env).provider) == Limits(
        per_day=None, per_hour=20, symbols_per_month=500, spacing_seconds=1.0, rolling_day=True
    )
    monthly = limits_for(Settings.from_env({**env, "TIINGO_MONTHLY_SYMBOLS": "100"}).provider)
    assert monthly.symbols_per_month == 100
    assert limits_for(Settings.from_env({"ALPHAVANTAGE_API_KEY": "k"}).provider) == Limits(
        per_day=25, spacing_seconds=1.2
    )
    assert limits_for(Settings.from_env({}).provider) == Limits()


def test_a_slot_may_start_exactly_at_the_horizon_and_not_later():
    limits = Limits(per_hour=2)
    result = plan(["A", "B"], limits, spent(50, 40), NOW, horizon_seconds=10 * 60)
    assert result.symbols == ["A"] and result.slots[0].offset_seconds == 600.0
    almost = spent(60 - 0.5 / 60)  # leaves the hour in half a second
    assert plan(["A"], Limits(per_hour=1), almost, NOW).deferred == ["A"]  # no horizon: now only


def test_symbols_planned_in_one_tick_count_towards_the_month():
    result = plan(["A", "B", "C"], Limits(symbols_per_month=2), Spent(), NOW)
    assert result.symbols == ["A", "B"] and result.deferred == ["C"]


def test_a_costly_symbol_is_spaced_by_all_its_requests():
    result = plan(["A", "B"], Limits(spacing_seconds=1.2), Spent(), NOW, costs={"A": 3})
    assert [slot.offset_seconds for slot in result.slots] == pytest.approx([0.0, 3.6])


def test_a_cost_equal_to_a_limit_waits_for_the_window_to_empty():
    limits, costs = Limits(per_hour=3), {"A": 3}
    result = plan(["A"], limits, spent(50), NOW, horizon_seconds=20 * 60, costs=costs)
    assert result.slots[0].offset_seconds == 600.0


def test_a_full_rolling_day_waits_for_its_oldest_request_to_leave():
    limits = Limits(per_day=2, rolling_day=True)
    result = plan(["A"], limits, spent(20 * 60, 10 * 60), NOW, horizon_seconds=5 * HOUR_SECONDS)
    assert result.slots[0].offset_seconds == 4 * HOUR_SECONDS


def test_admits_checks_every_window_and_the_month_for_the_cost():
    assert admits(Limits(per_hour=2), spent(50), NOW, "A")
    assert not admits(Limits(per_hour=2), spent(50), NOW, "A", cost=2)
    used = spent(symbols=frozenset({"A", "B"}))
    assert not admits(Limits(symbols_per_month=2), used, NOW, "C")
    assert admits(Limits(symbols_per_month=2), used, NOW, "A")  # counted already
    assert admits(Limits(symbols_per_month=3), used, NOW.tz_localize(None), "C")  # naive: UTC


def test_only_a_limited_count_is_metered():
    assert not metered(PUBLISHED["demo"])
    assert metered(PUBLISHED["alphavantage"]) and metered(Limits(symbols_per_month=5))


def test_a_request_leaves_a_window_exactly_when_the_window_ends():
    made = Spent.from_requests(
        [
            (NOW + pd.Timedelta(minutes=1), "F"),  # not yet made: skipped, not the end
            (NOW, "A"),
            (NOW - pd.Timedelta(hours=1), "B"),
            (NOW - pd.Timedelta(days=1), "C"),
            (pd.Timestamp("2026-11-01", tz="UTC"), "D"),  # the month's first instant
            (pd.Timestamp("2026-11-01", tz="UTC") - pd.Timedelta(seconds=1), "E"),
        ],
        NOW,
    )
    assert made.times == (NOW - pd.Timedelta(hours=1), NOW)  # C, made a day ago, is not kept
    assert made.in_hour(NOW) == 1  # A; B made an hour ago has left
    assert made.in_day(NOW, PUBLISHED["tiingo"]) == 2  # A and B; C made a day ago has left
    a_day_ago = Spent((NOW - pd.Timedelta(days=1), NOW))
    assert a_day_ago.in_day(NOW, PUBLISHED["tiingo"]) == 1
    assert made.in_day(NOW, PUBLISHED["alphavantage"]) == 2  # since 00:00 UTC
    assert made.symbols_this_month == {"A", "B", "C", "D"}


def test_a_refusal_waits_until_enough_requests_leave_a_rolling_window():
    assert retry_after(Limits(per_hour=2), spent(50, 40), NOW, "A") == 10 * 60
    three = spent(50, 40, 30)  # two must leave the hour for two more
    assert retry_after(Limits(per_hour=3), three, NOW, "A", cost=2) == 20 * 60
    tiingo_day = Limits(per_day=2, rolling_day=True)
    assert retry_after(tiingo_day, spent(20 * 60, 10 * 60), NOW, "A") == 4 * HOUR_SECONDS


def test_a_refusal_for_a_calendar_day_waits_for_midnight_utc():
    assert retry_after(Limits(per_day=2), spent(10, 20), NOW, "A") == 9 * HOUR_SECONDS
    naive = NOW.tz_localize(None)  # taken as UTC
    assert retry_after(Limits(per_day=2), spent(10, 20), naive, "A") == 9 * HOUR_SECONDS


def test_a_count_larger_than_a_limit_waits_for_the_next_day():
    assert retry_after(Limits(per_hour=2), Spent(), NOW, "A", cost=3) == 9 * HOUR_SECONDS


def test_a_month_full_of_other_symbols_waits_for_the_next_month():
    used = spent(symbols=frozenset({"A", "B"}))
    to_december = (pd.Timestamp("2026-12-01", tz="UTC") - NOW).total_seconds()
    assert retry_after(Limits(symbols_per_month=2), used, NOW, "C") == to_december
    assert retry_after(Limits(symbols_per_month=2), used, NOW, "A") == 1  # counted already


def test_retry_after_is_whole_seconds_and_at_least_one():
    assert retry_after(Limits(per_hour=2), spent(50), NOW, "A") == 1  # one request fits now
    almost = spent(60 - 0.5 / 60)  # leaves the hour in half a second
    assert retry_after(Limits(per_hour=1), almost, NOW, "A") == 1
    assert retry_after(Limits(per_hour=1), spent(59), NOW, "A") == 60


def run_ticks(tiingo, settings, planner, hours: int) -> dict[str, list[pd.Timestamp]]:
    """Hourly ticks against the fake Tiingo on a simulated clock; when each symbol was served."""
    clock = {"now": NOW}
    tiingo.clock = lambda: clock["now"]
    tiingo.any_ticker = body("empty.csv")  # the schedule is under test, not the parsing
    provider = TiingoProvider(settings)
    made: list[tuple[pd.Timestamp, str]] = []
    served: dict[str, list[pd.Timestamp]] = {s: [] for s in SYMBOLS}
    for hour in range(hours):
        tick = NOW + pd.Timedelta(hours=hour)
        refreshed = {s: (times[-1] if times else pd.Timestamp.min.tz_localize("UTC"))
                     for s, times in served.items()}  # fmt: skip
        ordered = sorted(SYMBOLS, key=lambda s: (refreshed[s], s))
        for slot in planner(ordered, made, tick).slots:
            clock["now"] = tick + pd.Timedelta(seconds=slot.offset_seconds)
            made.append((clock["now"], slot.symbol))
            try:
                provider.bars(slot.symbol, "daily")
            except Exception:
                continue
            served[slot.symbol].append(clock["now"])
    return served


def test_200_tracked_symbols_fit_tiingos_published_limits_with_nothing_refused(
    tiingo, tiingo_settings
):
    limits = PUBLISHED["tiingo"]
    tiingo.limits = Enforced(
        per_hour=limits.per_hour, per_day=limits.per_day, symbols_per_month=500
    )

    def budgeted(ordered, made, tick):
        spent = Spent.from_requests(made, tick)
        return plan(ordered, limits, spent, tick, horizon_seconds=HOUR_SECONDS - 1)

    served = run_ticks(tiingo, tiingo_settings, budgeted, hours=26)
    assert tiingo.refused == []
    assert all(request.authorization for request in tiingo.requests)
    # 50 an hour for the first 20 hours fill the rolling day's 1,000; the day's first hour frees
    # again at hour 24: 1,000 + 2 x 50 requests in 26 hours, every one served
    assert len(tiingo.requests) == 1100
    first_round = NOW + pd.Timedelta(hours=4)
    assert all(times and times[0] < first_round for times in served.values())
    assert all(len(times) >= 5 for times in served.values())  # 1,100 requests, 200 symbols


def test_the_same_watchlist_asked_for_at_once_is_refused_by_the_fake(tiingo, tiingo_settings):
    tiingo.limits = Enforced(per_hour=50, per_day=1000, symbols_per_month=500)

    def everything(ordered, made, tick):
        return plan(ordered, Limits(), Spent(), tick)

    run_ticks(tiingo, tiingo_settings, everything, hours=1)
    assert len(tiingo.refused) == 150  # the control: the fake does enforce the hour


@pytest.mark.parametrize("provider", ["tiingo", "alphavantage", "demo"])
def test_every_provider_has_published_limits(provider):
    assert provider in PUBLISHED
