"""Accuracy of forecasts against held-out values, per window and pooled over windows.

Every measure is a finite float. A zero denominator is replaced by float64's machine epsilon
(as scikit-learn does for MAPE), and two zero errors compare as equal (ratio 1.0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

EPSILON = float(np.finfo(np.float64).eps)
NAMES = ("mape", "mase", "rel_naive", "rel_drift", "coverage")


@dataclass(frozen=True)
class WindowScore:
    """Errors of one forecast on one held-out window, kept apart so windows can be pooled."""

    mae: float  # the forecast's mean absolute error
    naive_mae: float  # the naive (last value) forecast's, on the same window
    drift_mae: float  # the drift forecast's, on the same window
    scale: float  # in-sample MAE of the one-step naive forecast on the training values
    mape: float  # percent
    coverage: float  # share of actual values inside the forecast's bounds


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error, in percent; a zero actual counts as epsilon."""
    return float(np.mean(np.abs(actual - predicted) / np.maximum(np.abs(actual), EPSILON)) * 100)


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(actual - predicted)))


def relative(error: float, reference: float) -> float:
    """error / reference: 1.0 when both are zero, the reference floored at epsilon otherwise."""
    if error == reference:
        return 1.0
    return error / max(reference, EPSILON)


def naive_path(train: np.ndarray, horizon: int) -> np.ndarray:
    """The last training value, repeated."""
    return np.full(horizon, train[-1])


def drift_path(train: np.ndarray, horizon: int) -> np.ndarray:
    """The last value moved on by the average step from the first to the last value.

    Positive series step by the average growth factor (a random walk with drift in log prices);
    any other series by the average difference.
    """
    steps = np.arange(1, horizon + 1)
    if np.all(train > 0):
        growth = np.log(train[-1] / train[0]) / (len(train) - 1)
        return train[-1] * np.exp(growth * steps)
    return train[-1] + (train[-1] - train[0]) / (len(train) - 1) * steps


def window_score(
    actual: np.ndarray, yhat: np.ndarray, lower: np.ndarray, upper: np.ndarray, train: np.ndarray
) -> WindowScore:
    """Errors of a forecast (yhat within [lower, upper]) on `actual`, trained on `train`."""
    horizon = len(actual)
    inside = (lower <= actual) & (actual <= upper)
    return WindowScore(
        mae=mae(actual, yhat),
        naive_mae=mae(actual, naive_path(train, horizon)),
        drift_mae=mae(actual, drift_path(train, horizon)),
        scale=float(np.mean(np.abs(np.diff(train)))),
        mape=mape(actual, yhat),
        coverage=float(np.mean(inside)),
    )


def pooled(windows: Sequence[WindowScore]) -> dict[str, float]:
    """The reported measures over one or more windows of equal length.

    - mape: mean absolute percentage error, percent (mean over windows).
    - mase: the forecast's MAE over the in-sample MAE of the one-step naive forecast on the
      training values, mean over windows; a constant training series scales by epsilon.
    - rel_naive, rel_drift: the forecast's summed MAE over the naive's and the drift forecast's
      on the same windows (a ratio of pooled errors, as the evaluation measures it).
    - coverage: share of actual values inside [yhat_lower, yhat_upper].
    """
    return {
        "mape": float(np.mean([w.mape for w in windows])),
        "mase": float(np.mean([w.mae / max(w.scale, EPSILON) for w in windows])),
        "rel_naive": relative(sum(w.mae for w in windows), sum(w.naive_mae for w in windows)),
        "rel_drift": relative(sum(w.mae for w in windows), sum(w.drift_mae for w in windows)),
        "coverage": float(np.mean([w.coverage for w in windows])),
    }


def score(actual: np.ndarray, forecast: pd.DataFrame, train: np.ndarray) -> dict[str, float]:
    """The measures of `pooled` for one forecast frame (yhat, yhat_lower, yhat_upper)."""
    yhat, lower, upper = (
        forecast[c].to_numpy(dtype=np.float64) for c in ("yhat", "yhat_lower", "yhat_upper")
    )
    return pooled([window_score(actual, yhat, lower, upper, train)])
