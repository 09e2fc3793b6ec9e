"""Predicting a stored series: read, forecast, replace the previous forecast, record the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import FORECAST, FORECAST_RUNS, PRICES
from shared.contract.timefmt import rfc3339
from shared.forecasting import MODELS, forecast
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal

MAX_HISTORY_POINTS = 20_000


@dataclass(frozen=True)
class PredictRequest:
    """What to forecast and where the forecast goes."""

    symbol: str
    bucket: str
    target: str
    interval: str
    field: str
    horizon: int
    model: str
    interval_width: float


def read_series(storage: InfluxClient, request: PredictRequest) -> pd.Series:
    """The newest `MAX_HISTORY_POINTS` values of the series, oldest first."""
    tags = tags_equal(symbol=request.symbol, interval=request.interval)
    query = (
        f'SELECT {ident(request.field)} FROM "prices" WHERE {tags} '
        f"ORDER BY time DESC LIMIT {MAX_HISTORY_POINTS}"
    )
    frame = storage.query(request.bucket, query, PRICES)
    if frame.empty:
        raise Unprocessable(
            f"There is no {request.interval} data for {request.symbol} in bucket "
            f"{request.bucket!r}: fetch it first."
        )
    return frame[request.field].astype("float64").sort_index()


def replace_forecast(storage: InfluxClient, target: str, frame: pd.DataFrame) -> None:
    """Make `frame` the only stored forecast of its symbol, interval and field.

    The new points go in first and only what they leave of older forecasts is deleted after:
    readers never find the forecast missing, and the series being written is never deleted
    (delete-then-write lost points on InfluxDB 1.6 when predictions ran concurrently).
    """
    storage.write(target, frame, FORECAST)
    row = frame.iloc[0]
    tags = {"symbol": row["symbol"], "interval": row["interval"], "field": row["field"]}
    one_tick = pd.Timedelta(1, "ns")
    storage.delete(target, "forecast", tags, until=frame.index.min() - one_tick)
    storage.delete(target, "forecast", tags, since=frame.index.max() + one_tick)
    for model in sorted(set(MODELS) - {row["model"]}):
        storage.delete(target, "forecast", {**tags, "model": model})


def predict(storage: InfluxClient, request: PredictRequest) -> dict[str, Any]:
    """Forecast the series and make it the only forecast of its symbol, interval and field."""
    history = read_series(storage, request)
    result = forecast(
        history, request.interval, request.horizon, request.model, request.interval_width
    )
    storage.create_bucket(request.target)
    tags = {"symbol": request.symbol, "interval": request.interval, "field": request.field}
    replace_forecast(storage, request.target, result.frame.assign(**tags, model=result.model))
    run = pd.DataFrame(
        {
            "symbol": [request.symbol],
            "interval": [request.interval],
            "model": [result.model],
            "horizon": [request.horizon],
            "train_points": [result.train_points],
            "fit_seconds": [result.fit_seconds],
            **{k: [float(v)] for k, v in result.metrics.items()},
        },
        index=pd.DatetimeIndex([pd.Timestamp.now(tz="UTC")], name="time"),
    )
    storage.write(request.target, run, FORECAST_RUNS, precision="ms")
    return {
        "symbol": request.symbol,
        "bucket": request.bucket,
        "target": request.target,
        "interval": request.interval,
        "field": request.field,
        "horizon": request.horizon,
        "model": result.model,
        "points": len(result.frame),
        "first": rfc3339(result.frame.index.min()),
        "last": rfc3339(result.frame.index.max()),
        "fit_seconds": round(result.fit_seconds, 4),
        "train_points": result.train_points,
        "metrics": {k: round(float(v), 6) for k, v in result.metrics.items()},
    }
