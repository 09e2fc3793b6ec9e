"""Cold start: process start to the first 200 of each function, beside a bare parliament function.

fetch (demo, 10 years of daily bars written), buckets and watchlist (a listing) are timed
alternately with the bare function, best of REPEATS each; predict to its first forecast of 5
years of stored daily bars, per model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import requests

from bench.scratch import scratch_dir
from devstack.ports import free_port
from shared.contract.config import InfluxSettings
from shared.influx.client import InfluxClient
from shared.market.providers.demo import DemoProvider
from shared.store import prices

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
BARE_FUNC = 'def main(context):\n    return "ok"\n'
BARE_SERVER = (
    "import sys\nfrom parliament import server\nfrom waitress import serve\n"
    "serve(server.create(server.load(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]))\n"
)
BUCKET = "bench_cold"
GOAL = 2.5
PREDICT_GOAL_SECONDS = 1.2


def _first_200(command: list[str], url: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if requests.get(url, timeout=60).status_code == 200:
                    return time.perf_counter() - started
            except requests.ConnectionError:
                time.sleep(0.005)
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited early")
    finally:
        process.terminate()
        process.wait()


def _function(name: str, query: str, env: dict[str, str]) -> float:
    port = free_port()
    return _first_200(
        [sys.executable, "-m", "shared.runtime.server"],
        f"http://127.0.0.1:{port}/{query}",
        {**env, "STOCKS_FUNCTION": name, "PORT": str(port)},
    )


def _seed_five_years(url: str) -> None:
    bars = DemoProvider().bars("PRED", "daily").iloc[-1260:]
    prices.write_bars(InfluxClient(InfluxSettings(url=url)), BUCKET, "PRED", "daily", bars)


def run(url: str) -> list[dict]:
    """Best of REPEATS cold starts of each, measured alternately in one run."""
    with scratch_dir("bench-bare-") as bare_dir:
        return _measure(url, bare_dir)


def _measure(url: str, bare_dir: Path) -> list[dict]:
    (bare_dir / "func.py").write_text(BARE_FUNC)
    (bare_dir / "serve.py").write_text(BARE_SERVER)
    env = {
        **os.environ,
        "INFLUX_URL": url,
        "STOCKS_PROVIDER": "demo",
        "STOCKS_META_BUCKET": BUCKET,
        "HOST": "127.0.0.1",
    }
    _seed_five_years(url)
    times: dict[str, list[float]] = {
        "bare": [], "fetch": [], "buckets": [], "watchlist": [], "predict naive": [],
        "predict auto": [], "predict prophet": [],
    }  # fmt: skip
    predict = f"?symbol=PRED&bucket={BUCKET}&target={BUCKET}&horizon=20&model="
    for attempt in range(REPEATS):
        port = free_port()
        times["bare"].append(
            _first_200(
                [sys.executable, str(bare_dir / "serve.py"), str(bare_dir), str(port)],
                f"http://127.0.0.1:{port}/",
                env,
            )
        )
        times["fetch"].append(_function("fetch", f"?symbol=COLD{attempt}&bucket={BUCKET}", env))
        times["buckets"].append(_function("buckets", "", env))
        times["watchlist"].append(_function("watchlist", "", env))
        for model in ("naive", "auto", "prophet"):
            times[f"predict {model}"].append(_function("predict", predict + model, env))
    bare = min(times["bare"])
    rows = [
        {
            "benchmark": "cold start",
            "measure": "bare parliament function, start to first 200",
            "value": bare,
            "unit": "s",
            "ratio": 1.0,
        }
    ]
    for name, measure in (
        ("fetch", "fetch (demo, 10 years of daily bars written), start to first 200"),
        ("buckets", "buckets (listing), start to first 200"),
        ("watchlist", "watchlist (listing), start to first 200"),
    ):
        ratio = min(times[name]) / bare
        rows.append(
            {
                "benchmark": "cold start",
                "measure": measure,
                "value": min(times[name]),
                "unit": "s",
                "ratio": ratio,
                "goal": f"<= {GOAL}x bare",
                "met": ratio <= GOAL,
            }
        )
    for model in ("naive", "auto", "prophet"):
        seconds = min(times[f"predict {model}"])
        rows.append(
            {
                "benchmark": "cold start",
                "measure": f"predict {model}, 5 years of daily bars, start to first forecast",
                "value": seconds,
                "unit": "s",
                "ratio": seconds / bare,
                "goal": f"<= {PREDICT_GOAL_SECONDS} s",
                "met": seconds <= PREDICT_GOAL_SECONDS,
            }
        )
    return rows


if __name__ == "__main__":  # a quick look without the rest of `make bench`
    from bench.scratch import scratch_influxd

    with scratch_influxd() as server:
        print(pd.DataFrame(run(server.url)).to_string())
