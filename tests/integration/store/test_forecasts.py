"""Replacing a stored forecast on a real influxd: no stale points, no lost points, no gap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from shared.contract.schema import FORECAST
from shared.store import forecasts

MODEL_CYCLE = ("prophet", "drift", "naive", "prophet", "naive", "drift")


def forecast_frame(symbol: str, model: str, start_day: int, points: int = 15) -> pd.DataFrame:
    """A forecast of `points` business days starting `start_day` business days into July 2024."""
    days = pd.bdate_range("2024-07-01", periods=start_day + points, tz="UTC")[start_day:]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "interval": "daily",
            "field": "close",
            "model": model,
            "yhat": float(start_day),
            "yhat_lower": start_day - 1.0,
            "yhat_upper": start_day + 1.0,
        },
        index=pd.DatetimeIndex(days, name="time"),
    )


def stored(storage, bucket: str, symbol: str) -> pd.DataFrame:
    return storage.query(
        bucket, f'SELECT * FROM "forecast" WHERE "symbol" = \'{symbol}\'', FORECAST
    )


def assert_only(storage, bucket: str, expected: pd.DataFrame) -> None:
    rows = stored(storage, bucket, expected["symbol"].iloc[0])
    assert list(rows.index) == list(expected.index)
    assert set(rows["model"]) == set(expected["model"])
    assert (rows["yhat"] == expected["yhat"].iloc[0]).all()


def test_each_replacement_leaves_exactly_the_new_forecast(storage, bucket):
    """Moving windows and changing models: the sequence that lost series on the inmem index."""
    for step, model in enumerate(MODEL_CYCLE):
        frame = forecast_frame("SYN", model, start_day=step, points=15 - step)
        forecasts.replace(storage, bucket, frame)
        assert_only(storage, bucket, frame)


def test_other_fields_and_intervals_of_the_symbol_are_kept(storage, bucket):
    volume = forecast_frame("SYN", "drift", 0).assign(field="volume")
    storage.write(bucket, volume, FORECAST)
    forecasts.replace(storage, bucket, forecast_frame("SYN", "naive", 3))
    rows = stored(storage, bucket, "SYN")
    assert len(rows[rows["field"] == "volume"]) == len(volume)


def test_concurrent_replacements_of_different_symbols_lose_nothing(storage, bucket):
    """Three symbols replaced at once, round after round (delete-then-write lost points here)."""
    symbols = ("PA", "PB", "PC")
    with ThreadPoolExecutor(len(symbols)) as pool:
        for step, model in enumerate(MODEL_CYCLE * 3):
            frames = [forecast_frame(symbol, model, step % 7) for symbol in symbols]
            list(pool.map(lambda frame: forecasts.replace(storage, bucket, frame), frames))
            for frame in frames:
                assert_only(storage, bucket, frame)
