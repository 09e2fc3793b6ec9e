"""`make bench`: all benchmarks side by side, written to docs/benchmarks.md."""

from __future__ import annotations

import importlib
import inspect
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.scratch import scratch_influxd

MODULES = (
    "bench_storage",
    "bench_parse",
    "bench_fetch",
    "bench_coldstart",
    "bench_predict",
    "bench_pipeline",
    "bench_stack",
    "bench_ui",
    "bench_alerts",
)
OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """One line describing where the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
        cpu = model
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def table(rows: list[dict]) -> str:
    """A Markdown table of benchmark rows."""
    lines = [
        "| benchmark | measure | value | unit | ratio | goal | met |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for row in rows:
        value = row["value"]
        shown = f"{value:,.0f}" if value >= 100 else f"{value:.3f}"
        ratio = f"{row['ratio']:.3f}" if "ratio" in row else ""
        met = {True: "yes", False: "**no**"}.get(row.get("met"), "")
        lines.append(
            f"| {row['benchmark']} | {row['measure']} | {shown} | {row['unit']} | {ratio} "
            f"| {row.get('goal', '')} | {met} |"
        )
    return "\n".join(lines)


def main(selected: list[str]) -> None:
    rows: list[dict] = []
    details: list[str] = []
    with scratch_influxd() as server:
        for name in selected or MODULES:
            module = importlib.import_module(f"bench.{name}")
            wants_url = "url" in inspect.signature(module.run).parameters
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows.extend(module.run(server.url) if wants_url else module.run())
            if hasattr(module, "details"):
                details.append(module.details())
    report = (
        f"# Benchmarks\n\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on "
        f"{machine()}; `influxd` {server_version()} on the same machine. Ratios compare "
        f"measures taken side by side in this one run (best or median of several repetitions, "
        f"as each benchmark says below).\n\n{table(rows)}\n"
        + "".join(f"\n{section}\n" for section in details)
    )
    print(report)
    if not selected:
        OUTPUT.parent.mkdir(exist_ok=True)
        OUTPUT.write_text(report + NOTES)


def server_version() -> str:
    import subprocess

    out = subprocess.run(["influxd", "version"], capture_output=True, text=True).stdout.strip()
    return out.split()[1] if out else "unknown"


NOTES = """
## How to read it

- **ingest**: bars per second from a DataFrame of one-minute bars (5 fields, 2 tags) to stored in
  `influxd`. The raw POST of pre-serialized lines is the server's ceiling here; the ratio of
  `InfluxClient.write` is to that ceiling. The per-row Point loop is the original Flask app's way.
- **query**: 100,000 stored bars into a typed, UTC-indexed DataFrame, against the raw HTTP time of
  the same InfluxQL query (CSV bytes only).
- **fetch parse / fetch parse + write**: a month of 1-minute Alpha Vantage CSV parsed, and parsed
  plus written, against the raw POST ceiling of the same bars.
- **cold start**: process start to the first 200 of fetch (writing ten years of demo bars),
  buckets and watchlist (listings), against a bare parliament function that imports nothing; and
  predict's first forecast of five years of daily bars per model.
- **pipeline tick**: CPU seconds per symbol of fetch then predict (auto) for eight symbols, once
  with a new bar each (predict refits) and once with none (predict answers from the stored
  forecast), this process's CPU and its finished children's (CmdStan) included.
- **page first paint**: the ui page in headless Chromium with 50 tracked symbols, from navigation
  start to the watchlist table drawn (first visit in a fresh profile, and reloads), beside the
  watchlist JSON view it waits for.
- **predict**: the original app's Prophet configuration against ours on the same data, and our
  predict call end to end (InfluxDB read, fit, backtest, write) against Prophet's bare fit and
  predict.

## Goals not met, and why

Figures from run to run on this machine vary by about 20% (cold starts and the predict call most):
three full runs on 2026-11-28 gave the ranges quoted here.

- **fetch parse + write (goal 0.5 of the ceiling)**: 0.32 to 0.41 (0.46 to 0.50 on
  2026-11-27). The write itself reaches 0.61 to 0.66 of the ceiling (ingest above), better than
  influxdb-client's serializer did (0.56 to 0.59), since `shared/influx/line_protocol.py` formats
  by the schema's types. The parse is what got slower: every cell is now read as text and
  checked (finite, non-negative prices; whole volumes within int64; dates in range) so that a
  provider's garbage is a 502 and never half a write (issue 13). All-digit volumes convert at
  once, which took a quarter off the parse; the price checks stay.
- **cold start of fetch (goal 2.5 times the bare function)**: 3.3 to 3.7 times. Its first 200 is
  a first fetch of a symbol: ten years of demo bars generated and written, with its corporate
  actions and the adjusted copy Grafana reads (a second write of the same bars), plus pandas
  (about 0.25 s). buckets (1.3 to 1.6) meets the goal: it imports no pandas at all, and
  influxdb-client is off every function's start path. watchlist measured 2.2 to 2.6, on the
  line: its listing reads the watchlist through pandas' CSV reader (0.25 s of imports).
- **predict call against a bare Prophet fit (goal 2.5)**: 2.9 to 4.2. Honest metrics cost fits:
  the reported scores come from rolling-origin windows that did not choose the model, so a
  Prophet request fits Prophet on several windows, not once (docs/forecasting.md). predict's
  first Prophet forecast is still within 1.2 s of process start, and `auto`, the pipeline's
  model, costs 0.06 of a Prophet call.
"""


if __name__ == "__main__":
    main(sys.argv[1:])
