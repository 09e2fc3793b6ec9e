"""chart as a real process: a PNG of the asked size for a stored symbol, 422 for an unknown one."""

from __future__ import annotations

import struct

import pandas as pd
import requests

from shared.contract.schema import FORECAST, PRICES


def seed(storage, bucket: str) -> None:
    days = pd.DatetimeIndex(pd.bdate_range("2026-09-01", periods=60, tz="UTC"), name="time")
    close = [100 + i * 0.5 for i in range(60)]
    storage.write(
        bucket,
        pd.DataFrame(
            {
                "symbol": "IBM",
                "interval": "daily",
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": 10,
            },
            index=days,
        ),
        PRICES,
    )
    future = pd.DatetimeIndex(
        pd.bdate_range(days[-1] + pd.Timedelta("1D"), periods=10, tz="UTC"), name="time"
    )
    storage.write(
        bucket,
        pd.DataFrame(
            {
                "symbol": "IBM",
                "interval": "daily",
                "field": "close",
                "model": "drift",
                "yhat": 131.0,
                "yhat_lower": 128.0,
                "yhat_upper": 134.0,
            },
            index=future,
        ),
        FORECAST,
    )


def test_png_of_the_asked_size(serve, storage, bucket):
    seed(storage, bucket)
    chart = serve("chart")
    response = requests.get(
        chart.url,
        params={"symbol": "ibm", "bucket": bucket, "target": bucket, "width": 640, "height": 320},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    png = response.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (640, 320)


def test_unknown_symbol_is_422_and_bad_size_is_400(serve, storage, bucket):
    chart = serve("chart")
    unknown = requests.get(chart.url, params={"symbol": "NOPE", "bucket": bucket}, timeout=60)
    assert unknown.status_code == 422
    assert "NOPE" in unknown.json()["error"]
    too_big = requests.get(
        chart.url, params={"symbol": "IBM", "bucket": bucket, "width": 99999}, timeout=60
    )
    assert too_big.status_code == 400
