"""Bars to write and read back in storage tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.contract.schema import PRICES
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal


def bars(symbol: str = "AAPL", n: int = 3, start: str = "2026-11-23") -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.bdate_range(start, periods=n, tz="UTC"), name="time")
    close = [100.0 + i for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "interval": "daily",
            "open": close,
            "high": [c + 1 for c in close],
            "low": [c - 1 for c in close],
            "close": close,
            "volume": [1_000 + i for i in range(n)],
        },
        index=index,
    )


def select_prices(storage: InfluxClient, bucket: str, symbol: str) -> pd.DataFrame:
    query = f"SELECT * FROM {ident('prices')} WHERE {tags_equal(symbol=symbol)}"
    return storage.query(bucket, query, PRICES)


def seed_walk(storage: InfluxClient, bucket: str, symbol: str, days: int = 300) -> pd.DataFrame:
    """A noisy daily walk whose open sits 500 above its close, so forecasts of the two differ."""
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-01", periods=days, tz="UTC"), name="time")
    close = 100 + np.cumsum(np.random.default_rng(7).normal(0, 1.0, days))
    frame = pd.DataFrame(
        {
            "symbol": symbol,
            "interval": "daily",
            "open": close + 500,
            "high": close + 501,
            "low": close - 1,
            "close": close,
            "volume": 1000,
        },
        index=index,
    )
    storage.write(bucket, frame, PRICES)
    return frame
