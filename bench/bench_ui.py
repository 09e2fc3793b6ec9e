"""First paint of the page's watchlist with 50 tracked symbols, in headless Chromium.

50 symbols with 300 daily bars, a forecast and its run each, and their fetch runs; the ui
function serves them as a real process. Timed: from navigation start to the watchlist table
drawn with its 50 rows (the page's `watchlist-painted` mark), in a fresh browser profile (first
visit: nothing cached) and on reloads (page files cached), beside the watchlist view's own JSON
answer, which the paint waits for.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import requests
from selenium.webdriver.support.wait import WebDriverWait

from bench.scratch import scratch_dir
from devstack.functions import FunctionProcess
from shared.contract.config import InfluxSettings
from shared.contract.schema import (
    FORECAST,
    FORECAST_RUNS,
    FORECASTS_BUCKET,
    PRICES,
    PRICES_ADJUSTED,
    RUNS,
)
from shared.influx.client import InfluxClient
from shared.store.watchlist import Entry, Watchlist
from tests.support.browser import chromium

SYMBOLS = 50
META = "bench_ui"
REPEATS = 5
GOAL_SECONDS = 1.0
PAINTED = "return performance.getEntriesByName('watchlist-painted')[0]?.startTime ?? null;"


def seed(client: InfluxClient) -> None:
    """50 tracked symbols, each with bars, a forecast, its run and a fetch run."""
    now = pd.Timestamp.now(tz="UTC").floor("s")
    days = pd.date_range(end=now.normalize(), periods=300, freq="D", name="time")
    ahead = pd.date_range(now.normalize() + pd.Timedelta(days=1), periods=30, freq="D", name="time")
    watchlist = Watchlist(client, META)
    bars, bands, runs, fetches = [], [], [], []
    for number in range(SYMBOLS):
        symbol = f"S{number:03d}"
        close = [100.0 + number + (i % 20) for i in range(len(days))]
        bars.append(
            pd.DataFrame(
                {"open": close, "high": close, "low": close, "close": close, "volume": 1_000},
                index=days,
            ).assign(symbol=symbol, interval="daily")
        )
        bands.append(
            pd.DataFrame(
                {"yhat": 120.0, "yhat_lower": 110.0, "yhat_upper": 130.0}, index=ahead
            ).assign(symbol=symbol, interval="daily", field="close", model="naive")
        )
        metrics = {"horizon": 30, "train_points": 300, "fit_seconds": 0.01, "mape": 0.02}
        metrics |= {"mase": 0.9, "rel_naive": 1.0, "rel_drift": 1.01, "coverage": 0.8}
        runs.append(
            pd.DataFrame(metrics, index=pd.DatetimeIndex([now], name="time")).assign(
                symbol=symbol, interval="daily", model="naive"
            )
        )
        fetches.append(
            pd.DataFrame(
                {"symbol": [symbol], "points": [300], "seconds": [0.1], "error": [""]},
                index=pd.DatetimeIndex([now - pd.Timedelta(seconds=number)], name="time"),
            ).assign(function="fetch", status="ok")
        )
        watchlist.save(Entry(symbol, bucket=META, model="naive"), tracked=True)
    client.write(META, pd.concat(bars), PRICES)
    client.write(META, pd.concat(bars), PRICES_ADJUSTED)  # no corporate actions: the same bars
    client.create_bucket(FORECASTS_BUCKET)
    client.write(FORECASTS_BUCKET, pd.concat(bands), FORECAST)
    client.write(FORECASTS_BUCKET, pd.concat(runs), FORECAST_RUNS)
    client.write(META, pd.concat(fetches), RUNS, precision="ms")


def painted_seconds(browser: object, url: str) -> float:
    """Navigate and wait for the watchlist's first paint; its time from navigation start."""
    browser.get(url)
    mark = WebDriverWait(browser, 30, poll_frequency=0.02).until(
        lambda b: b.execute_script(PAINTED)
    )
    rows = browser.execute_script("return document.querySelectorAll('#watchlist tbody tr').length;")
    assert rows == SYMBOLS, rows
    return mark / 1000


def json_seconds(url: str) -> float:
    started = time.perf_counter()
    answer = requests.get(url, params={"view": "watchlist"}, timeout=30)
    elapsed = time.perf_counter() - started
    assert len(answer.json()["watchlist"]) == SYMBOLS
    return elapsed


def _measure(url: str, logs: Path) -> tuple[list[float], list[float], list[float]]:
    ui = FunctionProcess(
        "ui", {"INFLUX_URL": url, "STOCKS_META_BUCKET": META}, log_path=logs / "ui.log"
    ).start()
    try:
        first_visits = []
        for _ in range(REPEATS):
            with chromium() as browser:  # a fresh profile: nothing cached
                first_visits.append(painted_seconds(browser, ui.url))
        with chromium() as browser:
            painted_seconds(browser, ui.url)
            reloads = [painted_seconds(browser, ui.url) for _ in range(REPEATS)]
        answers = [json_seconds(ui.url) for _ in range(REPEATS)]
    finally:
        ui.stop()
    return first_visits, reloads, answers


def run(url: str) -> list[dict]:
    client = InfluxClient(InfluxSettings(url=url))
    client.create_bucket(META)
    seed(client)
    with scratch_dir("bench-ui-") as logs:
        first_visits, reloads, answers = _measure(url, logs)
    first, reload, answer = min(first_visits), min(reloads), min(answers)
    name = f"page first paint, {SYMBOLS} symbols"
    return [
        {"benchmark": name, "measure": "watchlist JSON view", "value": answer, "unit": "s"},
        {
            "benchmark": name,
            "measure": "first visit (nothing cached)",
            "value": first,
            "unit": "s",
            "ratio": first / answer,
            "goal": f"< {GOAL_SECONDS:g} s",
            "met": first < GOAL_SECONDS,
        },
        {
            "benchmark": name,
            "measure": "reload (page files cached)",
            "value": reload,
            "unit": "s",
            "ratio": reload / answer,
            "goal": f"< {GOAL_SECONDS:g} s",
            "met": reload < GOAL_SECONDS,
        },
    ]
