"""The newest bar of each series (`store/bar_times.py`) on a real influxd, read as JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from shared.contract.schema import PRICES
from shared.store.bar_times import newest_times


def bars(storage, bucket: str, symbol: str, interval: str, *times: str) -> None:
    frame = pd.DataFrame(
        {"symbol": symbol, "interval": interval, "open": 1.0, "high": 1.0, "low": 1.0,
         "close": 1.0, "volume": 1},
        index=pd.DatetimeIndex([pd.Timestamp(t, tz="UTC") for t in times], name="time"),
    )  # fmt: skip
    storage.write(bucket, frame, PRICES, precision="ms")


def test_each_series_newest_bar_and_only_bars_after_since(storage, bucket):
    bars(storage, bucket, "IBM", "daily", "2025-11-26", "2025-11-28")
    bars(storage, bucket, "IBM", "5min", "2025-11-28T17:55:00.125")
    bars(storage, bucket, "KO", "daily", "2025-10-01")
    assert newest_times(storage, bucket) == {
        ("IBM", "daily"): datetime(2025, 11, 28, tzinfo=UTC),
        ("IBM", "5min"): datetime(2025, 11, 28, 17, 55, 0, 125000, tzinfo=UTC),
        ("KO", "daily"): datetime(2025, 10, 1, tzinfo=UTC),
    }
    since = datetime(2025, 11, 1, tzinfo=UTC)  # KO's newest is older: left out
    assert set(newest_times(storage, bucket, since)) == {("IBM", "daily"), ("IBM", "5min")}
    assert newest_times(storage, bucket, datetime(2025, 11, 28, tzinfo=UTC)) == {
        ("IBM", "5min"): datetime(2025, 11, 28, 17, 55, 0, 125000, tzinfo=UTC)
    }  # after `since`, not at it


def test_a_bucket_that_does_not_exist_holds_no_bars(storage):
    assert newest_times(storage, "no_such_bucket_here") == {}
