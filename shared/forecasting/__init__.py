"""Forecasts of one bar series: Prophet tuned to bar data, naive and drift benchmarks, a backtest.

Pure computation: a pandas series in, a `Forecast` out. Prophet is imported only when a Prophet
model is fitted (see `prophet_model`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shared.contract.errors import BadInput, Unprocessable
from shared.contract.schema import INTERVALS
from shared.forecasting import calendar
from shared.forecasting.backtest import backtest
from shared.forecasting.models import fit_predict

__all__ = ["MODELS", "WIDTH_RANGE", "Forecast", "forecast", "minimum_points"]

MODELS = ("prophet", "naive", "drift", "auto")
AUTO_CANDIDATES = ("naive", "drift", "prophet")  # on equal MASE the simpler model wins
MIN_TRAIN_POINTS = 20
WIDTH_RANGE = (0.5, 0.99)
"""The prediction interval widths a caller may ask for (0.8: an 80% interval)."""


@dataclass(frozen=True)
class Forecast:
    """A forecast and how well the same model did on the last `horizon` points of the history.

    `frame` holds only future rows: a UTC DatetimeIndex named "time" and float64 columns yhat,
    yhat_lower, yhat_upper. `metrics` (mape, mase, rel_naive, rel_drift, coverage) come from the
    backtest and are always finite floats; see `metrics.score` for each one and how a zero
    denominator is handled (floored at machine epsilon; two zero MAEs give a ratio of 1.0).
    `model` is the model that produced `frame` (for 'auto', the winner); `fit_seconds` is the
    final fit's duration; `train_points` the points it was fitted on (Prophet: a recent window,
    see `calendar.training_window`; naive and drift: the whole history).
    """

    model: str
    frame: pd.DataFrame
    metrics: dict[str, float]
    fit_seconds: float
    train_points: int


def minimum_points(interval: str, horizon: int) -> int:
    """Fewest history points `forecast` accepts: the hold-out plus a training set.

    The training set is at least 20 points, at least `horizon` points and, intraday, at least
    one full session of bars.
    """
    _check(interval, horizon)
    session = 0 if interval == calendar.DAILY else calendar.bars_per_session(interval)
    return horizon + max(MIN_TRAIN_POINTS, horizon, session)


def forecast(
    history: pd.Series,
    interval: str,
    horizon: int,
    model: str = "prophet",
    interval_width: float = 0.8,
) -> Forecast:
    """Backtest `model` on the last `horizon` points, then forecast `horizon` bars ahead.

    `history` is a float series indexed by ascending UTC bar timestamps; missing values are
    dropped. `model` 'auto' backtests naive, drift and prophet and forecasts with the lowest
    MASE. For a single model the backtest and the final fit run in parallel threads.
    Raises Unprocessable when the history is too short, BadInput for invalid arguments.
    """
    _check(interval, horizon)
    if model not in MODELS:
        raise BadInput(f"The model {model!r} is not valid: use one of {', '.join(MODELS)}.")
    if not WIDTH_RANGE[0] <= interval_width <= WIDTH_RANGE[1]:
        raise BadInput(
            f"The interval width must be from {WIDTH_RANGE[0]} to {WIDTH_RANGE[1]}, "
            f"not {interval_width}."
        )
    series = _prepared(history)
    needed = minimum_points(interval, horizon)
    if len(series) < needed:
        raise Unprocessable(
            f"The history has {len(series)} points; forecasting {horizon} periods ahead "
            f"needs at least {needed}."
        )
    future = calendar.future_times(series.index[-1], interval, horizon)
    if model == "auto":
        scores = {
            name: backtest(name, series, interval, horizon, interval_width)
            for name in AUTO_CANDIDATES
        }
        model = min(AUTO_CANDIDATES, key=lambda name: scores[name]["mase"])
        metrics = scores[model]
        final = fit_predict(model, series, future, interval, interval_width)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(fit_predict, model, series, future, interval, interval_width)
            metrics = backtest(model, series, interval, horizon, interval_width)
            final = pending.result()
    return Forecast(model, final.frame, metrics, final.fit_seconds, final.train_points)


def _check(interval: str, horizon: int) -> None:
    if interval not in INTERVALS:
        raise BadInput(
            f"The interval {interval!r} is not valid: use one of {', '.join(INTERVALS)}."
        )
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise BadInput(f"The horizon must be a whole number of periods from 1 up, not {horizon!r}.")


def _prepared(history: pd.Series) -> pd.Series:
    """Finite float64 values on a sorted, unique UTC index."""
    index = history.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise TypeError("history must be indexed by time-zone-aware timestamps")
    series = history.astype(np.float64).set_axis(index.tz_convert("UTC"))
    series = series[np.isfinite(series.to_numpy())]
    return series[~series.index.duplicated(keep="last")].sort_index()
