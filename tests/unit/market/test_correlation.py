"""Correlation of daily returns, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.market import correlation

DAYS = pd.bdate_range("2026-01-01", periods=121, tz="UTC")


def closes(returns: list[float], days: pd.DatetimeIndex = DAYS) -> pd.Series:
    """Closes from 100 whose daily log returns are `returns`."""
    values = 100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    return pd.Series(values, index=days[: len(values)])


UP_DOWN = [0.01, -0.01] * 60  # 120 returns
TWO_UP_TWO_DOWN = [0.01, 0.01, -0.01, -0.01] * 30


def test_in_step_opposite_and_unrelated():
    # a doubled copy moves in step (1), a negated one opposite (-1); +-+- against ++-- agrees
    # on half the days and disagrees on the other half, with both means zero: 0
    matrix = correlation.correlations(
        {
            "A": closes(UP_DOWN),
            "B": closes([2 * r for r in UP_DOWN]),
            "C": closes([-r for r in UP_DOWN]),
            "D": closes(TWO_UP_TWO_DOWN),
        }
    )
    assert matrix.loc["A", "B"] == pytest.approx(1.0)
    assert matrix.loc["A", "C"] == pytest.approx(-1.0)
    assert matrix.loc["A", "D"] == pytest.approx(0.0, abs=1e-12)
    assert matrix.loc["D", "D"] == pytest.approx(1.0)
    assert correlation.pairs(matrix)[0][:2] == ("A", "B")
    assert correlation.pairs(matrix)[-1][2] == pytest.approx(-1.0)


def test_too_few_common_sessions_give_no_figure():
    late = closes(UP_DOWN[:59], DAYS[61:])  # 59 returns, all on days A has too
    matrix = correlation.correlations({"A": closes(UP_DOWN), "L": late})
    assert np.isnan(matrix.loc["A", "L"])
    assert correlation.pairs(matrix) == []


def test_only_the_last_year_counts():
    days = pd.bdate_range("2024-01-01", periods=800, tz="UTC")
    old_opposite = [0.01, -0.01] * 200
    a = closes([0.01, -0.01] * 200 + UP_DOWN * 3 + [0.01] * 39, days)
    b = closes([-r for r in old_opposite] + UP_DOWN * 3 + [0.01] * 39, days)
    returns = correlation.daily_returns({"A": a, "B": b})
    assert returns.index.min() > days[-1] - pd.Timedelta(days=365)
    assert correlation.correlations({"A": a, "B": b}).loc["A", "B"] == pytest.approx(1.0)


def test_each_symbol_returns_over_its_own_sessions():
    # B misses a day: its return is over two days, paired with A's on the day it is back
    a = closes([0.01, 0.02, 0.03])
    b = closes([0.01, 0.02, 0.03]).drop(DAYS[2])
    returns = correlation.daily_returns({"A": a, "B": b})
    assert returns.loc[DAYS[3], "B"] == pytest.approx(0.05)
    assert np.isnan(returns.loc[DAYS[2], "B"])


def test_zero_negative_and_missing_closes_are_left_out_of_the_returns():
    days = pd.date_range("2024-07-01", periods=6, freq="D")
    closes = pd.Series([1.0, 0.0, 2.0, -1.0, np.nan, 4.0], index=days)
    returns = correlation.daily_returns({"A": closes})["A"]
    assert list(returns.index) == [days[2], days[5]]
    assert returns.tolist() == pytest.approx([np.log(2.0), np.log(2.0)])


def test_a_symbol_without_bars_keeps_its_row_and_column():
    days = pd.date_range("2024-01-01", periods=100, freq="D")
    rising = pd.Series(np.linspace(1.0, 2.0, 100) ** 2, index=days)
    matrix = correlation.correlations({"A": rising, "NEW": pd.Series(dtype="float64")})
    assert list(matrix.index) == ["A", "NEW"] and list(matrix.columns) == ["A", "NEW"]
    assert matrix.isna().to_numpy().sum() == 3  # only A with itself is known
