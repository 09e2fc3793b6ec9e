"""predict: read a stored series, forecast it, make that the series' forecast, record the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contract.errors import Unprocessable
from shared.contract.timefmt import rfc3339
from shared.forecasting import forecast
from shared.influx.client import InfluxClient
from shared.store import forecasts, prices

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


def predict(client: InfluxClient, request: PredictRequest) -> dict[str, Any]:
    """Forecast the series and make it the only forecast of its symbol, interval and field."""
    history = prices.newest(
        client,
        request.bucket,
        request.symbol,
        request.interval,
        (request.field,),
        MAX_HISTORY_POINTS,
    )
    if history.empty:
        raise Unprocessable(
            f"There is no {request.interval} data for {request.symbol} in bucket "
            f"{request.bucket!r}: fetch it first."
        )
    result = forecast(
        history[request.field].astype("float64"),
        request.interval,
        request.horizon,
        request.model,
        request.interval_width,
    )
    tags = {"symbol": request.symbol, "interval": request.interval, "field": request.field}
    forecasts.replace(
        client,
        request.target,
        result.frame.assign(**tags, model=result.model),
        forecasts.Run(
            horizon=request.horizon,
            train_points=result.train_points,
            fit_seconds=result.fit_seconds,
            metrics=result.metrics,
        ),
    )
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
