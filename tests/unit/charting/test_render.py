"""The PNG renderer: a real PNG of exactly the size asked, with or without a forecast."""

from __future__ import annotations

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from shared.charting.render import MAX_SIZE, MIN_SIZE, render_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature and the chunk's CRC."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    body = png[16 : 16 + length]
    (crc,) = struct.unpack(">I", png[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    width, height = struct.unpack(">II", body[:8])
    return width, height


def pixels(png: bytes) -> np.ndarray:
    """The decoded RGBA pixels (matplotlib reads PNGs without extra packages)."""
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def history_frame(points: int, freq: str = "D") -> pd.DataFrame:
    index = pd.date_range("2024-01-02", periods=points, freq=freq, tz="UTC", name="time")
    walk = 100 + np.cumsum(np.random.default_rng(7).normal(0, 1, points))
    return pd.DataFrame({"close": walk}, index=index)


def forecast_frame(history: pd.DataFrame, points: int) -> pd.DataFrame:
    step = history.index[-1] - history.index[-2]
    index = pd.date_range(history.index[-1] + step, periods=points, freq=step, name="time")
    yhat = history["close"].iloc[-1] + np.linspace(0.0, 5.0, points)
    spread = np.linspace(1.0, 10.0, points)
    return pd.DataFrame(
        {"yhat": yhat, "yhat_lower": yhat - spread, "yhat_upper": yhat + spread}, index=index
    )


@pytest.mark.parametrize("size", [(800, 400), (801, 333), (1234, 567), MIN_SIZE])
def test_png_has_exactly_the_size_asked(size: tuple[int, int]) -> None:
    history = history_frame(120)
    png = render_chart(history, forecast_frame(history, 30), "ACME", *size)
    assert png_size(png) == size
    assert pixels(png).shape[:2] == (size[1], size[0])


def test_defaults_to_800_by_400_without_a_forecast() -> None:
    png = render_chart(history_frame(60), None, "ACME")
    assert png_size(png) == (800, 400)


def test_forecast_band_is_drawn_right_of_the_history() -> None:
    """The shaded interval widens into the right part of the plot; without it that part is bare."""
    history = history_frame(300)
    with_band = pixels(render_chart(history, forecast_frame(history, 60), "ACME"))
    without = pixels(render_chart(history, None, "ACME"))
    assert not np.array_equal(with_band, without)

    def orange_share(image: np.ndarray) -> float:
        right = image[:, int(image.shape[1] * 0.8) :, :3]
        red, green, blue = right[..., 0], right[..., 1], right[..., 2]
        return float(((red > 0.9) & (green > 0.7) & (green < 0.95) & (blue < 0.85)).mean())

    assert orange_share(with_band) > 0.01
    assert orange_share(without) == 0.0


def test_a_few_hundred_intraday_points_with_a_forecast() -> None:
    history = history_frame(390, freq="1min")
    png = render_chart(history, forecast_frame(history, 60), "BRK.B", 640, 320)
    assert png_size(png) == (640, 320)


def test_no_data_still_renders() -> None:
    empty = pd.DataFrame({"close": []}, index=pd.DatetimeIndex([], tz="UTC", name="time"))
    assert png_size(render_chart(empty, None, "ACME", 300, 200)) == (300, 200)


def test_concurrent_renders_do_not_mix() -> None:
    """Each call draws its own figure: the same inputs give the same picture on any thread."""
    history = history_frame(200)
    forecast = forecast_frame(history, 30)
    alone = render_chart(history, forecast, "ACME", 400, 240)
    with ThreadPoolExecutor(4) as pool:
        sizes = [(400, 240), (500, 300)] * 4
        pngs = list(pool.map(lambda s: render_chart(history, forecast, "ACME", *s), sizes))
    assert [png_size(p) for p in pngs] == sizes
    assert all(np.array_equal(pixels(p), pixels(alone)) for p in pngs[::2])


@pytest.mark.parametrize(
    ("history", "forecast", "size"),
    [
        (pd.DataFrame({"open": [1.0]}), None, (800, 400)),
        (history_frame(10), pd.DataFrame({"yhat": [1.0]}), (800, 400)),
        (history_frame(10), None, (MIN_SIZE[0] - 1, 400)),
        (history_frame(10), None, (800, MAX_SIZE[1] + 1)),
    ],
)
def test_refuses_what_it_cannot_draw(
    history: pd.DataFrame, forecast: pd.DataFrame | None, size: tuple[int, int]
) -> None:
    with pytest.raises(ValueError):
        render_chart(history, forecast, "ACME", *size)
