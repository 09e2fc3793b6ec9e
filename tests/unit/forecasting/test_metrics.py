"""Backtest measures and the naive/drift formulas on cases small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import metrics
from shared.forecasting.models import random_walk

Z80 = 1.2815515655446004  # the normal quantile at 0.9


def frame(yhat: list[float], lower: list[float], upper: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"yhat": yhat, "yhat_lower": lower, "yhat_upper": upper})


def test_score_on_a_hand_computed_case() -> None:
    train = np.array([8.0, 10.0, 9.0, 10.0])
    actual = np.array([10.0, 12.0, 11.0])
    forecast = frame([11, 11, 11], [10.5, 10, 9], [11.5, 12.5, 10.5])
    result = metrics.score(actual, forecast, train)
    # model MAE (1 + 1 + 0) / 3 = 2/3; in-sample naive MAE (2 + 1 + 1) / 3 = 4/3
    # naive forecast 10: MAE (0 + 2 + 1) / 3 = 1
    # drift (10 - 8) / 3 per step: 10 2/3, 11 1/3, 12 -> MAE (2/3 + 2/3 + 1) / 3 = 7/9
    assert result == pytest.approx(
        {
            "mape": (1 / 10 + 1 / 12 + 0) / 3 * 100,
            "mase": 0.5,
            "rel_naive": 2 / 3,
            "rel_drift": 6 / 7,
            "coverage": 1 / 3,
        },
        rel=1e-12,
    )


def test_zero_denominators_give_finite_documented_values() -> None:
    flat = np.full(5, 7.0)
    perfect = metrics.score(np.full(2, 7.0), frame([7, 7], [7, 7], [7, 7]), flat)
    assert perfect == dict(mape=0.0, mase=0.0, rel_naive=1.0, rel_drift=1.0, coverage=1.0)
    off = metrics.score(np.zeros(2), frame([1, 1], [0, 0], [2, 2]), np.zeros(3))
    assert all(math.isfinite(value) for value in off.values())
    assert off["mase"] == off["rel_naive"] == 1 / metrics.EPSILON
    assert off["mape"] == 100 / metrics.EPSILON


def test_naive_intervals_follow_sigma_sqrt_h() -> None:
    # residuals 2, -1, 2: sigma^2 = (4 + 1 + 4) / (T - 1 = 3) = 3
    times = pd.date_range("2026-01-01", periods=2, tz="UTC")
    result = random_walk(np.array([1.0, 3.0, 2.0, 4.0]), times, 0.8, drift=False)
    assert list(result["yhat"]) == [4.0, 4.0]
    spread = (result["yhat_upper"] - result["yhat"]) / Z80
    assert list(spread) == pytest.approx([math.sqrt(3), math.sqrt(6)])
    assert list(result["yhat"] - result["yhat_lower"]) == pytest.approx(list(spread * Z80))


def test_drift_intervals_follow_the_drift_adjusted_formula() -> None:
    # drift (4 - 1) / 3 = 1; residuals 1, -2, 1: sigma^2 = 6 / (T - 2 = 2) = 3
    # sd_h = sigma * sqrt(h * (1 + h / (T - 1))): h=1 -> sqrt(3 * 4/3) = 2, h=2 -> sqrt(10)
    times = pd.date_range("2026-01-01", periods=2, tz="UTC")
    result = random_walk(np.array([1.0, 3.0, 2.0, 4.0]), times, 0.8, drift=True)
    assert list(result["yhat"]) == pytest.approx([5.0, 6.0])
    assert list((result["yhat_upper"] - result["yhat"]) / Z80) == pytest.approx([2, math.sqrt(10)])
    assert list(result.index) == list(times)
