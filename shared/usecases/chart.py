"""The chart of a stored symbol: its recent closes, its latest forecast, and a title naming both."""

from __future__ import annotations

import math

import pandas as pd

from shared.charting.render import render_chart
from shared.contract.errors import Unprocessable
from shared.contract.schema import DAILY
from shared.influx.client import InfluxClient
from shared.market.calendar import calendar
from shared.market.exchanges import exchange_of
from shared.store import forecasts, prices


def chart_png(
    storage: InfluxClient,
    symbol: str,
    bucket: str,
    target: str,
    interval: str,
    points: int,
    width: int,
    height: int,
    adjusted: bool = True,
) -> bytes:
    """The chart of a stored symbol: its last `points` closes (split- and dividend-adjusted
    unless `adjusted` is False) and its latest forecast."""
    history = prices.newest(
        storage, bucket, symbol, interval, ("close",), points, adjusted=adjusted
    )
    if history.empty:
        raise Unprocessable(f"There are no {interval} prices for {symbol} in bucket {bucket!r}.")
    forecast, model, rel_naive = current_forecast(storage, target, symbol, interval)
    return render_chart(
        history,
        forecast,
        title(symbol, interval, model, rel_naive),
        width,
        height,
        session_zone=None if interval == DAILY else calendar(exchange_of(symbol)).tz,
    )


def title(symbol: str, interval: str, model: str | None, rel_naive: float | None) -> str:
    """`IBM daily, drift forecast (error 0.93x naive's)`: what the chart shows, in one line."""
    where = "UTC" if interval == DAILY else "New York sessions"
    if model is None:
        return f"{symbol} {interval} ({where}), no forecast"
    skill = (
        f" (error {rel_naive:.2f}x naive's)"
        if rel_naive is not None and math.isfinite(rel_naive)
        else ""
    )
    return f"{symbol} {interval} ({where}), {model} forecast{skill}"


def current_forecast(
    storage: InfluxClient, target: str, symbol: str, interval: str
) -> tuple[pd.DataFrame | None, str | None, float | None]:
    """The current close forecast, its model, and that run's error relative to naive's."""
    forecast = forecasts.latest(storage, target, symbol, interval, "close")
    if forecast.empty:
        return None, None, None
    model = str(forecast["model"].iloc[0])
    run = forecasts.run_of(storage, target, symbol, interval, "close", model)
    rel_naive = None if run is None or pd.isna(run.get("rel_naive")) else float(run["rel_naive"])
    return forecast, model, rel_naive
