"""A tick's cost on the whole local stack, per symbol, beside the floor script (issue 21).

The stack is `make run`'s (`devstack.run.LocalStack`: influxd, every function in its own process,
the mesh reading knative/) with the demo provider, in a scratch directory. For N tracked symbols
(DEMO symbols of its own for each N: a tick leaves alone what was asked for within ten minutes;
each in a fresh bucket holding every demo bar but the newest, with the forecast a tick made from
them), one tick brings the newest bar (with new bars), and a second brings none
(without new bars). Around each tick: the CPU time of every process from /proc/<pid>/stat (the
functions with their finished children, influxd, and this process, which hosts the mesh and does
nothing else meanwhile), influxd's request count from its /debug/vars, and the wall time from the
PingSource firing to the last forecast delivered (to the mesh going idle without new bars).

The floor (`bench.floor`) does the same symbols' essential work in this process, against the same
influxd, in a bucket of the same shard duration holding the same bars, its CPU counted from this
thread's clock, influxd's as above. Product and floor run alternately at each N.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import requests

from bench import floor
from bench.scratch import scratch_dir
from devstack.influxd import InfluxServer
from devstack.run import LocalStack
from shared.contract.config import InfluxSettings
from shared.contract.schema import DAILY, FORECASTS_BUCKET
from shared.influx.client import InfluxClient
from shared.market.providers.demo import DemoProvider
from shared.store import prices
from shared.store.watchlist import Entry, Watchlist
from shared.usecases.predict import PredictRequest, predict

SIZES: tuple[int, ...] = (10, 50, 200)
META_BUCKET = "stocks"
CPU_GOAL = 3.0  # times the floor's CPU, with new bars and without
REQUEST_GOALS = {True: 5, False: 2}  # influxd requests per symbol
WALL_GOAL = 2.0  # times the floor's wall time, with new bars at the largest N
TICK_TIMEOUT = 900.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds of a process and of its children that ended, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime


def influx_requests(url: str) -> int:
    """influxd's count of HTTP requests served, less the one asking."""
    stats = requests.get(f"{url}/debug/vars", timeout=30).json()
    httpd = next(value for key, value in stats.items() if key.startswith("httpd"))
    return int(httpd["values"]["req"]) - 1


@dataclass
class Sample:
    """What one tick (or one floor run) cost."""

    symbols: int
    cpu: dict[str, float]  # by process: each function, "influxd", "mesh" (product) or "floor"
    requests: int
    wall: float
    last_forecast: float | None = None

    def per_symbol(self, *names: str) -> float:
        return sum(self.cpu[name] for name in names) / self.symbols

    @property
    def functions(self) -> list[str]:
        return [name for name in self.cpu if name not in ("influxd", "mesh", "floor")]

    @property
    def product(self) -> float:
        """The product's processes, functions and influxd, per symbol (the mesh apart)."""
        return self.per_symbol(*self.functions, "influxd")


@dataclass
class Round:
    """The four measures at one N."""

    symbols: int
    samples: dict[tuple[str, bool], Sample] = field(default_factory=dict)  # (who, new bars)


class PredictDeliveries(logging.Handler):
    """Notes when the mesh's deliveries to predict finish, from its JSON log records."""

    def __init__(self, predict_url: str) -> None:
        super().__init__(logging.INFO)
        self.predict_url = predict_url
        self.guard = threading.Lock()
        self.times: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if '"delivery"' not in message:
            return
        delivery = json.loads(message)
        if delivery.get("subscriber") == self.predict_url:
            with self.guard:
                self.times.append(time.perf_counter())

    def since(self, started: float) -> list[float]:
        with self.guard:
            return [moment - started for moment in self.times if moment >= started]


@contextmanager
def local_stack() -> Iterator[LocalStack]:
    """The local stack with the demo provider in a scratch directory; pings only when fired."""
    with scratch_dir("bench-stack-") as data:
        stack = LocalStack(data=data, schedule_pings=False)
        try:
            yield stack.start({"STOCKS_PROVIDER": "demo", "STOCKS_META_BUCKET": META_BUCKET})
        finally:
            stack.stop()


def run() -> list[dict]:
    """Every N's four measures, as rows; `details()` then gives the breakdown."""
    global _ROUNDS
    with local_stack() as stack:
        influx = stack.started()[0]
        client = InfluxClient(InfluxSettings(url=influx.url, timeout_seconds=300))
        mesh_log = logging.getLogger("devstack.mesh")
        deliveries = PredictDeliveries(stack.functions["predict"].url)
        mesh_log.addHandler(deliveries)
        mesh_log.setLevel(logging.INFO)
        mesh_log.propagate = False
        try:
            _warm_up(stack, client, deliveries)
            _ROUNDS = [_round(stack, client, deliveries, n) for n in SIZES]
        finally:
            mesh_log.removeHandler(deliveries)
    return rows(_ROUNDS)


_ROUNDS: list[Round] = []


def _warm_up(stack: LocalStack, client: InfluxClient, deliveries: PredictDeliveries) -> None:
    """One small round unmeasured, so no measured tick pays a function's first-call imports."""
    symbols = _symbols(3, offset=900)
    _seed(client, "bench_warm", symbols)
    _track(client, symbols, "bench_warm")
    _tick(stack, deliveries, 3, predicts=3)
    _tick(stack, deliveries, 3, predicts=None)
    _untrack(client, symbols)


def _round(stack: LocalStack, client: InfluxClient, deliveries: PredictDeliveries, n: int) -> Round:
    symbols = _symbols(n, offset=sum(SIZES[: SIZES.index(n)]))  # none a former round fetched
    bucket, floor_bucket = f"bench_stack_{n}", f"bench_floor_{n}"
    print(f"  N = {n}: seeding ...", flush=True)
    _seed(client, bucket, symbols)
    _seed_floor(client, floor_bucket, symbols)
    _track(client, symbols, bucket)
    measured = Round(n)
    influx = stack.started()[0]
    for new_bars in (True, False):
        label = "with" if new_bars else "without"
        print(f"  N = {n}: tick {label} new bars ...", flush=True)
        product = _tick(stack, deliveries, n, predicts=n if new_bars else None)
        measured.samples["product", new_bars] = product
        measured.samples["floor", new_bars] = _floor(influx, floor_bucket, symbols, new_bars)
    _untrack(client, symbols)
    return measured


def _symbols(n: int, offset: int = 0) -> list[str]:
    return [f"DEMO{i}" for i in range(offset + 1, offset + n + 1)]


def _seed(client: InfluxClient, bucket: str, symbols: list[str]) -> None:
    """Every demo bar but the newest, its adjusted copy, and the forecast a tick drew from them."""
    provider = DemoProvider()
    client.create_bucket(bucket)
    for symbol in symbols:
        bars = provider.bars(symbol, DAILY).iloc[:-1]
        prices.write_bars(client, bucket, symbol, DAILY, bars)
        prices.refresh_adjusted(client, bucket, symbol, DAILY, None)
        request = PredictRequest(
            symbol=symbol,
            bucket=bucket,
            target=FORECASTS_BUCKET,
            interval=DAILY,
            field="close",
            horizon=30,
            model="auto",
            interval_width=0.8,
        )
        predict(client, request)


def _seed_floor(client: InfluxClient, bucket: str, symbols: list[str]) -> None:
    """The same bars in the floor's own bucket (created as the product creates its buckets)."""
    provider = DemoProvider()
    client.create_bucket(bucket)
    for symbol in symbols:
        prices.write_bars(client, bucket, symbol, DAILY, provider.bars(symbol, DAILY).iloc[:-1])


def _track(client: InfluxClient, symbols: list[str], bucket: str) -> None:
    watchlist = Watchlist(client, META_BUCKET)
    for symbol in symbols:
        watchlist.save(Entry(symbol=symbol, bucket=bucket), True)


def _untrack(client: InfluxClient, symbols: list[str]) -> None:
    watchlist = Watchlist(client, META_BUCKET)
    for entry in watchlist.tracked():
        if entry.symbol in symbols:
            watchlist.save(entry, False)


def _pids(stack: LocalStack) -> dict[str, int]:
    pids = {}
    for name, function in stack.functions.items():
        if function.process is not None:
            pids[name] = function.process.pid
    influx = stack.started()[0]
    if influx.process is not None:
        pids["influxd"] = influx.process.pid
    return pids


def _tick(stack: LocalStack, deliveries: PredictDeliveries, n: int, predicts: int | None) -> Sample:
    """Fire the PingSource and wait for the mesh to go idle; what every process spent.

    `predicts`: how many deliveries to predict the tick must make (None: any number).
    """
    influx, mesh = stack.started()
    pids = _pids(stack)
    requests_before = influx_requests(influx.url)
    before = {name: process_cpu(pid) for name, pid in pids.items()}
    mesh_before = time.process_time()
    failed_before = _failures(stack)
    started = time.perf_counter()
    stack.tick()
    if not mesh.wait_idle(TICK_TIMEOUT):
        raise RuntimeError(f"the tick of {n} symbols did not finish in {TICK_TIMEOUT:.0f} s")
    wall = time.perf_counter() - started
    mesh_cpu = time.process_time() - mesh_before
    after = {name: process_cpu(pid) for name, pid in pids.items()}
    requests_made = influx_requests(influx.url) - requests_before - 1  # the one before
    if _failures(stack) != failed_before:
        raise RuntimeError("a delivery failed during the tick: see the stack's logs")
    done = deliveries.since(started)
    if predicts is not None and len(done) != predicts:
        raise RuntimeError(f"{len(done)} deliveries to predict, not {predicts}")
    cpu = {name: after[name] - before[name] for name in pids} | {"mesh": mesh_cpu}
    return Sample(n, cpu, requests_made, wall, max(done) if done else None)


def _failures(stack: LocalStack) -> int:
    mesh = stack.started()[1]
    return sum(d.outcome != "delivered" for d in mesh.deliveries())


def _floor(influx: InfluxServer, bucket: str, symbols: list[str], new_bars: bool) -> Sample:
    url, pid = influx.url, influx.process.pid if influx.process else 0
    requests_before = influx_requests(url)
    influx_before = process_cpu(pid)
    own_before = time.thread_time()
    started = time.perf_counter()
    with_new = floor.tick(url, bucket, symbols)
    wall = time.perf_counter() - started
    own = time.thread_time() - own_before
    influx_cpu = process_cpu(pid) - influx_before
    requests_made = influx_requests(url) - requests_before - 1
    if with_new != (len(symbols) if new_bars else 0):
        raise RuntimeError(f"the floor found new bars for {with_new} of {len(symbols)} symbols")
    return Sample(len(symbols), {"floor": own, "influxd": influx_cpu}, requests_made, wall, wall)


def rows(rounds: list[Round]) -> list[dict]:
    """The goals' rows: CPU per symbol against the floor, requests per symbol, wall time."""
    out = []
    for measured in rounds:
        n = measured.symbols
        for new_bars in (True, False):
            label = "with new bars" if new_bars else "without new bars"
            product = measured.samples["product", new_bars]
            bottom = measured.samples["floor", new_bars]
            floor_cpu = bottom.per_symbol("floor", "influxd")
            ratio = product.product / floor_cpu
            out += [
                {
                    "benchmark": f"stack tick, N = {n}",
                    "measure": f"{label}: functions + influxd, per symbol",
                    "value": product.product,
                    "unit": "CPU s",
                    "ratio": ratio,
                    "goal": f"<= {CPU_GOAL:g}x floor",
                    "met": ratio <= CPU_GOAL,
                },
                {
                    "benchmark": f"stack tick, N = {n}",
                    "measure": f"{label}: the floor script + influxd, per symbol",
                    "value": floor_cpu,
                    "unit": "CPU s",
                    "ratio": 1.0,
                },
                {
                    "benchmark": f"stack tick, N = {n}",
                    "measure": f"{label}: influxd requests per symbol (floor: "
                    f"{bottom.requests / n:.2f})",
                    "value": product.requests / n,
                    "unit": "requests",
                    "goal": f"<= {REQUEST_GOALS[new_bars]}",
                    "met": product.requests / n <= REQUEST_GOALS[new_bars],
                },
                {
                    "benchmark": f"stack tick, N = {n}",
                    "measure": f"{label}: the local mesh (Knative's broker in a cluster), "
                    "per symbol",
                    "value": product.per_symbol("mesh"),
                    "unit": "CPU s",
                    "ratio": product.per_symbol("mesh") / floor_cpu,
                },
            ]
    largest = rounds[-1]
    product = largest.samples["product", True]
    bottom = largest.samples["floor", True]
    if product.last_forecast is not None and bottom.last_forecast is not None:
        ratio = product.last_forecast / bottom.last_forecast
        out += [
            {
                "benchmark": f"stack tick, N = {largest.symbols}",
                "measure": "with new bars: the floor's wall time",
                "value": bottom.last_forecast,
                "unit": "s",
                "ratio": 1.0,
            },
            {
                "benchmark": f"stack tick, N = {largest.symbols}",
                "measure": "with new bars: tick to last forecast written, wall time",
                "value": product.last_forecast,
                "unit": "s",
                "ratio": ratio,
                "goal": f"<= {WALL_GOAL:g}x floor",
                "met": ratio <= WALL_GOAL,
            },
        ]
    return out


def details() -> str:
    """Where each tick's CPU went, per symbol, by process (Markdown)."""
    lines = [
        "### Stack tick: CPU s per symbol by process, influxd requests per symbol",
        "",
        "| N | new bars | fetch | predict | watchlist | other functions | influxd | product "
        "| mesh | requests | floor script | floor influxd | floor | floor requests | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for measured in _ROUNDS:
        n = measured.symbols
        for new_bars in (True, False):
            s = measured.samples["product", new_bars]
            f = measured.samples["floor", new_bars]
            main = ("fetch", "predict", "watchlist")
            others = [name for name in s.functions if name not in main]
            floor_cpu = f.per_symbol("floor", "influxd")
            cells = [
                *(s.per_symbol(name) for name in main),
                s.per_symbol(*others),
                s.per_symbol("influxd"),
                s.product,
                s.per_symbol("mesh"),
            ]
            lines.append(
                f"| {n} | {'yes' if new_bars else 'no'} | "
                + " | ".join(f"{value:.4f}" for value in cells)
                + f" | {s.requests / n:.2f} | {f.per_symbol('floor'):.4f} | "
                f"{f.per_symbol('influxd'):.4f} | {floor_cpu:.4f} | {f.requests / n:.2f} | "
                f"{s.product / floor_cpu:.1f}x |"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # a quick look without the rest of `make bench`
    import sys

    if len(sys.argv) > 1:
        SIZES = tuple(int(n) for n in sys.argv[1:])
    print(pd.DataFrame(run()).to_string())
    print(details())
