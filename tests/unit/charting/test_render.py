"""The PNG renderer: exact sizes, a bounded canvas released at once, a trading-time axis."""

from __future__ import annotations

import gc
import io
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from shared.charting.render import (
    MAX_SIZE,
    MIN_SIZE,
    PixelBudget,
    _draw,
    _forecast_from_last_close,
    render_chart,
    session_ticks,
)

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


def test_the_largest_chart_renders() -> None:
    assert png_size(render_chart(history_frame(50), None, "ACME", *MAX_SIZE)) == MAX_SIZE


def test_the_canvas_is_released_when_the_png_is_returned() -> None:
    """No renderer (its width x height x 4-byte buffer) outlives the call, even with the
    garbage collector off: the buffer goes back at once, not at the next full collection."""
    from matplotlib.backends.backend_agg import RendererAgg

    history = history_frame(300)
    gc.collect()
    gc.disable()
    try:
        render_chart(history, forecast_frame(history, 30), "ACME", 1200, 900)
        alive = [o for o in gc.get_objects() if isinstance(o, RendererAgg)]
    finally:
        gc.enable()
    assert alive == []


def test_the_pixel_budget_never_lets_more_than_it_holds_draw_at_once() -> None:
    budget = PixelBudget(10)
    inside: list[int] = []
    start = threading.Barrier(4)

    def draw(pixels: int) -> None:
        start.wait()
        for _ in range(50):
            with budget.taken(pixels):
                inside.append(budget.in_use)

    threads = [threading.Thread(target=draw, args=(p,)) for p in (6, 6, 4, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inside) == 200
    assert max(inside) <= 10 and budget.in_use == 0


def test_sessions_are_labelled_where_they_start_and_thinned_to_fit() -> None:
    """Three sessions of 5-minute bars (13:30 to 19:55 UTC in July): a tick at each first bar."""
    days = pd.bdate_range("2026-07-06", periods=3)
    times = pd.DatetimeIndex(
        [
            t
            for day in days
            for t in pd.date_range(day + pd.Timedelta("13:30:00"), periods=78, freq="5min")
        ]
    )
    positions, labels = session_ticks(times, 800, "America/New_York")
    assert positions.tolist() == [0, 78, 156]
    assert labels == ["Jul 06", "Jul 07", "Jul 08"]
    positions, labels = session_ticks(
        times, 200, "America/New_York"
    )  # room for two labels: every second session
    assert positions.tolist() == [0, 156]


def test_an_intraday_chart_on_trading_time_renders() -> None:
    history = history_frame(390 * 3, freq="1min")
    png = render_chart(
        history, forecast_frame(history, 60), "ACME 1min", 640, 320, session_zone="America/New_York"
    )
    assert png_size(png) == (640, 320)


def test_the_forecast_line_starts_at_the_last_close() -> None:
    """The forecast is drawn joined to the history: led by the last close, then only its rows
    after that close (a forecast row at or before it is history's place, not the forecast's)."""
    times = pd.date_range("2024-07-01", periods=4, freq="D", tz="UTC")
    close = pd.Series([10.0, 11.0, 12.0], index=times[:3].tz_localize(None))
    forecast = pd.DataFrame(
        {"yhat": [99.0, 13.0], "yhat_lower": [98.0, 12.0], "yhat_upper": [100.0, 14.0]},
        index=pd.DatetimeIndex([times[2], times[3]], name="time"),
    )
    joined = _forecast_from_last_close(close, forecast)
    assert joined is not None
    assert list(joined.index) == [times[2].tz_localize(None), times[3].tz_localize(None)]
    assert joined.iloc[0].tolist() == [12.0, 12.0, 12.0]
    assert joined.iloc[1].tolist() == [13.0, 12.0, 14.0]


def test_no_bars_give_no_session_ticks() -> None:
    positions, labels = session_ticks(pd.DatetimeIndex([]), 800, "America/New_York")
    assert len(positions) == 0 and labels == []


def drawn(close: pd.Series, forecast: pd.DataFrame | None, session_zone: str | None = None) -> Axes:
    """The chart's axes as `render_chart` draws them, read back before they become a PNG."""
    figure = Figure()
    _draw(figure, close, _forecast_from_last_close(close, forecast), "ACME", 800, session_zone)
    return figure.axes[0]


def three_sessions() -> tuple[pd.Series, pd.DataFrame]:
    """Three New York sessions of 5-minute bars (with the nights between) and 6 forecast bars."""
    days = pd.bdate_range("2026-07-06", periods=3)
    times = pd.DatetimeIndex(
        [
            t
            for day in days
            for t in pd.date_range(day + pd.Timedelta("13:30:00"), periods=78, freq="5min")
        ]
    )
    close = pd.Series(100 + 0.1 * np.arange(len(times)), index=times)
    ahead = pd.date_range(times[-1] + pd.Timedelta("5min"), periods=6, freq="5min")
    forecast = pd.DataFrame({"yhat": 124.0, "yhat_lower": 120.0, "yhat_upper": 128.0}, index=ahead)
    return close, forecast


def test_on_trading_time_bars_sit_by_position_and_the_forecast_continues_from_the_last_close() -> (
    None
):
    """234 bars over three sessions: at positions 0 to 233 whatever the nights between; the
    forecast (the last close, then 6 bars) at 233 to 239; the axis half a bar past each end;
    a tick where each session starts, labelled with its date."""
    close, forecast = three_sessions()
    axes = drawn(close, forecast, "America/New_York")
    history, ahead = axes.lines
    np.testing.assert_array_equal(history.get_xdata(), np.arange(234))
    np.testing.assert_array_equal(ahead.get_xdata(), np.arange(233, 240))
    assert ahead.get_ydata()[0] == close.iloc[-1]
    band = axes.collections[0].get_paths()[0].vertices
    assert (band[:, 0].min(), band[:, 0].max()) == (233, 239)
    assert (band[:, 1].min(), band[:, 1].max()) == (120.0, 128.0)  # yhat_lower to yhat_upper
    assert axes.get_xlim() == (-0.5, 239.5)
    assert axes.get_xticks().tolist() == [0, 78, 156]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["Jul 06", "Jul 07", "Jul 08"]


def test_on_trading_time_a_forecast_after_one_bar_or_none_starts_at_the_left() -> None:
    close, forecast = three_sessions()
    one_bar = drawn(close.iloc[-1:], forecast, "America/New_York")
    np.testing.assert_array_equal(one_bar.lines[1].get_xdata(), np.arange(7))
    no_bars = drawn(close.iloc[:0], forecast, "America/New_York")
    np.testing.assert_array_equal(no_bars.lines[1].get_xdata(), np.arange(6))
    assert no_bars.get_xlim() == (-0.5, 5.5)


def test_the_legend_tells_the_close_from_the_dashed_forecast_and_its_band() -> None:
    close, forecast = three_sessions()
    axes = drawn(close, forecast)
    history, ahead = axes.lines
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "close",
        "forecast interval",
        "forecast",
    ]
    assert (history.get_linestyle(), ahead.get_linestyle()) == ("-", "--")
    assert to_hex(history.get_color()) != to_hex(ahead.get_color())
    assert to_hex(ahead.get_color()) == to_hex(axes.collections[0].get_facecolor()[0])
    assert axes.get_title() == "ACME"


def test_no_data_is_said_in_the_middle_of_the_chart() -> None:
    axes = drawn(pd.Series([], dtype="float64", index=pd.DatetimeIndex([])), None)
    (text,) = axes.texts
    assert (text.get_text(), text.get_position()) == ("no data", (0.5, 0.5))
    assert (text.get_ha(), text.get_va()) == ("center", "center")
    assert text.get_transform() is axes.transAxes
    assert axes.get_legend() is None


def test_a_render_holds_its_width_times_height_of_the_process_s_budget(monkeypatch) -> None:
    """The budget bounds the pixels drawn at once (its memory), so each render takes its area."""
    import shared.charting.render as render

    taken: list[int] = []

    class Recorded(PixelBudget):
        def taken(self, pixels: int):  # type: ignore[override]
            taken.append(pixels)
            return super().taken(pixels)

    monkeypatch.setattr(render, "BUDGET", Recorded(render.RENDER_BUDGET_PIXELS))
    render_chart(history_frame(30), None, "ACME", 400, 240)
    assert taken == [400 * 240]


def test_the_title_and_the_trading_time_axis_reach_the_png() -> None:
    """The same bars drawn on clock time, on trading time, or under another title differ."""
    close, forecast = three_sessions()
    history = close.tz_localize("UTC").to_frame("close")
    on_trading_time = render_chart(history, forecast, "ACME", session_zone="America/New_York")
    on_clock_time = render_chart(history, forecast, "ACME")
    retitled = render_chart(history, forecast, "BRK.B", session_zone="America/New_York")
    assert not np.array_equal(pixels(on_trading_time), pixels(on_clock_time))
    assert not np.array_equal(pixels(on_trading_time), pixels(retitled))
