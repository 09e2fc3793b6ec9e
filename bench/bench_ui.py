"""First paint of the page's watchlist with 50 tracked symbols, in headless Chromium, and the
page's JSON views beside the page as it was before issue 22 (`BASELINE`).

50 symbols with five years of daily bars, a forecast and its run (with the risk figures predict
stores) each, and their fetch runs; the ui function serves them as a real process. Timed: from
navigation start to the watchlist table drawn with its 50 rows (the page's `watchlist-painted`
mark), in a fresh browser profile (first visit: nothing cached) and on reloads (page files
cached), beside the watchlist view's own JSON answer, which the paint waits for. Then each JSON
view of this tree and of the baseline's (`git archive` of that commit, served by its own code on
the same influxd), asked in turn, best of several, in wall seconds and in the CPU seconds the
request cost the ui process and influxd together (/proc; steadier on a loaded machine): the
ratio is this tree's over the baseline's (the correlation view is new: no baseline).
"""

from __future__ import annotations

import subprocess
import tarfile
import time
from io import BytesIO
from pathlib import Path

import pandas as pd
import requests
from selenium.webdriver.support.wait import WebDriverWait

from bench.bench_stack import process_cpu
from bench.scratch import scratch_dir
from devstack.functions import ROOT, FunctionProcess
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
from shared.market import risk
from shared.store.watchlist import Entry, Watchlist
from tests.support.browser import chromium

SYMBOLS = 50
META = "bench_ui"
REPEATS = 5
GOAL_SECONDS = 1.0
DAYS = 5 * 252
BASELINE = "f4c7fce"  # main before issue 22's page (its views had no range, risk or names)
VIEWS = {
    "watchlist": {"view": "watchlist"},
    "symbol": {"view": "symbol", "symbol": "S000"},
    "pipeline": {"view": "pipeline"},
    "correlation": {"view": "correlation"},
}
VIEW_GOAL = 1.5  # at most this many times the baseline's time
VIEW_REPEATS = 5
CHUNK = 5
PAINTED = "return performance.getEntriesByName('watchlist-painted')[0]?.startTime ?? null;"


def seed(client: InfluxClient) -> None:
    """50 tracked symbols, each with bars, a forecast, its run and a fetch run."""
    now = pd.Timestamp.now(tz="UTC").floor("s")
    days = pd.bdate_range(end=now.normalize(), periods=DAYS, name="time")
    ahead = pd.date_range(now.normalize() + pd.Timedelta(days=1), periods=30, freq="D", name="time")
    watchlist = Watchlist(client, META)
    bars, bands, runs, fetches = [], [], [], []
    for number in range(SYMBOLS):
        symbol = f"S{number:03d}"
        close = [100.0 + number + (i % 20) + (i * number) % 7 for i in range(len(days))]
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
        metrics |= {"interval_width": 0.8, **risk.figures(pd.Series(close, index=days))}
        runs.append(
            pd.DataFrame(metrics, index=pd.DatetimeIndex([now], name="time")).assign(
                symbol=symbol, interval="daily", field="close", model="naive"
            )
        )
        fetches.append(
            pd.DataFrame(
                {"symbol": [symbol], "points": [300], "seconds": [0.1], "error": [""]},
                index=pd.DatetimeIndex([now - pd.Timedelta(seconds=number)], name="time"),
            ).assign(function="fetch", status="ok", interval="daily")
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


def influxd_pid(url: str) -> int:
    """The pid of the influxd serving `url` (its command line names its own config file)."""
    cmdline = requests.get(url.rstrip("/") + "/debug/vars", timeout=10).json()["cmdline"]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "cmdline").read_bytes().split(b"\0")[:-1] == [
                    a.encode() for a in cmdline
                ]:
                    return int(proc.name)
            except OSError:
                continue
    raise RuntimeError(f"no process runs {cmdline}")


def view_cost(url: str, params: dict[str, str], pids: tuple[int, ...]) -> tuple[float, float]:
    """A view asked `CHUNK` times in a row: the mean wall seconds of an answer, and the mean CPU
    seconds an answer cost the ui and influxd (CPU time is counted in 10 ms ticks: a chunk
    spreads them)."""
    cpu = sum(process_cpu(pid) for pid in pids)
    started = time.perf_counter()
    for _ in range(CHUNK):
        answer = requests.get(url, params=params, timeout=60)
        assert answer.status_code == 200, answer.text
    elapsed = time.perf_counter() - started
    return elapsed / CHUNK, (sum(process_cpu(pid) for pid in pids) - cpu) / CHUNK


def baseline_tree(into: Path) -> Path | None:
    """The baseline commit's files (None when this checkout does not hold it, e.g. shallow)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", BASELINE], cwd=ROOT, capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def _measure(url: str, logs: Path) -> dict[str, list[float]]:
    env = {"INFLUX_URL": url, "STOCKS_META_BUCKET": META}
    ui = FunctionProcess("ui", env, log_path=logs / "ui.log").start()
    old_root = baseline_tree(logs / "baseline")
    old = (
        None
        if old_root is None
        else FunctionProcess("ui", env, log_path=logs / "ui-baseline.log", root=old_root).start()
    )
    times: dict[str, list[float]] = {}
    try:
        for _ in range(REPEATS):
            with chromium() as browser:  # a fresh profile: nothing cached
                times.setdefault("first", []).append(painted_seconds(browser, ui.url))
        with chromium() as browser:
            painted_seconds(browser, ui.url)
            times["reload"] = [painted_seconds(browser, ui.url) for _ in range(REPEATS)]
        times["answer"] = [json_seconds(ui.url) for _ in range(REPEATS)]
        influxd = influxd_pid(url)
        for _ in range(VIEW_REPEATS):  # in turn, so both see the same machine
            for name, params in VIEWS.items():
                trees = [("", ui)] + ([("old ", old)] if old and name != "correlation" else [])
                for prefix, process in trees:
                    assert process.process is not None
                    wall, cpu = view_cost(process.url, params, (process.process.pid, influxd))
                    times.setdefault(f"{prefix}{name}", []).append(wall)
                    times.setdefault(f"{prefix}{name} cpu", []).append(cpu)
    finally:
        ui.stop()
        if old is not None:
            old.stop()
    return times


def run(url: str) -> list[dict]:
    client = InfluxClient(InfluxSettings(url=url))
    client.create_bucket(META)
    seed(client)
    with scratch_dir("bench-ui-") as logs:
        times = _measure(url, logs)
    best = {name: min(values) for name, values in times.items()}
    first, reload, answer = best["first"], best["reload"], best["answer"]
    name = f"page first paint, {SYMBOLS} symbols"
    rows = [
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
    views = f"page JSON views, {SYMBOLS} symbols, against {BASELINE}"
    for view in VIEWS:
        for kind, unit in (("", "s"), (" cpu", "CPU s (ui + influxd)")):
            key = f"{view}{kind}"
            row = {"benchmark": views, "measure": f"{view} view", "value": best[key], "unit": unit}
            if f"old {key}" in best:
                ratio = best[key] / best[f"old {key}"]
                goal = f"<= {VIEW_GOAL:g}x baseline"
                row |= {"ratio": ratio, "goal": goal, "met": ratio <= VIEW_GOAL}
                old = {"measure": f"{view} view, baseline", "value": best[f"old {key}"]}
                rows.append({"benchmark": views, **old, "unit": unit})
            rows.append(row)
    return rows
