"""The watchlist's figures: last close and change, the 50/200-day averages, the forecast's end."""

from __future__ import annotations

import pandas as pd

from shared.store.forecasts import Horizon
from shared.usecases.json_rows import records
from shared.usecases.ui import (
    bars_a_session,
    fetch_health,
    forecast_figures,
    price_figures,
)

DAYS = pd.date_range("2026-01-01", periods=300, freq="D", tz="UTC")


def closes(values: list[float]) -> pd.Series:
    return pd.Series(values, index=DAYS[: len(values)], dtype="float64")


def test_no_history_has_no_figures():
    figures = price_figures(closes([]))
    assert figures == {
        "close": None,
        "change": None,
        "change_pct": None,
        "day": None,
        "sma50": None,
        "sma200": None,
        "trend50": None,
        "trend200": None,
    }


def test_change_is_against_the_day_before():
    figures = price_figures(closes([100.0, 102.0]))
    assert figures["close"] == 102.0
    assert figures["change"] == 2.0 and figures["change_pct"] == 2.0
    assert figures["day"] == "2026-01-02T00:00:00Z"
    assert figures["trend50"] is None  # fewer than 50 days: no 50-day trend


def test_trends_compare_the_last_close_with_each_average():
    rising_then_falling = [float(i) for i in range(200)] + [150.0] * 50  # 250 days
    figures = price_figures(closes(rising_then_falling))
    assert figures["sma50"] == 150.0 and figures["trend50"] == "above"  # equal counts as above
    assert figures["sma200"] == (sum(range(50, 200)) + 150 * 50) / 200
    assert figures["trend200"] == "above"
    figures = price_figures(closes([*rising_then_falling, 100.0]))
    assert figures["trend50"] == "below" and figures["trend200"] == "below"


HORIZON = pd.Timestamp("2026-12-28", tz="UTC")


def end(yhat: float, lower: float = 90.0, upper: float = 110.0) -> Horizon:
    return Horizon(HORIZON, yhat, lower, upper)


def test_the_forecasts_range_skill_and_model():
    run = {"model": "drift", "rel_naive": 0.8, "time": "2026-11-27T21:00:00Z"}
    up = forecast_figures(100.0, end(103.0, 95.0, 112.0), run)
    assert up == {
        "direction": "up",
        "skill": "better",
        "change_pct": 3.0,
        "end": 103.0,
        "range": {
            "lower": 95.0,
            "upper": 112.0,
            "lower_pct": -5.0,
            "upper_pct": 12.0,
            "time": "2026-12-28T00:00:00Z",
            "width": 0.8,  # predict's default when the run does not say
        },
        "model": "drift",
        "rel_naive": 0.8,
        "time": "2026-11-27T21:00:00Z",
    }
    assert forecast_figures(100.0, end(99.0), run)["direction"] == "down"
    assert forecast_figures(100.0, end(100.01), run)["direction"] == "flat"  # within 0.05 %
    assert (
        forecast_figures(100.0, end(101.0), {**run, "interval_width": 0.9})["range"]["width"] == 0.9
    )
    assert forecast_figures(100.0, None, run) is None
    assert forecast_figures(None, end(100.0), run) is None
    assert forecast_figures(100.0, end(101.0), None) is None


def test_a_direction_only_when_the_model_beats_naive():
    worse = forecast_figures(
        100.0, end(105.24), {"model": "prophet", "rel_naive": 1.63, "time": ""}
    )
    assert worse["skill"] == "worse" and worse["direction"] is None
    naive = forecast_figures(100.0, end(100.0), {"model": "naive", "rel_naive": 1.0, "time": ""})
    assert naive["skill"] == "same" and naive["direction"] is None
    unknown = forecast_figures(100.0, end(104.0), {"model": "drift", "rel_naive": None, "time": ""})
    assert unknown["skill"] is None and unknown["direction"] is None


def test_records_are_json_values():
    frame = pd.DataFrame(
        {
            "symbol": pd.array(["IBM", None], dtype="string"),
            "points": pd.array([3, None], dtype="Int64"),
            "seconds": [0.25, float("nan")],
            "ok": [True, False],
            "big": [float("inf"), 1.0],
        },
        index=pd.DatetimeIndex(["2026-11-27T21:00:00Z", "2026-11-27T21:01:00Z"], name="time"),
    )
    assert records(frame) == [
        {
            "time": "2026-11-27T21:00:00Z",
            "symbol": "IBM",
            "points": 3,
            "seconds": 0.25,
            "ok": True,
            "big": None,
        },
        {
            "time": "2026-11-27T21:01:00Z",
            "symbol": None,
            "points": None,
            "seconds": None,
            "ok": False,
            "big": 1.0,
        },
    ]


def test_a_session_holds_at_most_so_many_bars():
    assert bars_a_session("daily") == 1
    assert bars_a_session("5min") == 102  # 8.5 hours (London's session) of 5-minute bars
    assert bars_a_session("60min") == 9


def test_fetch_health_says_since_when_a_series_is_failing():
    at = pd.Timestamp("2026-12-01T10:00:00Z")
    rows = [  # (minutes after `at`, symbol, status)
        (0, "IBM", "ok"),
        (5, "IBM", "502"),
        (10, "IBM", "429"),
        (0, "KO", "502"),
        (5, "KO", "502"),
        (0, "AAPL", "502"),
        (5, "AAPL", "ok"),
    ]
    frame = pd.DataFrame(
        {
            "symbol": [r[1] for r in rows],
            "interval": "daily",
            "status": [r[2] for r in rows],
            "error": ["" if r[2] == "ok" else f"failed {r[2]}" for r in rows],
        },
        index=pd.DatetimeIndex([at + pd.Timedelta(minutes=r[0]) for r in rows], name="time"),
    ).sort_index()
    health = fetch_health(frame)
    assert health[("IBM", "daily")] == {
        "time": "2026-12-01T10:10:00Z",
        "status": "429",
        "error": "failed 429",
        "failing_since": "2026-12-01T10:05:00Z",  # the first failure after the last success
    }
    assert health[("KO", "daily")]["failing_since"] == "2026-12-01T10:00:00Z"  # no success read
    assert health[("AAPL", "daily")]["status"] == "ok"
    assert health[("AAPL", "daily")]["failing_since"] is None
    assert fetch_health(frame.iloc[:0]) == {}
