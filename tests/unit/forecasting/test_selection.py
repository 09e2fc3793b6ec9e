"""The rule `auto` chooses by, on hand-made CV scores and on series where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import forecast, selection
from shared.forecasting.metrics import WindowScore


def windows(maes: list[float], naive_maes: list[float]) -> list[WindowScore]:
    return [
        WindowScore(mae=m, naive_mae=n, drift_mae=m, scale=1.0, mape=0.0, coverage=0.8)
        for m, n in zip(maes, naive_maes, strict=True)
    ]


def cv(drift: list[float], naive: list[float]) -> dict[str, list[WindowScore]]:
    return {"naive": windows(naive, naive), "drift": windows(drift, naive)}


def test_a_challenger_better_in_every_window_is_chosen_and_the_reason_says_so() -> None:
    choice = selection.choose(cv(drift=[0.8] * 6, naive=[1.0] * 6))
    assert choice.model == "drift"
    assert choice.reason == "drift: 20% less error than naive over 6 windows, less in 6 of them"
    assert choice.scores["drift"] == pytest.approx(
        {"rel_naive": 0.8, "wins": 1.0, "mase": 0.8, "windows": 6.0}
    )
    assert choice.scores["naive"]["rel_naive"] == 1.0


def test_a_challenger_that_won_one_window_by_luck_is_not_chosen() -> None:
    # pooled error (0.1 + 5 * 1.02) / 6 = 0.87 of naive's, but better in 1 window of 6
    choice = selection.choose(cv(drift=[0.1] + [1.02] * 5, naive=[1.0] * 6))
    assert choice.model == "naive"
    assert choice.scores["drift"]["rel_naive"] == pytest.approx(5.2 / 6)
    assert "less in 1)" in choice.reason


def test_a_consistent_but_marginal_winner_is_not_chosen() -> None:
    choice = selection.choose(cv(drift=[0.95] * 6, naive=[1.0] * 6))
    assert choice.model == "naive" and "0.95 times naive's error, less in 6)" in choice.reason


def test_a_clear_winner_that_lost_one_window_is_not_chosen() -> None:
    choice = selection.choose(cv(drift=[0.5] * 5 + [1.01], naive=[1.0] * 6))
    assert choice.model == "naive"
    assert choice.reason == (
        "naive: no model had 10% less error than naive and less in at least 6 of 6 windows "
        "(best, drift: 0.58 times naive's error, less in 5)"
    )


def test_too_few_windows_keep_naive() -> None:
    choice = selection.choose(cv(drift=[0.5] * 4, naive=[1.0] * 4))
    assert choice.model == "naive" and "4 cross-validation windows" in choice.reason


def test_a_challenger_worse_than_naive_is_named_as_the_best_challenger_not_naive() -> None:
    choice = selection.choose(cv(drift=[1.2] * 6, naive=[1.0] * 6))
    assert choice.model == "naive"
    assert choice.reason.endswith("(best, drift: 1.20 times naive's error, less in 0)")


def test_the_challenger_with_the_least_pooled_error_is_the_one_weighed() -> None:
    scores = cv(drift=[0.95] * 6, naive=[1.0] * 6)
    scores["other"] = windows([0.7] * 6, [1.0] * 6)
    choice = selection.choose(scores)
    assert choice.model == "other" and choice.reason.startswith("other: 30% less error")


def test_mase_scales_each_window_s_error_by_its_own_naive_scale() -> None:
    scored = [
        WindowScore(mae=2.0, naive_mae=1.0, drift_mae=2.0, scale=4.0, mape=0.0, coverage=0.8),
        WindowScore(mae=3.0, naive_mae=1.0, drift_mae=3.0, scale=0.5, mape=0.0, coverage=0.8),
    ]
    assert selection.summary(scored, scored)["mase"] == pytest.approx((2.0 / 4.0 + 3.0 / 0.5) / 2)


def test_short_horizons_get_more_windows() -> None:
    assert [selection.windows(h) for h in (1, 3, 5, 20, 60)] == [20, 20, 12, 6, 6]


def daily(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2020-01-01", periods=len(values), tz="UTC"))


def test_auto_follows_a_steady_trend_with_drift_and_reports_its_skill() -> None:
    steps = 0.01 + np.random.default_rng(3).normal(0, 0.001, 400)
    result = forecast(daily(100 * np.exp(np.cumsum(steps))), "daily", 20, "auto")
    assert result.model == "drift" and result.reason.startswith("drift: ")
    assert result.selection["drift"]["wins"] == 1.0 and result.selection["drift"]["windows"] == 6
    assert result.metrics["rel_naive"] < 0.2 and result.naive_metrics["rel_naive"] == 1.0


def test_auto_keeps_naive_on_a_random_walk_and_then_reports_naive_s_own_scores() -> None:
    walk = daily(100 * np.exp(np.cumsum(np.random.default_rng(5).normal(0, 0.01, 400))))
    result = forecast(walk, "daily", 20, "auto")
    assert result.model == "naive" and result.reason.startswith("naive: no model had 10% less")
    assert set(result.selection) == {"naive", "drift"}
    assert result.metrics == result.naive_metrics == forecast(walk, "daily", 20, "naive").metrics


def test_auto_reports_what_its_rule_did_on_windows_it_had_not_seen() -> None:
    """A walk that trends only in its last 120 bars: drift wins all 6 windows, so it is chosen.

    But before each of those windows the rule had seen at most 5 trending windows and kept
    naive: the reported skill is what that achieved (naive's), not the gain drift shows in
    hindsight on the windows that chose it.
    """
    steps = np.random.default_rng(9).normal(0, 0.01, 400)
    steps[-120:] = 0.03 + steps[-120:] / 10
    result = forecast(daily(100 * np.exp(np.cumsum(steps))), "daily", 20, "auto")
    assert result.model == "drift" and result.selection["drift"]["wins"] == 1.0
    assert result.selection["drift"]["rel_naive"] < 0.9
    assert result.metrics["rel_naive"] == 1.0 and result.metrics == result.naive_metrics
