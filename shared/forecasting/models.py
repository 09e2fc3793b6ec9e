"""The forecasting models behind one call: fit on a training series, predict at given times.

`naive` and `drift` are the random-walk benchmarks of Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice* (3rd ed.), section 5.5, with their normal prediction intervals; they use
the whole history. `prophet` lives in `prophet_model` and uses a recent training window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from shared.forecasting import prophet_model
from shared.forecasting.metrics import drift_path, naive_path


@dataclass(frozen=True)
class Prediction:
    """Forecast rows at the requested times, with what it took to produce them."""

    frame: pd.DataFrame  # yhat, yhat_lower, yhat_upper (float64), indexed by the requested times
    fit_seconds: float
    train_points: int


def fit_predict(
    model: str, train: pd.Series, times: pd.DatetimeIndex, interval: str, width: float
) -> Prediction:
    """Fit `model` ('naive', 'drift' or 'prophet') on `train` and forecast at `times`."""
    if model == "prophet":
        frame, seconds, points = prophet_model.fit_predict(train, times, interval, width)
        return Prediction(frame, seconds, points)
    started = time.perf_counter()
    frame = random_walk(train.to_numpy(dtype=np.float64), times, width, drift=model == "drift")
    return Prediction(frame, time.perf_counter() - started, len(train))


def random_walk(y: np.ndarray, times: pd.DatetimeIndex, width: float, drift: bool) -> pd.DataFrame:
    """Naive (last value) or drift forecasts `h` = 1, 2, ... bars ahead, one per time.

    sigma is the residual standard deviation of the one-step forecasts: residuals y[t] - y[t-1]
    (minus the drift), their sum of squares divided by T - 1 (naive) or T - 2 (drift: one
    estimated parameter). The h-step standard deviation is sigma * sqrt(h) for naive and
    sigma * sqrt(h * (1 + h / (T - 1))) for drift; bounds are normal quantiles.
    """
    steps = len(times)
    h = np.arange(1, steps + 1, dtype=np.float64)
    size = len(y)
    if drift:
        yhat = drift_path(y, steps)
        residuals = np.diff(y) - (y[-1] - y[0]) / (size - 1)
        sigma = np.sqrt(np.sum(residuals**2) / (size - 2))
        spread = sigma * np.sqrt(h * (1 + h / (size - 1)))
    else:
        yhat = naive_path(y, steps)
        sigma = np.sqrt(np.sum(np.diff(y) ** 2) / (size - 1))
        spread = sigma * np.sqrt(h)
    z = NormalDist().inv_cdf((1 + width) / 2)
    return pd.DataFrame(
        {"yhat": yhat, "yhat_lower": yhat - z * spread, "yhat_upper": yhat + z * spread},
        index=times,
    )
