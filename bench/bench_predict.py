"""Prediction cost and accuracy: the original app's Prophet set-up against ours on the same bars.

1. One year of 5-minute bars (19,656, a synthetic random walk in market hours) fitted as the
   original app did (daily, weekly and yearly multiplicative seasonality, a 180-period future
   including the history), beside our `forecast(..., "5min", 78, "prophet")`, backtest included.
   Each synthetic year has one more trading day (78 bars) after the original's 19,656: our
   backtest holds those out, and the original's one fit, on exactly the 19,656 bars before them,
   is both timed and scored on them, so no second original fit is needed. Three years (seeds
   0, 1, 2) because one day of a random walk makes a noisy MASE; times and MASEs are their means
   (the original measured once per year, ours best of three).
2. Five years of daily bars: our predict call end to end (read from InfluxDB, fit, backtest,
   write) against Prophet's bare fit and predict
   with the same settings on the same frame.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from bench.timing import best_of
from shared.contract.config import InfluxSettings
from shared.contract.schema import PRICES
from shared.forecasting import calendar, forecast
from shared.forecasting.metrics import score
from shared.forecasting.prophet_model import (
    CHANGEPOINT_PRIOR_SCALE,
    UNCERTAINTY_SAMPLES,
    prophet_class,
)
from shared.influx.client import InfluxClient
from shared.market.calendar import calendar as market_calendar
from shared.usecases.predict import PredictRequest, predict

SEEDS = (0, 1, 2)
ORIGINAL_BARS = 19_656
HORIZON = 78  # one trading day of 5-minute bars
ORIGINAL_PERIODS = 180
DAILY_BARS = 5 * 252
DAILY_HORIZON = 30
TIME_GOAL = 1 / 25
DAILY_GOAL = 2.5
INTRADAY = "1 year of 5-min bars"
NEW_YORK = market_calendar("XNYS").tz
DAILY = "5 years of daily bars"


def five_minute_year(seed: int) -> pd.Series:
    """19,656 + 78 bars of random walk on XNYS's 5-minute grid from 2024 (early closes too)."""
    new_year = pd.Timestamp("2024-01-01", tz="UTC")
    bars = calendar.future_times(new_year, "5min", ORIGINAL_BARS + HORIZON)
    steps = np.random.default_rng(seed).normal(0, 0.1, len(bars))
    return pd.Series(100 + np.cumsum(steps), index=bars)


def original(history: pd.Series) -> tuple[float, float]:
    """The original app's fit and predict on all but the last day: (seconds, MASE on that day)."""
    train, held_out = history.iloc[:-HORIZON], history.iloc[-HORIZON:]
    wall = train.index.tz_convert(NEW_YORK).tz_localize(None)
    started = time.perf_counter()
    model = prophet_class()(
        daily_seasonality=True,
        weekly_seasonality=True,
        yearly_seasonality=True,
        seasonality_mode="multiplicative",
    )
    model.fit(pd.DataFrame({"ds": wall, "y": train.to_numpy()}))
    model.predict(model.make_future_dataframe(periods=ORIGINAL_PERIODS))
    seconds = time.perf_counter() - started
    times = held_out.index.tz_convert(NEW_YORK).tz_localize(None)
    check = model.predict(pd.DataFrame({"ds": times}))
    return seconds, score(held_out.to_numpy(), check, train.to_numpy())["mase"]


def intraday_rows() -> list[dict]:
    theirs, ours, their_mase, our_mase = [], [], [], []
    for seed in SEEDS:
        history = five_minute_year(seed)
        seconds, mase = original(history)
        theirs.append(seconds)
        their_mase.append(mase)
        ours.append(best_of(lambda h=history: forecast(h, "5min", HORIZON, "prophet")))
        our_mase.append(forecast(history, "5min", HORIZON, "prophet").metrics["mase"])
    time_ratio = np.mean(ours) / np.mean(theirs)
    mase_ratio = np.mean(our_mase) / np.mean(their_mase)
    return [
        row(INTRADAY, "original: Prophet d+w+y multiplicative, fit + 180-period predict",
            np.mean(theirs), "s"),
        row(INTRADAY, "ours: forecast(prophet, 78 bars) with backtest", np.mean(ours), "s",
            time_ratio, "<= 0.04", time_ratio <= TIME_GOAL),
        row(INTRADAY, "original: MASE on the held-out day (mean of 3)", np.mean(their_mase),
            "MASE"),
        row(INTRADAY, "ours: backtest MASE on the same day (mean of 3)", np.mean(our_mase), "MASE",
            mase_ratio, "<= 1", mase_ratio <= 1),
    ]  # fmt: skip


def daily_rows(url: str) -> list[dict]:
    days = pd.bdate_range("2021-01-04", periods=DAILY_BARS, tz="UTC")
    history = pd.Series(100 + np.cumsum(np.random.default_rng(5).normal(0.05, 1, DAILY_BARS)), days)
    storage = InfluxClient(InfluxSettings(url=url, timeout_seconds=120))
    storage.create_bucket("bench_predict")
    prices = pd.DataFrame(
        {"symbol": "DAILY", "interval": "daily", "close": history.to_numpy()},
        index=pd.DatetimeIndex(days, name="time"),
    )
    storage.write("bench_predict", prices, PRICES)
    request = PredictRequest(
        "DAILY", "bench_predict", "bench_predict", "daily", "close", DAILY_HORIZON, "prophet", 0.8
    )
    frame = pd.DataFrame({"ds": days.tz_localize(None), "y": history.to_numpy()})
    future = calendar.future_times(days[-1], "daily", DAILY_HORIZON).tz_localize(None)

    def bare() -> None:  # our daily settings (prophet_model._model), fitted on the same frame
        model = prophet_class()(
            changepoint_prior_scale=CHANGEPOINT_PRIOR_SCALE,
            yearly_seasonality=False,
            weekly_seasonality=False,
            daily_seasonality=False,
            uncertainty_samples=UNCERTAINTY_SAMPLES,
        )
        model.fit(frame)
        model.predict(pd.DataFrame({"ds": future}))

    bare_seconds = best_of(bare)
    ours = best_of(lambda: predict(storage, request))
    ratio = ours / bare_seconds
    return [
        row(DAILY, "Prophet bare fit + predict, same settings", bare_seconds, "s"),
        row(DAILY, "ours: predict call (read, fit, backtest, write), 30 days", ours, "s", ratio,
            "<= 2.5", ratio <= DAILY_GOAL),
    ]  # fmt: skip


def row(benchmark: str, measure: str, value: float, unit: str, *goal: object) -> dict:
    """A result row; `goal` is (ratio, goal text, met) when the measure has a goal."""
    result = {"benchmark": benchmark, "measure": measure, "value": float(value), "unit": unit}
    if goal:
        ratio, text, met = goal
        result |= {"ratio": float(ratio), "goal": text, "met": bool(met)}
    return result


def run(url: str) -> list[dict]:
    """Both workloads; Prophet's own warnings (the original's set-up triggers some) are muted."""
    prophet = logging.getLogger("prophet")
    prophet_class()
    level = prophet.level
    prophet.setLevel(logging.ERROR)
    try:
        return intraday_rows() + daily_rows(url)
    finally:
        prophet.setLevel(level)
