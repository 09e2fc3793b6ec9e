"""PNG price charts: the close line, and the forecast continuing it inside its shaded interval.

matplotlib is imported on first use, so functions that never draw do not pay for it, and only its
object API is used (a `Figure` drawn by the Agg canvas, no `pyplot` state), so concurrent requests
each draw their own figure.
"""

from __future__ import annotations

import io

import pandas as pd

from shared.contract.errors import BucketNotFound, Unprocessable
from shared.contract.schema import FORECAST, PRICES
from shared.influx.client import InfluxClient
from shared.influx.influxql import tags_equal

DPI = 100
MIN_SIZE = (160, 100)
"""The smallest width and height, in pixels, that leave room for the axes' labels."""
MAX_SIZE = (4096, 4096)
FORECAST_COLUMNS = ("yhat", "yhat_lower", "yhat_upper")


def render_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    symbol: str,
    width: int = 800,
    height: int = 400,
) -> bytes:
    """PNG bytes of a `width` x `height` pixel chart of `symbol`.

    `history` is indexed by UTC time and has a `close` column; `forecast`, when given, is indexed
    by UTC time and has `yhat`, `yhat_lower` and `yhat_upper`. The forecast line starts at the
    last close so the two read as one line; its interval is the shaded band.
    """
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise ValueError(
            f"A chart is {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]} pixels, "
            f"not {width}x{height}."
        )
    if "close" not in history.columns:
        raise ValueError("The history frame needs a 'close' column.")
    if forecast is not None and not set(FORECAST_COLUMNS) <= set(forecast.columns):
        raise ValueError(f"The forecast frame needs the columns {', '.join(FORECAST_COLUMNS)}.")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    # Agg truncates the figure's size in pixels to whole pixels: half a pixel of headroom keeps
    # `inches * dpi` from landing a hair below the size asked for.
    figure = Figure(figsize=((width + 0.5) / DPI, (height + 0.5) / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    close = history["close"].dropna().sort_index()
    close.index = _naive_utc(close.index)
    axes.plot(close.index, close.to_numpy(), color="tab:blue", linewidth=1.4, label="close")

    if forecast is not None and not forecast.empty:
        ahead = forecast.loc[:, list(FORECAST_COLUMNS)].dropna().sort_index()
        ahead.index = _naive_utc(ahead.index)
        if not close.empty:  # start the forecast at the last close
            joint = pd.DataFrame({c: [close.iloc[-1]] for c in FORECAST_COLUMNS}, [close.index[-1]])
            ahead = pd.concat([joint, ahead[ahead.index > close.index[-1]]])
        axes.fill_between(
            ahead.index,
            ahead["yhat_lower"].to_numpy(),
            ahead["yhat_upper"].to_numpy(),
            color="tab:orange",
            alpha=0.25,
            linewidth=0,
            label="forecast interval",
        )
        axes.plot(
            ahead.index,
            ahead["yhat"].to_numpy(),
            color="tab:orange",
            linewidth=1.4,
            linestyle="--",
            label="forecast",
        )

    if axes.has_data():
        locator = AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        axes.legend(loc="best", fontsize="small", frameon=False)
    else:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(f"{symbol} (UTC)", fontsize="medium")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _naive_utc(index: pd.Index) -> pd.DatetimeIndex:
    """The index as UTC wall times without a zone, which matplotlib plots as they are."""
    times = pd.DatetimeIndex(index)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    return times


def chart_png(
    storage: InfluxClient,
    symbol: str,
    bucket: str,
    target: str,
    interval: str,
    points: int,
    width: int,
    height: int,
) -> bytes:
    """The chart of a stored symbol: its last `points` closes and its latest forecast."""
    tags = tags_equal(symbol=symbol, interval=interval)
    history = storage.query(
        bucket,
        f'SELECT "close" FROM "prices" WHERE {tags} ORDER BY time DESC LIMIT {points}',
        PRICES,
    )
    if history.empty:
        raise Unprocessable(f"There are no {interval} prices for {symbol} in bucket {bucket!r}.")
    try:
        forecast = storage.query(
            target, f'SELECT * FROM "forecast" WHERE {tags} AND "field" = \'close\'', FORECAST
        )
    except BucketNotFound:
        forecast = None
    return render_chart(
        history.sort_index(),
        forecast if forecast is not None and len(forecast) else None,
        symbol,
        width,
        height,
    )
