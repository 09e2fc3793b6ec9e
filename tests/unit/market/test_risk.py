"""Risk and range figures, each against a value worked out by hand in its test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.market import risk

START = pd.Timestamp("2020-01-01", tz="UTC")


def series(values: list[float], freq: str = "D") -> pd.Series:
    return pd.Series(values, index=pd.date_range(START, periods=len(values), freq=freq))


def from_returns(returns: list[float]) -> pd.Series:
    """Closes starting at 100 whose daily log returns are `returns`."""
    return series(list(100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))))


def alternating(size: float, count: int) -> list[float]:
    return [size if i % 2 == 0 else -size for i in range(count)]


def test_volatility_of_alternating_moves():
    # 21 log returns +a, -a, ..., +a: mean a/21, sample variance (21/20)(a^2 - a^2/441) = 22/21 a^2;
    # annualised over 252 sessions: 252 * 22/21 a^2 = 264 a^2, so a * sqrt(264); a = 0.01.
    closes = from_returns(alternating(0.01, 21))
    assert risk.volatility(closes) == pytest.approx(0.01 * math.sqrt(264))
    assert risk.volatility(closes.iloc[:-1]) is None  # 20 returns: less than a month


def test_volatility_reads_only_the_last_month():
    closes = from_returns([0.2, -0.3] * 20 + alternating(0.01, 21))
    assert risk.volatility(closes) == pytest.approx(0.01 * math.sqrt(264))


def test_a_calm_month_after_a_steady_history_is_the_calmest():
    # 300 returns of +-1% then 21 of +-0.5%: 301 rolling months; every one reaching into the 1%
    # moves swings more, so none is below the last and only itself ties: (0 + 1/2) of 301
    closes = from_returns(alternating(0.01, 300) + alternating(0.005, 21))
    assert risk.volatility_percentile(closes) == pytest.approx(50 / 301)


def test_a_wild_month_is_the_wildest_and_a_steady_one_is_usual():
    # 300 of the 301 months swing less than the last, which ties only with itself
    assert risk.volatility_percentile(
        from_returns(alternating(0.01, 300) + alternating(0.03, 21))
    ) == pytest.approx((300 + 0.5) / 301 * 100)
    # every month of alternating 1% moves swings alike: all tie, half counted: 50
    assert risk.volatility_percentile(from_returns(alternating(0.01, 300))) == pytest.approx(50.0)


def test_no_percentile_without_a_year_of_months():
    assert risk.volatility_percentile(from_returns(alternating(0.01, 271))) is None  # 251 months
    assert risk.volatility_percentile(from_returns(alternating(0.01, 272))) is not None


def test_drawdown_is_the_largest_fall_from_a_running_peak():
    # peaks 100, 120, 120, 130, 130: falls 0, 0, 90/120 - 1 = -25%, 0, 117/130 - 1 = -10%
    assert risk.drawdown(series([100.0, 120.0, 90.0, 130.0, 117.0])) == pytest.approx(-0.25)
    assert risk.drawdown(series([100.0, 101.0, 102.0])) == 0.0
    assert risk.drawdown(series([100.0])) is None


def test_drawdown_looks_back_one_year_only():
    # the year is the last 253 closes (252 returns): the halving 100 -> 50 starts before it;
    # within it, 100 -> 80 is the largest fall
    closes = series([100.0, 50.0] + [100.0] * 251 + [80.0])
    assert risk.drawdown(closes) == pytest.approx(-0.2)
    shorter = series([100.0, 50.0] + [100.0] * 250 + [80.0])  # a session fewer: the halving is in
    assert risk.drawdown(shorter) == pytest.approx(-0.5)


def test_distance_from_the_52_week_high_and_low():
    # an older 200 falls outside the 252 sessions; within: high 100, low 80, last 90
    closes = series([200.0, 80.0] + [100.0] * 250 + [90.0])
    assert risk.year_range(closes) == pytest.approx(
        {"high_52w": 100.0, "low_52w": 80.0, "from_high": -0.1, "from_low": 0.125}
    )
    assert risk.year_range(closes.iloc[-251:])["high_52w"] is None  # less than a year


def test_intraday_bars_become_the_last_close_of_each_day():
    bars = series([10.0, 11.0, 12.0, 13.0, 14.0, 15.0], freq="12h")
    assert list(risk.daily(bars, "5min")) == [11.0, 13.0, 15.0]
    assert list(risk.daily(series([1.0, float("nan"), 0.0, 2.0]), "daily")) == [1.0, 2.0]


def test_figures_of_a_short_history_are_none_but_its_drawdown():
    figures = risk.figures(series([100.0, 90.0, 99.0]))
    assert set(figures) == set(risk.FIELDS)
    assert figures["drawdown"] == pytest.approx(-0.1)
    assert {k for k, v in figures.items() if v is None} == set(risk.FIELDS) - {"drawdown"}


def test_every_figure_is_explained_in_a_line():
    assert set(risk.FIELDS) - {"high_52w", "low_52w"} <= set(risk.EXPLANATIONS)
    assert all("\n" not in line and line.endswith(".") for line in risk.EXPLANATIONS.values())


def test_the_forecast_range_in_percent_of_the_last_close():
    # 36.10 / 40 - 1 = -9.75%, 46.20 / 40 - 1 = +15.5%
    assert risk.forecast_range(40.0, 36.1, 46.2) == pytest.approx(
        {"lower": 36.1, "upper": 46.2, "lower_pct": -9.75, "upper_pct": 15.5}
    )
    assert risk.forecast_range(None, 36.1, 46.2) is None
    assert risk.forecast_range(40.0, None, 46.2) is None


def test_the_forecast_range_of_a_stock_below_one_and_of_no_close():
    assert risk.forecast_range(0.5, 0.25, 1.0) == {
        "lower": 0.25,
        "upper": 1.0,
        "lower_pct": -50.0,
        "upper_pct": 100.0,
    }
    assert risk.forecast_range(0.0, 0.25, 1.0) is None
    assert risk.forecast_range(-1.0, 0.25, 1.0) is None
