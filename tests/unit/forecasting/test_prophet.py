"""forecast() with Prophet: continuity with the last price, bands, intraday, threads, quiet logs.

Six Prophet fits in all: two for the daily forecast, two for the intraday forecast, two in the
concurrency test (whose sequential references are the final fits of the first two).
"""

from __future__ import annotations

import json
import logging
import math
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
DAILY_POINTS, DAILY_HORIZON, DAILY_SD = 600, 20, 0.01
INTRADAY_HORIZON = 78


def trending_walk() -> pd.Series:
    """A geometric random walk (log steps 0.2% + 1% noise) whose last value sits below its trend.

    The last 20 steps fall 1% each, so a curve fitted through the whole history passes well above
    the last price: a forecast that started on the curve would jump up by several daily moves.
    """
    steps = 0.002 + np.random.default_rng(1).normal(0, DAILY_SD, DAILY_POINTS)
    steps[-20:] = -0.01
    days = pd.bdate_range(end="2025-10-31", periods=DAILY_POINTS, tz="UTC")
    return pd.Series(100 * np.exp(np.cumsum(steps)), index=days)


@pytest.fixture(scope="module")
def daily_prophet() -> Forecast:
    return forecast(trending_walk(), "daily", DAILY_HORIZON, "prophet")


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


def test_daily_prophet_starts_at_the_last_price(daily_prophet: Forecast) -> None:
    last = trending_walk().iloc[-1]
    frame = daily_prophet.frame
    assert abs(math.log(frame["yhat"].iloc[0] / last)) < DAILY_SD  # within one daily move
    assert frame["yhat_lower"].iloc[0] < last < frame["yhat_upper"].iloc[0]
    assert (frame["yhat_lower"] < frame["yhat"]).all() and (
        frame["yhat"] < frame["yhat_upper"]
    ).all()
    widths = np.log(frame["yhat_upper"] / frame["yhat_lower"]).to_numpy()
    assert (np.diff(widths) > 0).all()  # the band widens with the horizon


def test_daily_prophet_reports_its_backtest_beside_naive(daily_prophet: Forecast) -> None:
    assert daily_prophet.model == "prophet" and daily_prophet.reason == "prophet: requested"
    assert set(daily_prophet.metrics) == {"mape", "mase", "rel_naive", "rel_drift", "coverage"}
    assert all(math.isfinite(v) for v in daily_prophet.metrics.values())
    assert daily_prophet.naive_metrics["rel_naive"] == 1.0
    assert daily_prophet.selection["prophet"]["windows"] == 1
    assert daily_prophet.train_points == 600 and 0 < daily_prophet.fit_seconds < 60
    assert list(daily_prophet.frame.index) == list(
        calendar.future_times(trending_walk().index[-1], "daily", DAILY_HORIZON)
    )


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
    assert abs(frame["yhat"].iloc[0] - intraday_history.iloc[-1]) < 0.05 * 2
    assert (frame["yhat_lower"] < frame["yhat"]).all()
    assert (frame["yhat"] < frame["yhat_upper"]).all()


def test_daily_prophet_fits_and_forecasts_on_the_same_calendar_axis() -> None:
    """A steady 0.1% a calendar day: Friday to Monday is three days of it, not one session's."""
    days = pd.bdate_range(end="2025-10-31", periods=300, tz="UTC")  # ends on a Friday
    elapsed = (days - days[0]).days.to_numpy()
    series = pd.Series(100 * np.exp(0.001 * elapsed), index=days)
    monday = calendar.future_times(days[-1], "daily", 1)
    frame = fit_predict("prophet", series, monday, "daily", 0.8).frame
    assert math.log(frame["yhat"].iloc[0] / series.iloc[-1]) == pytest.approx(0.003, rel=0.1)


def test_intraday_prophet_repeats_the_pattern_of_a_session() -> None:
    """Prices that rise and fall the same way every session: the next session does it too."""
    dates = pd.bdate_range(end="2024-03-08", periods=12)
    slots = pd.timedelta_range(start="09:30:00", periods=78, freq="5min")
    wall = pd.DatetimeIndex((dates.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel())
    bars = wall.tz_localize(NEW_YORK).tz_convert("UTC")
    pattern = np.sin(2 * np.pi * np.arange(78) / 78)
    series = pd.Series(50 + np.tile(pattern, 12), index=bars)
    times = calendar.future_times(bars[-1], "5min", 78)
    frame = fit_predict("prophet", series, times, "5min", 0.8).frame
    assert np.corrcoef(frame["yhat"].to_numpy(), pattern)[0, 1] > 0.9


def test_two_fits_in_threads_equal_sequential_runs(
    daily_prophet: Forecast,
    intraday_history: pd.Series,
    intraday_prophet: Forecast,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = {
        "daily": (trending_walk(), daily_prophet.frame.index, "daily"),
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
    pd.testing.assert_frame_equal(results["daily"], daily_prophet.frame, check_exact=True)
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


def test_prophet_loads_without_its_plotting_and_its_plotting_refuses(repo_root: Path) -> None:
    check = """
import json, sys
from shared.forecasting.prophet_model import prophet_class
model = prophet_class()()
try:
    model.plot(None)
    refused = ""
except RuntimeError as error:
    refused = str(error)
print(json.dumps({"drawing": [m for m in ("matplotlib", "plotly") if m in sys.modules],
                  "refused": refused}))
"""
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=repo_root, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["drawing"] == []  # about half of importing Prophet, for nothing predict asks
    assert "not loaded here" in result["refused"]
    assert done.stderr == ""  # nor a word about a missing plotly


def test_prophet_loaded_already_keeps_its_own_plotting(repo_root: Path) -> None:
    check = """
import prophet.plot
from shared.forecasting.prophet_model import prophet_class, without_plotting
real = prophet.plot.plot
without_plotting()
prophet_class()
assert __import__("sys").modules["prophet.plot"].plot is real
"""
    subprocess.run([sys.executable, "-c", check], cwd=repo_root, check=True, capture_output=True)
