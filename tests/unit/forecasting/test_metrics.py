"""Window scores, pooling, and the naive and drift reference paths, on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import metrics


def frame(yhat: list[float], lower: list[float], upper: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"yhat": yhat, "yhat_lower": lower, "yhat_upper": upper})


def test_score_on_a_hand_computed_case() -> None:
    train = np.array([-2.0, 0.0, -1.0, 0.0])  # not all positive: drift steps by differences
    actual = np.array([0.0, 2.0, 1.0])
    forecast = frame([1, 1, 1], [0.5, 0, -1], [1.5, 2.5, 0.5])
    result = metrics.score(actual, forecast, train)
    # model MAE (1 + 1 + 0) / 3 = 2/3; in-sample naive MAE (2 + 1 + 1) / 3 = 4/3
    # naive forecast 0: MAE (0 + 2 + 1) / 3 = 1
    # drift (0 - -2) / 3 per step: 2/3, 4/3, 2 -> MAE (2/3 + 2/3 + 1) / 3 = 7/9
    assert result == pytest.approx(
        {
            "mape": (1 / metrics.EPSILON + 1 / 2 + 0) / 3 * 100,
            "mase": 0.5,
            "rel_naive": 2 / 3,
            "rel_drift": 6 / 7,
            "coverage": 1 / 3,
        },
        rel=1e-12,
    )


def test_drift_of_a_positive_series_steps_by_its_average_growth() -> None:
    assert list(metrics.drift_path(np.array([1.0, 2.0, 4.0]), 2)) == pytest.approx([8.0, 16.0])
    assert list(metrics.drift_path(np.array([0.0, 2.0, 4.0]), 2)) == pytest.approx([6.0, 8.0])


def test_pooled_ratios_are_ratios_of_summed_errors() -> None:
    first = metrics.WindowScore(mae=1, naive_mae=2, drift_mae=1, scale=1, mape=10, coverage=1.0)
    second = metrics.WindowScore(mae=3, naive_mae=2, drift_mae=4, scale=3, mape=30, coverage=0.5)
    assert metrics.pooled([first, second]) == pytest.approx(
        {"mape": 20, "mase": 1.0, "rel_naive": 1.0, "rel_drift": 0.8, "coverage": 0.75}
    )


def test_zero_denominators_give_finite_documented_values() -> None:
    flat = np.full(5, 7.0)
    perfect = metrics.score(np.full(2, 7.0), frame([7, 7], [7, 7], [7, 7]), flat)
    assert perfect == dict(mape=0.0, mase=0.0, rel_naive=1.0, rel_drift=1.0, coverage=1.0)
    off = metrics.score(np.zeros(2), frame([1, 1], [0, 0], [2, 2]), np.zeros(3))
    assert all(math.isfinite(value) for value in off.values())
    assert off["mase"] == off["rel_naive"] == 1 / metrics.EPSILON
    assert off["mape"] == 100 / metrics.EPSILON
