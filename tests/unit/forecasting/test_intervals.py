"""Recent volatility and the bands of naive and drift forecasts: known inputs, known bands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import prophet_model
from shared.forecasting.models import random_walk
from shared.forecasting.volatility import Volatility, bands, volatility

Z80 = 1.2815515655446004  # the normal quantile at 0.9
E = math.e


def test_volatility_is_the_ewma_of_squared_log_returns() -> None:
    # log returns ln 2 then 0; weights 0.5 (older) and 1 (newest)
    vol = volatility(np.array([1.0, 2.0, 2.0]), decay=0.5)
    assert vol.multiplicative
    assert vol.sigma == pytest.approx(math.sqrt(0.5 * math.log(2) ** 2 / 1.5))


def test_a_calm_recent_spell_narrows_the_band_and_a_turbulent_one_widens_it() -> None:
    calm_then_wild = np.exp(np.cumsum(np.r_[np.full(100, 0.001), np.tile([0.05, -0.05], 10)]))
    wild_then_calm = np.exp(np.cumsum(np.r_[np.tile([0.05, -0.05], 10), np.full(100, 0.001)]))
    assert volatility(calm_then_wild).sigma > 0.04 > 0.01 > volatility(wild_then_calm).sigma


def test_a_series_reaching_zero_falls_back_to_price_differences() -> None:
    vol = volatility(np.array([0.0, 2.0, 0.0, 2.0]))
    assert vol == Volatility(2.0, multiplicative=False)
    lower, upper = bands(np.array([2.0]), np.array([2.0]), 0.8, vol)
    assert (lower[0], upper[0]) == pytest.approx((2 - 2 * Z80, 2 + 2 * Z80))


def test_naive_bands_are_log_normal_around_the_last_value() -> None:
    # log returns 1, -1, 1: sigma 1 whatever the weights; h-step spread sqrt(h)
    times = pd.date_range("2026-01-01", periods=2, tz="UTC")
    result = random_walk(np.array([1.0, E, 1.0, E]), times, 0.8, drift=False)
    assert list(result["yhat"]) == [E, E]
    assert list(result["yhat_upper"]) == pytest.approx([E * math.exp(Z80 * s) for s in (1, 2**0.5)])
    assert list(result["yhat_lower"]) == pytest.approx(
        [E * math.exp(-Z80 * s) for s in (1, 2**0.5)]
    )
    assert list(result.index) == list(times)


def test_drift_bands_widen_for_the_estimated_slope() -> None:
    # growth e per step, log returns 1, 1: sigma 1; spread sqrt(h * (1 + h / (T - 1))), T = 3
    times = pd.date_range("2026-01-01", periods=2, tz="UTC")
    result = random_walk(np.array([1.0, E, E**2]), times, 0.8, drift=True)
    assert list(result["yhat"]) == pytest.approx([E**3, E**4])
    spread = np.log(result["yhat_upper"] / result["yhat"]) / Z80
    assert list(spread) == pytest.approx([math.sqrt(1.5), math.sqrt(4)])
    assert list(np.log(result["yhat"] / result["yhat_lower"]) / Z80) == pytest.approx(list(spread))


def test_prophet_s_band_adds_its_curve_s_move_to_the_random_walk_spread() -> None:
    # h = 1: sqrt(3^2 * 1 + 4^2) = 5; h = 2: sqrt(9 * 2 + 0) = sqrt(18)
    assert list(prophet_model.spread(3.0, np.array([4.0, 0.0]))) == pytest.approx([5, 18**0.5])
