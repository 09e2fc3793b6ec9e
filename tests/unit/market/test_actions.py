"""Corporate actions: how splits and dividends adjust raw bars, and which moves look like one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.market.actions import (
    MAX_FACTOR,
    adjusted,
    combine,
    dividends,
    empty_actions,
    splits,
    suspected_splits,
)

UTC = "UTC"


def walk(days: int = 250, seed: int = 7, start: float = 100.0) -> pd.DataFrame:
    """Raw-looking daily bars: a random walk with a 1% daily spread, on business days."""
    rng = np.random.default_rng(seed)
    index = pd.DatetimeIndex(pd.bdate_range("2025-01-01", periods=days, tz=UTC), name="time")
    close = start * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    open_ = np.concatenate(([start], close[:-1])) * np.exp(rng.normal(0, 0.003, days))
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.005,
            "low": np.minimum(open_, close) * 0.995,
            "close": close,
            "volume": rng.integers(1_000_000, 2_000_000, days),
        },
        index=index,
    )


def split_raw(bars: pd.DataFrame, day: pd.Timestamp, ratio: float) -> pd.DataFrame:
    """What a provider reports when the stock splits `ratio`-for-1 on `day`: earlier bars higher."""
    raw = bars.copy()
    before = raw.index < day
    for column in ("open", "high", "low", "close"):
        raw.loc[before, column] *= ratio
    raw.loc[before, "volume"] = (raw.loc[before, "volume"] / ratio).round().astype("int64")
    return raw


def test_a_split_makes_the_adjusted_series_continuous_and_leaves_the_raw_alone():
    truth = walk()
    day = truth.index[125]
    raw = split_raw(truth, day, 10.0)
    before = raw.copy()
    result = adjusted(raw, splits([day], [10.0]))
    pd.testing.assert_frame_equal(raw, before)  # the raw bars are not touched
    np.testing.assert_allclose(result[["open", "high", "low", "close"]], truth.iloc[:, :4])
    np.testing.assert_allclose(result["volume"], truth["volume"], atol=5)
    overnight = np.abs(np.log(result["open"].to_numpy()[1:] / result["close"].to_numpy()[:-1]))
    assert overnight.max() < 0.05  # the 90% drop is gone


def test_volume_before_a_split_is_multiplied_by_its_ratio():
    bars = walk(days=4)
    result = adjusted(bars, splits([bars.index[2]], [1.5]))
    assert result["volume"].tolist()[:2] == np.round(bars["volume"].to_numpy()[:2] * 1.5).tolist()
    assert result["volume"].tolist()[2:] == bars["volume"].tolist()[2:]
    assert result["volume"].dtype == "int64"


def test_a_dividend_scales_earlier_prices_as_the_providers_do_and_not_the_volume():
    bars = walk(days=5)
    day = bars.index[3]
    result = adjusted(bars, dividends([day], [1.0]))
    ex_close = bars["close"].iloc[3]
    factor = ex_close / (ex_close + 1.0)  # Tiingo's and Alpha Vantage's: not 1 - D / close(ex-1)
    np.testing.assert_allclose(
        result["close"].iloc[:3], bars["close"].iloc[:3] * factor, rtol=1e-15
    )
    np.testing.assert_allclose(result["close"].iloc[3:], bars["close"].iloc[3:])
    assert result["volume"].tolist() == bars["volume"].tolist()


@pytest.mark.parametrize(
    ("start", "amount"),
    [(0.5, 0.01), (100.0, 60.0)],
    ids=["a stock below 1", "a dividend above half the close before"],
)
def test_a_dividend_below_the_close_before_adjusts_whatever_the_price(start, amount):
    bars = walk(days=5, start=start)
    day = bars.index[3]
    assert amount < bars["close"].iloc[2]
    result = adjusted(bars, dividends([day], [amount]))
    ex_close = bars["close"].iloc[3]
    factor = ex_close / (ex_close + amount)
    np.testing.assert_allclose(result["close"].iloc[:3], bars["close"].iloc[:3] * factor)


def test_a_split_and_a_dividend_on_one_ex_date_take_the_yield_in_the_ex_date_share_basis():
    truth = walk(days=6)
    day = truth.index[3]
    raw = split_raw(truth, day, 10.0)  # raw closes before the ex-date are ten times higher
    amount = 0.5
    actions = combine(splits([day], [10.0]), dividends([day], [amount]))
    result = adjusted(raw, actions)
    ex_close = raw["close"].iloc[3]  # after the split, as the amount is
    factor = ex_close / (ex_close + amount) / 10.0
    np.testing.assert_allclose(result["close"].iloc[:3], raw["close"].iloc[:3] * factor, rtol=1e-15)
    np.testing.assert_allclose(result["close"].iloc[3:], raw["close"].iloc[3:])
    # The amount is checked against the close before, in the same basis: 30 is more than a
    # post-split close (about 10) though less than the raw pre-split one (about 100): not applied.
    too_large = combine(splits([day], [10.0]), dividends([day], [raw["close"].iloc[2] / 5]))
    np.testing.assert_allclose(
        adjusted(raw, too_large)["close"], adjusted(raw, splits([day], [10.0]))["close"]
    )


@pytest.mark.parametrize(
    "actions",
    [
        lambda t: splits([t[3]], [1e300]),
        lambda t: splits([t[2], t[4]], [1e-200, 1e-200]),
        lambda t: splits([t[3]], [np.inf]),
        lambda t: splits([t[3]], [np.nan]),
        lambda t: splits([t[3]], [0.0]),
        lambda t: splits([t[3]], [-2.0]),
        lambda t: dividends([t[3]], [np.inf]),
        lambda t: dividends([t[3]], [-1.0]),
        lambda t: dividends([t[3]], [1e6]),
        lambda t: dividends([t[3]], [np.nan]),
    ],
)
def test_impossible_stored_actions_change_no_bar_and_lose_none(actions):
    bars = walk(days=6)
    result = adjusted(bars, actions(bars.index))
    pd.testing.assert_frame_equal(result, bars)


def test_a_compound_factor_past_the_bound_skips_the_action_that_would_cross_it():
    bars = walk(days=6)
    actions = splits(bars.index[1:5], [1e4, 1e4, 1e4, 1e4])  # 1e16 compounded
    result = adjusted(bars, actions)
    factors = bars["close"] / result["close"]
    assert np.isfinite(result.to_numpy(dtype="float64")).all()
    assert factors.max() <= MAX_FACTOR * (1 + 1e-12)
    assert (result["volume"] >= 0).all() and result["volume"].dtype == "int64"


def test_adjusted_volumes_stay_within_int64():
    bars = walk(days=3)
    bars["volume"] = np.iinfo(np.int64).max // 2
    result = adjusted(bars, splits([bars.index[2]], [1e4]))
    assert all(9.2e18 < v <= np.iinfo(np.int64).max for v in result["volume"].tolist()[:2])


def test_actions_compound_backwards():
    bars = walk(days=6)
    actions = combine(splits([bars.index[2]], [2.0]), splits([bars.index[4]], [3.0]))
    result = adjusted(bars, actions)
    ratios = (bars["close"] / result["close"]).round(9).tolist()
    assert ratios == [6.0, 6.0, 3.0, 3.0, 1.0, 1.0]


def test_actions_before_the_first_bar_or_after_the_last_change_nothing():
    bars = walk(days=5)
    actions = combine(
        splits([bars.index[0] - pd.Timedelta(days=30)], [2.0]),
        splits([bars.index[-1] + pd.Timedelta(days=3)], [4.0]),
    )
    pd.testing.assert_frame_equal(adjusted(bars, actions), bars)
    pd.testing.assert_frame_equal(adjusted(bars, empty_actions()), bars)
    with_next_bar = walk(days=6)
    later = adjusted(with_next_bar, splits([with_next_bar.index[-1]], [4.0]))
    assert (with_next_bar["close"] / later["close"]).round(9).tolist() == [4.0] * 5 + [1.0]


def test_the_same_action_given_twice_is_kept_once():
    day = pd.Timestamp("2024-06-10", tz=UTC)
    actions = combine(splits([day], [10.0]), splits([day], [10.0]), dividends([day], [0.01]))
    assert sorted(actions["kind"]) == ["dividend", "split"]


@pytest.mark.parametrize("ratio", [2.0, 3.0, 1.5, 4.0, 5.0, 10.0, 20.0, 1 / 10, 1 / 3])
def test_an_overnight_move_near_a_usual_split_ratio_is_suspected(ratio):
    truth = walk()
    day = truth.index[100]
    [suspect] = suspected_splits(split_raw(truth, day, ratio))
    assert suspect.time == day
    assert suspect.ratio == pytest.approx(ratio)


def test_ordinary_moves_and_known_splits_are_not_suspected():
    truth = walk(days=500, seed=3)
    assert suspected_splits(truth) == []
    day = truth.index[200]
    raw = split_raw(truth, day, 4.0)
    assert suspected_splits(raw, splits([day], [4.0])) == []
    assert suspected_splits(raw.iloc[:1]) == []


def test_a_crash_of_a_fifth_is_not_a_split():
    bars = walk(days=10)
    bars.loc[bars.index[5] :, ["open", "high", "low", "close"]] *= 0.8
    assert suspected_splits(bars) == []
