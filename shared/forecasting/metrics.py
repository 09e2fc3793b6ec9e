"""Accuracy of a forecast against held-out values: MAPE, MASE, relative MAEs and interval coverage.

Every measure is a finite float. A zero denominator is replaced by float64's machine epsilon
(as scikit-learn does for MAPE), and two zero MAEs compare as equal (ratio 1.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EPSILON = float(np.finfo(np.float64).eps)


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
    """The last training value plus the average step from the first to the last value."""
    slope = (train[-1] - train[0]) / (len(train) - 1)
    return train[-1] + slope * np.arange(1, horizon + 1)


def score(actual: np.ndarray, forecast: pd.DataFrame, train: np.ndarray) -> dict[str, float]:
    """Measures of `forecast` (yhat, yhat_lower, yhat_upper) on the held-out `actual` values.

    - mape: mean absolute percentage error, percent.
    - mase: model MAE over the in-sample MAE of the one-step naive forecast on `train` (every
      point before the hold-out); a constant `train` scales by epsilon.
    - rel_naive, rel_drift: model MAE over the MAE of the naive (last value) and the
      random-walk-with-drift forecasts from `train` on the same hold-out.
    - coverage: share of `actual` inside [yhat_lower, yhat_upper].
    """
    predicted = forecast["yhat"].to_numpy()
    error = mae(actual, predicted)
    inside = (forecast["yhat_lower"].to_numpy() <= actual) & (
        actual <= forecast["yhat_upper"].to_numpy()
    )
    horizon = len(actual)
    return {
        "mape": mape(actual, predicted),
        "mase": error / max(float(np.mean(np.abs(np.diff(train)))), EPSILON),
        "rel_naive": relative(error, mae(actual, naive_path(train, horizon))),
        "rel_drift": relative(error, mae(actual, drift_path(train, horizon))),
        "coverage": float(np.mean(inside)),
    }
