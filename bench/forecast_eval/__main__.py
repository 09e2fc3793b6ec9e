"""Run the evaluation on one set of series and print the tables (docs/forecasting.md)."""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

from bench.forecast_eval import data, protocol, report

MODELS = ["naive", "drift", "prophet", "auto"]


def main(argv: list[str]) -> None:
    """Parse the arguments, evaluate every series of the set, print the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.forecast_eval")
    parser.add_argument("--set", choices=sorted(data.SETS), default="heldout")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--origins", type=int, default=40, help="forecast origins per series")
    parser.add_argument("--save", type=Path, help="pickle the raw errors to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = {}
    for name, series in data.named(args.set).items():
        runs[name] = protocol.evaluate(series, args.models, args.origins)
        print(f"{name}: {len(series)} bars, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.save:
        args.save.write_bytes(pickle.dumps(runs))
    print(report.table(runs, args.models))


if __name__ == "__main__":
    main(sys.argv[1:])
