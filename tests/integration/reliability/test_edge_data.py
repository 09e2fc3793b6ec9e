"""Stored data no retry can fix is 422 and writes nothing (a 500 is retried by Knative for ever).

predict runs as a real process on a real influxd; the edge data is written as line protocol,
as an older version or another writer could have left it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import requests

from shared.contract.schema import PRICES

MODELS = ["naive", "drift", "auto", pytest.param("prophet", marks=pytest.mark.slow)]


def write_lines(influx_url: str, bucket: str, lines: list[str]) -> None:
    response = requests.post(
        f"{influx_url}/write", params={"db": bucket, "precision": "s"}, data="\n".join(lines)
    )
    assert response.status_code == 204, response.text


def daily_bars(storage, bucket: str, days: pd.DatetimeIndex, close: np.ndarray) -> None:
    frame = pd.DataFrame(
        {"symbol": "EDGE", "interval": "daily", "open": close, "high": close, "low": close,
         "close": close, "volume": 10},
        index=pd.DatetimeIndex(days, name="time"),
    )  # fmt: skip
    storage.write(bucket, frame, PRICES)


def forecasts_written(storage, bucket: str) -> int:
    result = storage.execute(bucket, 'SELECT count(*) FROM "forecast", "forecast_runs"')
    return sum(len(series["values"]) for series in result.get("series", []))


@pytest.fixture
def predict(serve):
    return serve("predict")


@pytest.mark.parametrize("model", MODELS)
def test_prices_whose_forecast_overflows_are_422_and_write_nothing(predict, storage, bucket, model):
    days = pd.bdate_range("2025-01-01", periods=300, tz="UTC")
    close = np.where(np.arange(300) % 2, 1e300, -1e300) * np.linspace(1, 1.7, 300)
    daily_bars(storage, bucket, days, close)

    answer = requests.post(
        predict.url,
        json={"symbol": "EDGE", "bucket": bucket, "target": bucket, "model": model},
        timeout=300,
    )

    assert answer.status_code == 422, answer.text
    assert "cannot be forecast" in answer.json()["error"]
    assert forecasts_written(storage, bucket) == 0


@pytest.mark.parametrize("model", MODELS)
def test_bars_at_the_end_of_time_are_422_and_write_nothing(predict, storage, bucket, model):
    days = pd.bdate_range(end="2262-04-09", periods=300, tz="UTC")
    daily_bars(storage, bucket, days, 100 + np.sin(np.arange(300) / 9))

    answer = requests.post(
        predict.url,
        json={"symbol": "EDGE", "bucket": bucket, "target": bucket, "model": model},
        timeout=300,
    )

    assert answer.status_code == 422, answer.text
    assert "2262" in answer.json()["error"]
    assert forecasts_written(storage, bucket) == 0


def test_a_float_volume_in_an_older_shard_is_422(predict, influx_server, storage, bucket):
    """Each shard (52 weeks) types a field by its first point: an older one may hold floats."""
    write_lines(
        influx_server.url,
        bucket,
        ["prices,symbol=EDGE,interval=daily open=1,high=1,low=1,close=1,volume=1.5 1577923200"],
    )
    days = pd.bdate_range("2026-01-02", periods=300, tz="UTC")
    daily_bars(storage, bucket, days, 100 + np.sin(np.arange(300) / 9))

    answer = requests.post(
        predict.url,
        json={"symbol": "EDGE", "bucket": bucket, "target": bucket, "field": "volume",
              "model": "naive", "horizon": 5},
        timeout=120,
    )  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert "volume" in answer.json()["error"]
    assert forecasts_written(storage, bucket) == 0
