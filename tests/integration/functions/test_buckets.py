"""list-buckets on a real influxd: listing with symbols and newest point, creating, bad names."""

from __future__ import annotations

import pandas as pd
import requests

from shared.contract.schema import FORECAST, PRICES


def test_lists_buckets_with_symbols_and_newest_point(serve, storage, bucket):
    prices = pd.DataFrame(
        {
            "symbol": ["AAPL", "MSFT"],
            "interval": "daily",
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
            "volume": 5,
        },
        index=pd.DatetimeIndex(["2026-11-20", "2026-11-24"], tz="UTC", name="time"),
    )
    storage.write(bucket, prices, PRICES)
    forecasts = bucket + "_fc"
    storage.create_bucket(forecasts)
    forecast = pd.DataFrame(
        {
            "symbol": "IBM",
            "interval": "daily",
            "field": "close",
            "model": "naive",
            "yhat": 2.0,
            "yhat_lower": 1.0,
            "yhat_upper": 3.0,
        },
        index=pd.DatetimeIndex(["2026-12-01"], tz="UTC", name="time"),
    )
    storage.write(forecasts, forecast, FORECAST)
    buckets = serve("buckets")
    listed = {b["name"]: b for b in requests.get(buckets.url, timeout=30).json()["buckets"]}
    assert listed[bucket] == {
        "name": bucket,
        "symbols": ["AAPL", "MSFT"],
        "newest": "2026-11-24T00:00:00Z",
    }
    assert listed[forecasts]["symbols"] == ["IBM"]
    assert listed[forecasts]["newest"] == "2026-12-01T00:00:00Z"
    assert not {"_internal", "_monitoring", "_tasks"} & set(listed)


def test_create_is_201_then_200_and_bad_names_create_nothing(serve, storage, bucket):
    buckets = serve("buckets")
    name = bucket + "_new"
    created = requests.post(buckets.url, json={"name": name}, timeout=30)
    assert created.status_code == 201
    assert created.json() == {"name": name, "created": True}
    assert requests.post(buckets.url, json={"name": name}, timeout=30).status_code == 200
    before = storage.list_buckets()
    for bad in ('x"; DROP DATABASE y', "", "a" * 65, "with space", "ünï", 42, None):
        response = requests.post(buckets.url, json={"name": bad}, timeout=30)
        assert response.status_code == 400, bad
        assert response.json()["error"]
    assert storage.list_buckets() == before


def test_influxdb_down_is_503(serve):
    buckets = serve("buckets", INFLUX_URL="http://127.0.0.1:9")
    response = requests.get(buckets.url, timeout=30)
    assert response.status_code == 503
    assert "unreachable" in response.json()["error"]
