"""PNG price charts: the close line, and the forecast continuing it inside its shaded interval.

Only chart imports this module, so matplotlib loads while chart starts (before its readiness
probe answers), not on its first request. Only matplotlib's object API is used (a `Figure` drawn
by the Agg canvas, no `pyplot` state), so concurrent requests each draw their own figure.

Memory: Agg draws into a width x height x 4-byte buffer (64 MiB at 4096 x 4096). matplotlib's
artists form reference cycles and each `Text` keeps the last renderer it drew with, so without
help that buffer lives until Python's full garbage collection, which may be many requests away.
`render_chart` therefore takes its pixels from a process-wide budget (`RENDER_BUDGET_PIXELS`)
and drops every reference to the renderer as soon as the PNG is encoded.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.text import Text

DPI = 100
MIN_SIZE = (160, 100)
"""The smallest width and height, in pixels, that leave room for the axes' labels."""
MAX_SIZE = (4096, 4096)
RENDER_BUDGET_PIXELS = 2 * MAX_SIZE[0] * MAX_SIZE[1]
"""Pixels drawn at once in one process (two of the largest charts); requests past it wait. At
the measured cost per pixel this keeps a chart pod far under its memory limit whatever its
containerConcurrency (see docs/reliability.md)."""
FORECAST_COLUMNS = ("yhat", "yhat_lower", "yhat_upper")
LABEL_SPACING_PIXELS = 90
"""The least room a session label on the trading-time axis gets."""


def check_size(width: int, height: int) -> None:
    """Refuse a size outside `MIN_SIZE`..`MAX_SIZE` (ValueError)."""
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise ValueError(
            f"A chart is {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]} pixels, "
            f"not {width}x{height}."
        )


class PixelBudget:
    """A counting semaphore in pixels: draws wait until their canvas fits the budget."""

    def __init__(self, pixels: int) -> None:
        self.pixels = pixels
        self.in_use = 0
        self._changed = threading.Condition()

    @contextmanager
    def taken(self, pixels: int) -> Iterator[None]:
        """Hold `pixels` of the budget for the duration of the block."""
        with self._changed:
            self._changed.wait_for(lambda: self.in_use + pixels <= self.pixels)
            self.in_use += pixels
        try:
            yield
        finally:
            with self._changed:
                self.in_use -= pixels
                self._changed.notify_all()


BUDGET = PixelBudget(RENDER_BUDGET_PIXELS)


def render_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    title: str,
    width: int = 800,
    height: int = 400,
    *,
    session_zone: str | None = None,
) -> bytes:
    """PNG bytes of a `width` x `height` pixel chart titled `title`.

    `history` is indexed by UTC time and has a `close` column; `forecast`, when given, is indexed
    by UTC time and has `yhat`, `yhat_lower` and `yhat_upper`. The forecast line starts at the
    last close so the two read as one line; its interval is the shaded band. With
    `session_zone` (intraday bars: the exchange's time zone) bars are placed by position, so
    closed hours and days take no room, and the labels mark where each session starts (its date
    in that zone).
    """
    check_size(width, height)
    if "close" not in history.columns:
        raise ValueError("The history frame needs a 'close' column.")
    if forecast is not None and not set(FORECAST_COLUMNS) <= set(forecast.columns):
        raise ValueError(f"The forecast frame needs the columns {', '.join(FORECAST_COLUMNS)}.")
    close = history["close"].dropna().sort_index()
    close.index = _naive_utc(close.index)
    ahead = _forecast_from_last_close(close, forecast)

    with BUDGET.taken(width * height):
        # Agg truncates the figure's size in pixels to whole pixels: half a pixel of headroom
        # keeps `inches * dpi` from landing a hair below the size asked for.
        figure = Figure(figsize=((width + 0.5) / DPI, (height + 0.5) / DPI), dpi=DPI)
        try:
            _draw(figure, close, ahead, title, width, session_zone)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI)
        finally:
            _release(figure)
    return buffer.getvalue()


def _forecast_from_last_close(
    close: pd.Series, forecast: pd.DataFrame | None
) -> pd.DataFrame | None:
    """The forecast rows after the last close, led by the last close itself (naive UTC)."""
    if forecast is None or forecast.empty:
        return None
    ahead = forecast.loc[:, list(FORECAST_COLUMNS)].dropna().sort_index()
    ahead.index = _naive_utc(ahead.index)
    if close.empty:
        return ahead
    joint = pd.DataFrame({c: [close.iloc[-1]] for c in FORECAST_COLUMNS}, [close.index[-1]])
    return pd.concat([joint, ahead[ahead.index > close.index[-1]]])


def _draw(
    figure: Figure,
    close: pd.Series,
    ahead: pd.DataFrame | None,
    title: str,
    width: int,
    session_zone: str | None,
) -> None:

    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # the forecast's first row is the last close, when there is one
    times = (
        close.index if ahead is None else close.index.append(ahead.index[1 if len(close) else 0 :])
    )
    trading_time = session_zone is not None
    x_close = np.arange(len(close)) if trading_time else close.index
    axes.plot(x_close, close.to_numpy(), color="tab:blue", linewidth=1.4, label="close")
    if ahead is not None:
        # on trading time the forecast continues from the last close's position
        x_ahead = np.arange(len(ahead)) + max(len(close) - 1, 0) if trading_time else ahead.index
        axes.fill_between(
            x_ahead,
            ahead["yhat_lower"].to_numpy(),
            ahead["yhat_upper"].to_numpy(),
            color="tab:orange",
            alpha=0.25,
            linewidth=0,
            label="forecast interval",
        )
        axes.plot(
            x_ahead,
            ahead["yhat"].to_numpy(),
            color="tab:orange",
            linewidth=1.4,
            linestyle="--",
            label="forecast",
        )
    if len(close) or (ahead is not None and len(ahead)):  # has_data() is True after any plot
        if session_zone is not None:
            _label_sessions(axes, times, width, session_zone)
        else:
            _label_dates(axes)
        axes.legend(loc="best", fontsize="small", frameon=False)
    else:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(title, fontsize="medium")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()


def _label_dates(axes: Axes) -> None:

    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _label_sessions(axes: Axes, times: pd.DatetimeIndex, width: int, zone: str) -> None:
    positions, labels = session_ticks(times, width, zone)
    axes.set_xticks(positions, labels)
    axes.set_xlim(-0.5, len(times) - 0.5)


def session_ticks(times: pd.DatetimeIndex, width: int, zone: str) -> tuple[np.ndarray, list[str]]:
    """Positions and labels of the first bar of each trading session (its date in `zone`), every
    n-th session only when `width` pixels cannot fit them all. `times` are naive UTC."""
    days = times.tz_localize("UTC").tz_convert(zone).normalize()
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]) if len(days) else np.array([])
    every = max(1, -(-len(starts) * LABEL_SPACING_PIXELS // width))  # ceiling division
    shown = starts[::every]
    return shown, [f"{days[i]:%b %d}" for i in shown]


def _release(figure: Figure) -> None:
    """Drop every reference to the figure's renderer and its pixel buffer now.

    Each `Text` caches the renderer it last drew with (`_renderer`), and the canvas keeps its
    own; the artists are cyclic garbage that only a full collection would reclaim.
    """

    for text in figure.findobj(Text):
        text._renderer = None  # type: ignore[attr-defined]  # matplotlib's private cache
    figure.canvas.__dict__.pop("renderer", None)
    figure.clear()


def _naive_utc(index: pd.Index) -> pd.DatetimeIndex:
    """The index as UTC wall times without a zone, which matplotlib plots as they are."""
    times = pd.DatetimeIndex(index)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    return times
