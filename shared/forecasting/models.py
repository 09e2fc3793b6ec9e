"""The forecasting models behind one call: fit on a training series, predict at given times.

`naive` (last value) and `drift` (last value plus the average step) are the random-walk
benchmarks of Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.),
section 5.5, on the whole history; their bands come from recent volatility (`volatility`).
`prophet` lives in `prophet_model`, fitted on a recent training window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shared.forecasting import prophet_model
from shared.forecasting.calendar import DEFAULT_EXCHANGE
from shared.forecasting.metrics import drift_path, naive_path
from shared.forecasting.volatility import bands, volatility

COLUMNS = ("yhat", "yhat_lower", "yhat_upper")


@dataclass(frozen=True)
class Prediction:
    """Forecast rows at the requested times, with what it took to produce them."""

    frame: pd.DataFrame  # yhat, yhat_lower, yhat_upper (float64), indexed by the requested times
    fit_seconds: float
    train_points: int


def fit_predict(
    model: str,
    train: pd.Series,
    times: pd.DatetimeIndex,
    interval: str,
    width: float,
    exchange: str = DEFAULT_EXCHANGE,
) -> Prediction:
    """Fit `model` ('naive', 'drift' or 'prophet') on `train` and forecast at `times`; intraday
    bars lie on the sessions of `exchange`."""
    if model == "prophet":
        frame, seconds, points = prophet_model.fit_predict(train, times, interval, width, exchange)
        return Prediction(frame, seconds, points)
    started = time.perf_counter()
    frame = random_walk(train.to_numpy(dtype=np.float64), times, width, drift=model == "drift")
    return Prediction(frame, time.perf_counter() - started, len(train))


def random_walk(y: np.ndarray, times: pd.DatetimeIndex, width: float, drift: bool) -> pd.DataFrame:
    """Naive or drift forecasts 1, 2, ... bars ahead, one per time (see `random_walk_paths`)."""
    paths = random_walk_paths(y, len(times), width, drift)
    return pd.DataFrame(dict(zip(COLUMNS, paths, strict=True)), index=times)


def random_walk_paths(
    y: np.ndarray, steps: int, width: float, drift: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """yhat, lower and upper bound of naive (drift=False) or drift forecasts 1..`steps` ahead.

    The h-step spread is sigma * sqrt(h) for naive and sigma * sqrt(h * (1 + h / (T - 1))) for
    drift (its estimated slope adds uncertainty), sigma being the recent one-step volatility.
    """
    h = np.arange(1, steps + 1, dtype=np.float64)
    vol = volatility(y)
    if drift:
        yhat = drift_path(y, steps)
        spread = vol.sigma * np.sqrt(h * (1 + h / (len(y) - 1)))
    else:
        yhat = naive_path(y, steps)
        spread = vol.sigma * np.sqrt(h)
    lower, upper = bands(yhat, spread, width, vol)
    return yhat, lower, upper
