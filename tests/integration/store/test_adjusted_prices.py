"""Adjusted prices on a real influxd: a split that arrives after the bars adjusts all of them,
in every read and in the adjusted copy Grafana reads.

The issue's evidence: a year of raw bars with a 10-for-1 split in the middle is stored first; the
split arrives later. Then the adjusted series is continuous, the raw series is unchanged, and a
forecast made after the split starts at the post-split price.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from functions.predict import SPEC
from shared.contract.schema import FORECAST, PRICE_COLUMNS, PRICES_ADJUSTED
from shared.market.actions import dividends, splits
from shared.runtime.services import Services
from shared.store import prices
from shared.store.actions import write_actions
from tests.support.inprocess import call

SYMBOL = "SPLT"
DAYS = 252
SPLIT_AT = 126
RATIO = 10.0


@pytest.fixture
def services(settings) -> Services:
    return Services(settings)


def year_with_a_split() -> tuple[pd.DataFrame, pd.Timestamp]:
    """A year of raw daily bars (a walk with a ~1.5% daily range) split 10-for-1 mid-year."""
    rng = np.random.default_rng(15)
    index = pd.DatetimeIndex(pd.bdate_range("2025-01-02", periods=DAYS, tz="UTC"), name="time")
    close = 80 * np.exp(np.cumsum(rng.normal(0.0005, 0.012, DAYS)))
    open_ = np.concatenate(([80.0], close[:-1])) * np.exp(rng.normal(0, 0.004, DAYS))
    bars = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.006,
            "low": np.minimum(open_, close) * 0.994,
            "close": close,
            "volume": rng.integers(2_000_000, 4_000_000, DAYS),
        },
        index=index,
    )
    day = index[SPLIT_AT]
    before = index < day
    bars.loc[before, ["open", "high", "low", "close"]] *= RATIO
    bars.loc[before, "volume"] = bars.loc[before, "volume"] // 10
    return bars, day


def read(storage, bucket: str, adjusted: bool = True) -> pd.DataFrame:
    return prices.newest(storage, bucket, SYMBOL, "daily", PRICE_COLUMNS, 10_000, adjusted=adjusted)


def overnight_moves(bars: pd.DataFrame) -> np.ndarray:
    return np.abs(np.log(bars["open"].to_numpy()[1:] / bars["close"].to_numpy()[:-1]))


def test_a_late_split_makes_the_stored_year_continuous_and_leaves_the_raw_bars(storage, bucket):
    raw, day = year_with_a_split()
    prices.write_bars(storage, bucket, SYMBOL, "daily", raw)
    unadjusted = read(storage, bucket)
    assert overnight_moves(unadjusted).max() > np.log(9)  # before the split is known: the drop

    write_actions(storage, bucket, SYMBOL, splits([day], [RATIO]))
    adjusted = read(storage, bucket)
    day_range = np.log(adjusted["high"] / adjusted["low"]).to_numpy()
    assert overnight_moves(adjusted).max() < day_range.max()  # no move beyond a day's range
    np.testing.assert_allclose(adjusted.loc[day:, "close"], raw.loc[day:, "close"])
    np.testing.assert_allclose(adjusted.loc[: day - pd.Timedelta(days=1), "close"] * RATIO,
                               raw.loc[: day - pd.Timedelta(days=1), "close"])  # fmt: skip
    before = adjusted.index < day
    assert (adjusted["volume"][before] == raw["volume"][before] * 10).all()

    stored_raw = read(storage, bucket, adjusted=False)
    np.testing.assert_allclose(
        stored_raw[list(PRICE_COLUMNS)].astype("float64"), raw[list(PRICE_COLUMNS)]
    )


def test_a_dividend_scales_earlier_prices_and_not_volume(storage, bucket):
    raw, _ = year_with_a_split()
    prices.write_bars(storage, bucket, SYMBOL, "daily", raw)
    ex_date = raw.index[200]
    write_actions(storage, bucket, SYMBOL, dividends([ex_date], [0.5]))
    adjusted = read(storage, bucket)
    ex_close = raw["close"].iloc[200]
    factor = ex_close / (ex_close + 0.5)  # the providers' convention
    np.testing.assert_allclose(adjusted["close"].iloc[:200], raw["close"].iloc[:200] * factor)
    np.testing.assert_allclose(adjusted["close"].iloc[200:], raw["close"].iloc[200:])
    assert (adjusted["volume"].iloc[199:201] == raw["volume"].iloc[199:201]).all()


def test_a_forecast_made_after_the_split_starts_at_the_post_split_price(services, storage, bucket):
    raw, day = year_with_a_split()
    prices.write_bars(storage, bucket, SYMBOL, "daily", raw)
    write_actions(storage, bucket, SYMBOL, splits([day], [RATIO]))
    answer = call(
        SPEC,
        services,
        method="POST",
        json_body={"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "drift"},
    )
    assert answer.status == 200, answer.body
    query = f'SELECT * FROM "forecast" WHERE "symbol" = \'{SYMBOL}\''
    forecast = storage.query(bucket, query, FORECAST).sort_index()
    last_close = raw["close"].iloc[-1]
    # drift on the raw year would carry the split's drop forward (about -1% a day); adjusted, the
    # forecast starts at the post-split price and its 30 days stay within a few percent of it
    assert forecast["yhat"].iloc[0] == pytest.approx(last_close, rel=0.02)
    assert forecast["yhat"].iloc[-1] == pytest.approx(last_close, rel=0.08)


def test_adjusted_false_forecasts_the_raw_bars(services, storage, bucket):
    raw, day = year_with_a_split()
    prices.write_bars(storage, bucket, SYMBOL, "daily", raw)
    write_actions(storage, bucket, SYMBOL, splits([day], [RATIO]))
    fields = {"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "drift"}
    answer = call(SPEC, services, method="POST", json_body={**fields, "adjusted": False})
    assert answer.status == 200, answer.body
    query = f'SELECT * FROM "forecast" WHERE "symbol" = \'{SYMBOL}\''
    forecast = storage.query(bucket, query, FORECAST).sort_index()
    # the raw year's drift carries the split's drop forward: 30 days end well below the close
    assert forecast["yhat"].iloc[-1] < 0.85 * raw["close"].iloc[-1]


def adjusted_copy(storage, bucket: str) -> pd.DataFrame:
    query = f'SELECT * FROM "prices_adjusted" WHERE "symbol" = \'{SYMBOL}\''
    return storage.query(bucket, query, PRICES_ADJUSTED).sort_index()


def assert_copy_matches_the_adjusted_read(storage, bucket: str) -> None:
    copy = adjusted_copy(storage, bucket)
    expected = read(storage, bucket)
    assert copy.index.equals(expected.index)
    np.testing.assert_allclose(
        copy[list(PRICE_COLUMNS)].astype("float64"), expected.astype("float64"), rtol=1e-12
    )


def test_the_adjusted_copy_follows_new_bars_and_is_rewritten_when_a_split_arrives(storage, bucket):
    raw, day = year_with_a_split()
    first, rest = raw[raw.index < day], raw[raw.index >= day]
    prices.write_bars(storage, bucket, SYMBOL, "daily", first.iloc[:-5])
    assert prices.refresh_adjusted(storage, bucket, SYMBOL, "daily", None) == SPLIT_AT - 5
    since = first.index[-6]
    prices.write_bars(storage, bucket, SYMBOL, "daily", first.iloc[-5:])
    assert prices.refresh_adjusted(storage, bucket, SYMBOL, "daily", since) == 5  # only the new
    assert_copy_matches_the_adjusted_read(storage, bucket)

    prices.write_bars(storage, bucket, SYMBOL, "daily", rest)  # the split comes with new bars
    write_actions(storage, bucket, SYMBOL, splits([day], [RATIO]))
    assert prices.refresh_adjusted(storage, bucket, SYMBOL, "daily", first.index[-1]) == DAYS
    assert_copy_matches_the_adjusted_read(storage, bucket)
    assert adjusted_copy(storage, bucket)["close"].iloc[0] == pytest.approx(
        raw["close"].iloc[0] / 10
    )


def test_a_missing_adjusted_copy_is_made_whole(storage, bucket):
    raw, day = year_with_a_split()
    prices.write_bars(storage, bucket, SYMBOL, "daily", raw)
    write_actions(storage, bucket, SYMBOL, splits([day], [RATIO]))
    assert prices.refresh_adjusted(storage, bucket, SYMBOL, "daily", raw.index[-1]) == DAYS
    assert_copy_matches_the_adjusted_read(storage, bucket)
    assert prices.refresh_adjusted(storage, bucket, SYMBOL, "daily", raw.index[-1]) == 0
