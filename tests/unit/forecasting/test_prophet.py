"""forecast() with Prophet: accuracy, calibration, auto selection, intraday, threads.

Six Prophet fits in all: two for the daily auto forecast, two for the intraday forecast, two in
the concurrency test (whose sequential references are the final fits of the first two).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.forecasting import Forecast, calendar, forecast
from shared.forecasting.models import fit_predict

pytestmark = pytest.mark.slow

NEW_YORK = "America/New_York"
DAILY_POINTS, DAILY_HORIZON = 480, 40
INTRADAY_HORIZON = 78


def trend_with_noise() -> tuple[pd.Series, pd.Series]:
    """A line 100 + 0.1 t plus normal noise (sd 1) on weekdays: (observed, truth later).

    The truth is 8 September to 31 October 2025, 40 weekdays with no NYSE holiday.
    """
    size = DAILY_POINTS + DAILY_HORIZON
    days = pd.bdate_range(end="2025-10-31", periods=size, tz="UTC")
    line = pd.Series(100 + 0.1 * np.arange(size), index=days)
    observed = line + np.random.default_rng(1).normal(0, 1, size)
    return observed, line


@pytest.fixture(scope="module")
def daily_auto() -> Forecast:
    observed, _ = trend_with_noise()
    return forecast(observed.iloc[:DAILY_POINTS], "daily", DAILY_HORIZON, "auto")


@pytest.fixture(scope="module")
def intraday_history() -> pd.Series:
    """Twelve trading days of 5-minute random walk ending Friday 8 March 2024, before DST."""
    dates = pd.bdate_range(end="2024-03-08", periods=12)
    slots = pd.timedelta_range(start="09:30:00", periods=78, freq="5min")
    wall = pd.DatetimeIndex((dates.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel())
    bars = wall.tz_localize(NEW_YORK).tz_convert("UTC")
    steps = np.random.default_rng(2).normal(0, 0.05, len(bars))
    return pd.Series(50 + np.cumsum(steps), index=bars)


@pytest.fixture(scope="module")
def intraday_prophet(intraday_history: pd.Series) -> Forecast:
    return forecast(intraday_history, "5min", INTRADAY_HORIZON, "prophet")


def test_daily_trend_is_forecast_within_half_a_noise_sd(daily_auto: Forecast) -> None:
    """Every forecast lies within 0.5 of the true line (noise sd 1; a flat forecast ends 4 off)."""
    _, line = trend_with_noise()
    truth = line.iloc[DAILY_POINTS:]
    assert list(daily_auto.frame.index) == list(truth.index)
    assert (daily_auto.frame["yhat"] - truth).abs().max() < 0.5
    assert (daily_auto.frame.dtypes == np.float64).all() and daily_auto.frame.index.name == "time"
    assert daily_auto.train_points == DAILY_POINTS and daily_auto.fit_seconds > 0


def test_prophet_intervals_cover_near_their_width(daily_auto: Forecast) -> None:
    """Hold-out plus future: 80 values against an 80 % interval; accepted 0.65 to 0.95."""
    observed, _ = trend_with_noise()
    future = observed.iloc[DAILY_POINTS:]
    frame = daily_auto.frame
    inside = ((frame["yhat_lower"] <= future) & (future <= frame["yhat_upper"])).mean()
    coverage = (inside + daily_auto.metrics["coverage"]) / 2
    assert 0.65 <= coverage <= 0.95


def test_auto_picks_the_lowest_mase_and_reports_it(daily_auto: Forecast) -> None:
    observed, _ = trend_with_noise()
    history = observed.iloc[:DAILY_POINTS]
    others = [forecast(history, "daily", DAILY_HORIZON, m).metrics for m in ("naive", "drift")]
    assert daily_auto.model == "prophet"
    assert all(daily_auto.metrics["mase"] < other["mase"] for other in others)
    assert set(daily_auto.metrics) == {"mape", "mase", "rel_naive", "rel_drift", "coverage"}
    assert daily_auto.metrics["rel_naive"] < 1 and daily_auto.metrics["rel_drift"] < 1


def test_intraday_prophet_forecasts_the_next_sessions_near_the_last_price(
    intraday_history: pd.Series, intraday_prophet: Forecast
) -> None:
    frame = intraday_prophet.frame
    last = intraday_history.index[-1]
    assert list(frame.index) == list(calendar.future_times(last, "5min", INTRADAY_HORIZON))
    assert frame.index[0] == pd.Timestamp("2024-03-11 13:30", tz="UTC")  # Monday 09:30 EDT
    assert intraday_prophet.train_points == 11 * 78  # the recent window, in whole days
    spread = 0.05 * np.sqrt(INTRADAY_HORIZON) * 4  # four sds of a day's random-walk move
    assert (frame["yhat"] - intraday_history.iloc[-1]).abs().max() < spread
    assert (frame["yhat_lower"] < frame["yhat"]).all()
    assert (frame["yhat"] < frame["yhat_upper"]).all()


def test_two_fits_in_threads_equal_sequential_runs(
    daily_auto: Forecast,
    intraday_history: pd.Series,
    intraday_prophet: Forecast,
    caplog: pytest.LogCaptureFixture,
) -> None:
    observed, _ = trend_with_noise()
    daily_history = observed.iloc[:DAILY_POINTS]
    jobs = {
        "daily": (daily_history, daily_auto.frame.index, "daily"),
        "intraday": (intraday_history, intraday_prophet.frame.index, "5min"),
    }
    results: dict[str, pd.DataFrame] = {}
    start = threading.Barrier(len(jobs))

    def run(name: str) -> None:
        history, times, interval = jobs[name]
        start.wait()
        results[name] = fit_predict("prophet", history, times, interval, 0.8).frame

    caplog.set_level(logging.DEBUG)
    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pd.testing.assert_frame_equal(results["daily"], daily_auto.frame, check_exact=True)
    pd.testing.assert_frame_equal(results["intraday"], intraday_prophet.frame, check_exact=True)
    chatter = [
        r for r in caplog.records if r.name.startswith(("prophet", "cmdstanpy")) and r.levelno < 30
    ]
    assert chatter == []


def test_quieting_prophet_leaves_other_loggers_alone(repo_root: Path) -> None:
    check = """
import logging, sys
logging.basicConfig(level=logging.INFO)
from shared.forecasting.prophet_model import prophet_class
names = ("", "shared", "urllib3")
before = [logging.getLogger(name).level for name in names]
prophet_class()
quiet = [logging.getLogger(n).getEffectiveLevel() for n in ("prophet", "cmdstanpy")]
unchanged = [logging.getLogger(name).level for name in names] == before
sys.exit(0 if unchanged and not logging.root.manager.disable and quiet == [30, 30] else 1)
"""
    assert subprocess.run([sys.executable, "-c", check], cwd=repo_root).returncode == 0
