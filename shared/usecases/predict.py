"""predict: read a stored series, forecast it, make that the series' forecast, record the run."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shared.contract.errors import BucketNotFound, QueryRefused, Unprocessable
from shared.contract.payloads import Fetched, Predicted
from shared.contract.schema import DEFAULT_EXCHANGE
from shared.contract.timefmt import rfc3339
from shared.forecasting import forecast
from shared.influx.client import InfluxClient
from shared.market import risk
from shared.store import forecasts, prices

MAX_HISTORY_POINTS = 20_000
FORECAST_VALUES = ("yhat", "yhat_lower", "yhat_upper")
LATEST_TIME = pd.Timestamp.max.tz_localize("UTC")
"""The last nanosecond timestamp (2262-04-11): InfluxDB's and pandas' end of time."""
METRICS = ("mape", "mase", "rel_naive", "rel_drift", "coverage")
"""The skill scores a run records, as predict reports them."""
NAIVE_STORED = ("mape", "mase", "coverage")
"""The naive forecast's scores a run records beside its own (naive's rel_naive is 1)."""


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
    adjusted: bool = True
    """Forecast the split- and dividend-adjusted series (False: the raw bars)."""
    exchange: str = DEFAULT_EXCHANGE
    """The exchange (ISO MIC) whose sessions the forecast's times follow."""


def predict(
    client: InfluxClient, request: PredictRequest, fetched: Fetched | None = None
) -> Predicted:
    """Forecast the series and make it the only forecast of its symbol, interval and field.

    When `fetched` (fetch's reply, in the pipeline) stored no new bar nor corporate action and the
    stored forecast was made from the newest bar already, that forecast is the answer: nothing is
    fitted again.
    """
    if fetched is not None and fetched.points == 0 and fetched.actions == 0:
        answer = _current_answer(client, request, fetched)
        if answer is not None:
            return answer
    history, survey = _history(client, request, fetched)
    if history.empty:
        raise Unprocessable(
            f"There is no {request.interval} data for {request.symbol} in bucket "
            f"{request.bucket!r}: fetch it first."
        )
    try:
        result = forecast(
            history[request.field].astype("float64"),
            request.interval,
            request.horizon,
            request.model,
            request.interval_width,
            request.exchange,
        )
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise _past_the_end_of_time(history, request) from None
    if result.frame.index.max() > LATEST_TIME:
        raise _past_the_end_of_time(history, request)
    _check_finite(result.frame, request)
    metrics = _finite(result.metrics)
    naive = {k: v for k, v in _finite(result.naive_metrics).items() if k in NAIVE_STORED}
    selection = {name: _finite(scores) for name, scores in result.selection.items()}
    tags = {"symbol": request.symbol, "interval": request.interval, "field": request.field}
    forecasts.replace(
        client,
        request.target,
        result.frame.assign(**tags, model=result.model),
        forecasts.Run(
            horizon=request.horizon,
            train_points=result.train_points,
            fit_seconds=result.fit_seconds,
            metrics=metrics,
            naive_metrics=naive,
            reason=result.reason,
            selection=selection,
            interval_width=request.interval_width,
            horizon_band=(
                float(result.frame["yhat_lower"].iloc[-1]),
                float(result.frame["yhat_upper"].iloc[-1]),
            ),
            risk=_risk(history[request.field], request),
        ),
        survey,
    )
    return _predicted(
        request,
        result.model,
        result.frame.index,
        fit_seconds=result.fit_seconds,
        train_points=result.train_points,
        metrics={k: metrics.get(k) for k in result.metrics},
        naive_metrics=naive,
        selection=selection,
        reason=result.reason,
        refit=True,
    )


def _risk(history: pd.Series, request: PredictRequest) -> dict[str, float]:
    """The series' risk figures, from the history already read: of adjusted closes only (raw
    prices jump at splits); the figures its history is too short for are left out."""
    if request.field != "close" or not request.adjusted:
        return {}
    figures = risk.figures(history.astype("float64"), request.interval)
    return {name: value for name, value in figures.items() if value is not None}


def _history(
    client: InfluxClient, request: PredictRequest, fetched: Fetched | None
) -> tuple[pd.DataFrame, forecasts.Survey | None]:
    """The series to forecast. In the pipeline on InfluxDB 1.x, read in the one request that
    also deletes the stored forecast's points at or before the newest bar fetch stored and
    surveys what is left (`forecasts.clearing`), so that replacing it is one write."""
    read = prices.NewestRead(
        request.symbol, request.interval, (request.field,), MAX_HISTORY_POINTS, request.adjusted
    )
    newest_bar = _newest_bar(fetched)
    if newest_bar is not None and client.generation == 1:
        series = {"symbol": request.symbol, "interval": request.interval, "field": request.field}
        clearing = forecasts.clearing(series, newest_bar)
        try:
            answers = client.select(request.target, [*clearing, *read.statements(request.bucket)])
        except (BucketNotFound, QueryRefused):
            pass  # a first forecast (no target yet), or no bars' bucket: read the bars alone
        else:
            return read.frame(answers[len(clearing) :]), forecasts.survey_of(answers)
    return read.frame(client.select(request.bucket, read.statements())), None


def _newest_bar(fetched: Fetched | None) -> pd.Timestamp | None:
    """The time of the newest bar fetch's reply says is stored, if it says one."""
    if fetched is None or fetched.last is None:
        return None
    try:
        return pd.Timestamp(fetched.last).tz_convert("UTC")
    except (ValueError, TypeError):
        return None


def _past_the_end_of_time(history: pd.DataFrame, request: PredictRequest) -> Unprocessable:
    return Unprocessable(
        f"The stored {request.interval} data of {request.symbol} ends at "
        f"{rfc3339(history.index.max())}: forecasting past it leaves the range of timestamps "
        "pandas and InfluxDB hold (up to 2262-04-11); nothing was written."
    )


def _check_finite(frame: pd.DataFrame, request: PredictRequest) -> None:
    """The one gate before predict writes: a forecast that overflowed is refused whole (422)."""
    values = frame[list(FORECAST_VALUES)].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        raise Unprocessable(
            f"The {request.field} of {request.symbol} cannot be forecast: its values are too "
            "large for the model's arithmetic (the forecast overflowed); nothing was written."
        )


def _current_answer(
    client: InfluxClient, request: PredictRequest, fetched: Fetched
) -> Predicted | None:
    """predict's answer from the stored forecast, if it starts after the newest bar, has the
    horizon asked for and comes from the model asked for (any, for `auto`); else None."""
    stored, run = forecasts.current(
        client, request.target, request.symbol, request.interval, request.field
    )
    if stored.empty or run is None or fetched.last is None or len(stored) != request.horizon:
        return None
    model = str(stored["model"].iloc[0])
    if request.model not in ("auto", model) or stored.index.min() <= pd.Timestamp(fetched.last):
        return None
    return _predicted(
        request,
        model,
        stored.index,
        fit_seconds=0.0,
        train_points=int(run["train_points"]),
        metrics={k: float(run[k]) for k in METRICS if k in run and pd.notna(run[k])},
        naive_metrics={
            k: float(run[f"naive_{k}"]) for k in NAIVE_STORED if pd.notna(run.get(f"naive_{k}"))
        },
        selection=json.loads(run["selection"]) if isinstance(run.get("selection"), str) else {},
        reason=str(run["reason"]) if pd.notna(run.get("reason")) else "",
        refit=False,
    )


def _predicted(
    request: PredictRequest,
    model: str,
    times: pd.DatetimeIndex,
    *,
    fit_seconds: float,
    train_points: int,
    metrics: dict[str, float | None],
    naive_metrics: dict[str, float],
    selection: dict[str, dict[str, float]],
    reason: str,
    refit: bool,
) -> Predicted:
    """predict's reply for the forecast at `times` that `model` drew."""
    return Predicted(
        symbol=request.symbol,
        bucket=request.bucket,
        target=request.target,
        interval=request.interval,
        field=request.field,
        horizon=request.horizon,
        model=model,
        points=len(times),
        first=rfc3339(times.min()),
        last=rfc3339(times.max()),
        fit_seconds=round(fit_seconds, 4),
        train_points=train_points,
        metrics={k: None if v is None else round(v, 6) for k, v in metrics.items()},
        naive_metrics={k: round(v, 6) for k, v in naive_metrics.items()},
        selection=selection,
        reason=reason,
        refit=refit,
        exchange=request.exchange,
    )


def _finite(scores: dict[str, float]) -> dict[str, float]:
    """The scores that are numbers: InfluxDB stores no infinity, and JSON has none."""
    return {name: float(value) for name, value in scores.items() if math.isfinite(value)}
