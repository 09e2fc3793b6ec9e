"""A pipeline tick's cost per symbol: fetch then predict (auto), with and without new bars.

N symbols hold five years of demo bars but the newest; one tick's fetch brings that bar and
predict refits; a second tick brings nothing and predict answers from the stored forecast. CPU
seconds are this process's own plus its finished children's (Prophet's CmdStan processes), taken
around each tick; the use cases run in process, as the functions would run them.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable

import pandas as pd

from bench.scratch import scratch_dir
from shared.contract.config import InfluxSettings
from shared.contract.payloads import FetchRequest
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident
from shared.market.providers.demo import DemoProvider
from shared.store import prices
from shared.usecases.fetch import fetch
from shared.usecases.predict import PredictRequest, predict

SYMBOLS = tuple(f"DEMO{i}" for i in range(950, 958))
BUCKET = "bench_pipeline"
HISTORY = 1260  # five years of daily bars
GOALS = {"with new bars": 0.35, "without new bars": 0.05}


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (CmdStan's included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _tick(client: InfluxClient, provider: DemoProvider) -> list[bool]:
    """fetch then predict for every symbol, as one tick's events would; whether each refit."""
    refits = []
    for symbol in SYMBOLS:
        fetched = fetch(client, provider, FetchRequest(symbol, "daily", BUCKET, model="auto"))
        request = PredictRequest(
            symbol=symbol,
            bucket=BUCKET,
            target=BUCKET,
            interval="daily",
            field="close",
            horizon=30,
            model="auto",
            interval_width=0.8,
        )
        refits.append(predict(client, request, fetched).refit)
    return refits


def _measured(step: Callable[[], list[bool]]) -> tuple[float, list[bool]]:
    before = _cpu_seconds()
    refits = step()
    return (_cpu_seconds() - before) / len(SYMBOLS), refits


def run(url: str) -> list[dict]:
    """CPU seconds per symbol of a tick with a new bar each, then of one with none."""
    client = InfluxClient(InfluxSettings(url=url, timeout_seconds=120))
    provider = DemoProvider()
    with scratch_dir("bench-pipeline-") as scratch:
        return _measure(client, provider, str(scratch))


def _measure(client: InfluxClient, provider: DemoProvider, scratch: str) -> list[dict]:
    tempfile.tempdir = scratch  # Prophet's CmdStan files go there and are removed with it
    try:
        for symbol in SYMBOLS:
            bars = provider.bars(symbol, "daily").iloc[-HISTORY - 1 : -1]
            prices.write_bars(client, BUCKET, symbol, "daily", bars)
        started = time.perf_counter()
        with_new, refits = _measured(lambda: _tick(client, provider))
        assert all(refits), "every symbol had a new bar: each must refit"
        without_new, refits = _measured(lambda: _tick(client, provider))
        assert not any(refits), "no symbol had a new bar: none may refit"
        wall = time.perf_counter() - started
    finally:
        tempfile.tempdir = None
        client.execute(None, f"DROP DATABASE {ident(BUCKET)}")
    rows = []
    for label, seconds in (("with new bars", with_new), ("without new bars", without_new)):
        rows.append(
            {
                "benchmark": "pipeline tick, in process",
                "measure": f"{len(SYMBOLS)} symbols, fetch + predict (auto) {label}, per symbol",
                "value": seconds,
                "unit": "CPU s",
                "ratio": seconds / with_new,
                "goal": f"<= {GOALS[label]} CPU s",
                "met": seconds <= GOALS[label],
            }
        )
    rows.append(
        {
            "benchmark": "pipeline tick, in process",
            "measure": "both ticks, wall clock",
            "value": wall,
            "unit": "s",
        }
    )
    return rows


if __name__ == "__main__":  # a quick look without the rest of `make bench`
    from bench.scratch import scratch_influxd

    with scratch_influxd() as server:
        print(pd.DataFrame(run(server.url)).to_string())
