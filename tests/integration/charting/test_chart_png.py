"""chart in process on a real influxd: the forecast is drawn, and `points` bounds the history shown.

The PNG is decoded and its pixels read: the history is drawn in tab:blue, the forecast and its
band in tab:orange (see `shared.charting.render`), so what the chart shows can be measured.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from functions.chart import SPEC
from shared.contract.config import Settings
from shared.contract.schema import FORECAST, PRICES
from shared.runtime.services import Services
from tests.support.inprocess import call

HISTORY_DAYS = 60
FORECAST_DAYS = 10


def seed(storage, bucket: str, with_forecast: bool = True) -> None:
    days = pd.DatetimeIndex(
        pd.bdate_range("2026-06-01", periods=HISTORY_DAYS, tz="UTC"), name="time"
    )
    close = 100 + np.sin(np.arange(HISTORY_DAYS) / 5) * 10
    bars = {"open": close, "high": close, "low": close, "close": close, "volume": 10}
    storage.write(
        bucket,
        pd.DataFrame({"symbol": "IBM", "interval": "daily", **bars}, index=days),
        PRICES,
    )
    if not with_forecast:
        return
    future = pd.DatetimeIndex(
        pd.bdate_range(days[-1] + pd.Timedelta("1D"), periods=FORECAST_DAYS, tz="UTC"),
        name="time",
    )
    forecast = {"yhat": 100.0, "yhat_lower": 90.0, "yhat_upper": 110.0}
    storage.write(
        bucket,
        pd.DataFrame(
            {"symbol": "IBM", "interval": "daily", "field": "close", "model": "drift", **forecast},
            index=future,
        ),
        FORECAST,
    )


def columns_of(png: bytes, colour: str, tolerance: float = 0.08) -> np.ndarray:
    """The x positions of pixel columns holding `colour` (pure, as lines are drawn)."""
    pixels = imread(io.BytesIO(png), format="png")[:, :, :3]
    near = np.abs(pixels - np.array(to_rgb(colour))).max(axis=2) < tolerance
    return np.flatnonzero(near.any(axis=0))


def draw(storage, bucket: str, points: int) -> bytes:
    query = {"symbol": "IBM", "bucket": bucket, "target": bucket, "points": str(points)}
    answer = call(SPEC, Services(storage_settings(storage, bucket)), query=query)
    assert answer.status == 200 and answer.content_type == "image/png", answer.body[:200]
    return answer.body


def storage_settings(storage, bucket: str) -> Settings:
    return Settings(influx=storage.settings, meta_bucket=bucket)


def test_the_stored_forecast_is_drawn(storage, bucket):
    seed(storage, bucket)
    orange = columns_of(draw(storage, bucket, HISTORY_DAYS), "tab:orange")
    blue = columns_of(draw(storage, bucket, HISTORY_DAYS), "tab:blue")
    # the forecast line continues right of the history, over the 10 days it covers
    assert len(orange) > 40 and orange.max() > blue.max() + 40


def test_no_forecast_no_orange(storage, bucket):
    seed(storage, bucket, with_forecast=False)
    png = draw(storage, bucket, HISTORY_DAYS)
    assert len(columns_of(png, "tab:blue")) > 100
    assert len(columns_of(png, "tab:orange")) < 5  # the legend has no forecast entry either


def test_points_bounds_the_history_drawn(storage, bucket):
    seed(storage, bucket)

    def history_share(points: int) -> float:
        png = draw(storage, bucket, points)
        blue, orange = columns_of(png, "tab:blue"), columns_of(png, "tab:orange")
        lines = np.concatenate([blue, orange])
        return (blue.max() - blue.min()) / (lines.max() - lines.min())

    # history spans points-1 business days of the points-1+10 the chart covers
    assert history_share(5) < 0.45
    assert history_share(HISTORY_DAYS) > 0.75


def test_an_unknown_symbol_is_422_saying_what_is_missing(storage, bucket):
    seed(storage, bucket)
    query = {"symbol": "nope", "bucket": bucket, "target": bucket}
    answer = call(SPEC, Services(storage_settings(storage, bucket)), query=query)
    assert answer.status == 422
    assert answer.json() == {"error": f"There are no daily prices for NOPE in bucket {bucket!r}."}


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(
    ("asked", "size"),
    [({}, (800, 400)), ({"width": "640", "height": "320"}, (640, 320))],
)
def test_the_png_has_the_asked_size(storage, bucket, asked, size):
    seed(storage, bucket)
    query = {"symbol": "IBM", "bucket": bucket, "target": bucket, **asked}
    answer = call(SPEC, Services(storage_settings(storage, bucket)), query=query)
    assert answer.status == 200 and png_size(answer.body) == size


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("points", "2", True),
        ("points", "1", False),
        ("points", "5000", True),
        ("points", "5001", False),
        ("width", "160", True),
        ("width", "159", False),
        ("width", "4096", True),
        ("width", "4097", False),
        ("height", "100", True),
        ("height", "99", False),
        ("height", "4097", False),
    ],
)
def test_the_bounds_of_points_and_size(storage, bucket, field, value, accepted):
    seed(storage, bucket)
    query = {"symbol": "IBM", "bucket": bucket, "target": bucket, field: value}
    answer = call(SPEC, Services(storage_settings(storage, bucket)), query=query)
    if accepted:
        assert answer.status == 200, answer.body[:200]
    else:
        assert answer.status == 400
        assert answer.json()["error"].startswith(f"The field '{field}' must be from ")


def drop_across(png: bytes) -> float:
    """How far (in pixel rows) the blue history sits lower in its last quarter than its first."""
    pixels = imread(io.BytesIO(png), format="png")[:, :, :3]
    near = np.abs(pixels - np.array(to_rgb("tab:blue"))).max(axis=2) < 0.08
    rows, cols = np.nonzero(near)
    quarter = (cols.max() - cols.min()) / 4
    first, last = cols < cols.min() + quarter, cols > cols.max() - quarter
    return rows[last].mean() - rows[first].mean()


def test_adjusted_false_draws_the_raw_jump_of_a_split(storage, bucket):
    from shared.market.actions import splits
    from shared.store.actions import write_actions

    days = pd.DatetimeIndex(
        pd.bdate_range("2026-06-01", periods=HISTORY_DAYS, tz="UTC"), name="time"
    )
    close = 100 + np.where(np.arange(HISTORY_DAYS) % 2, 1.0, -1.0)  # flat, as adjusted
    middle = days[HISTORY_DAYS // 2]
    close = np.where(days < middle, close * 10, close)  # as traded: before a 10-for-1 split
    bars = {"open": close, "high": close, "low": close, "close": close, "volume": 10}
    storage.write(
        bucket, pd.DataFrame({"symbol": "IBM", "interval": "daily", **bars}, index=days), PRICES
    )
    write_actions(storage, bucket, "IBM", splits([middle], [10.0]))
    drops = {}
    for adjusted in ("true", "false"):
        fields = {"symbol": "IBM", "bucket": bucket, "target": bucket, "adjusted": adjusted}
        answer = call(SPEC, Services(storage_settings(storage, bucket)), query=fields)
        assert answer.status == 200, answer.body[:200]
        drops[adjusted] = drop_across(answer.body)
    # raw: ten times higher before the split, so the line falls far down the plot across it
    assert drops["false"] > drops["true"] + 100
