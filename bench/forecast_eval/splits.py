"""The evaluation once on split series, adjusted against raw: what forecasting raw prices costs.

The tuning set's closes are split-adjusted. Their raw series is rebuilt from the splits the
companies made in those years (public facts: ex-dates and ratios below), by multiplying the
closes before each ex-date by its ratio. Both series go through the same rolling-origin protocol
(`protocol.evaluate`); errors are scaled by the last price at each origin. Run with
`nice -n 10 python -m bench.forecast_eval.splits`.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from bench.forecast_eval import data, protocol
from shared.market.actions import adjustment_factors, splits

SPLITS = {  # ex-date and new shares per old share, within 2013-2023
    "AAPL": [("2014-06-09", 7.0), ("2020-08-31", 4.0)],
    "AMZN": [("2022-06-06", 20.0)],
    "GOOG": [("2022-07-18", 20.0)],
    "NVDA": [("2021-07-20", 4.0)],
}
MODELS = ["naive", "drift", "auto", "prophet"]
ORIGINS = 40


def raw_of(closes: pd.Series, actions: pd.DataFrame) -> pd.Series:
    """The closes as traded: adjusted closes times the splits that came after each bar."""
    price, _ = adjustment_factors(closes.index, closes.to_numpy(), actions)
    return closes / price  # a split's price factor before its ex-date is 1 / ratio


def after(runs: protocol.Runs, key: str, size: int, first_after: int) -> np.ndarray:
    """Mean scaled error per forecast made from an origin past `first_after`."""
    origins = protocol.origin_indices(size, ORIGINS)
    errors = runs.errors[key]
    return np.array([e.mean() for o, e in zip(origins, errors, strict=True) if o > first_after])


def main() -> None:
    tuning = data.named("tuning")
    lines = [
        "| series | model | scaled MAE adjusted | raw | raw / adjusted | after the split: "
        "adjusted | raw | 80% coverage adjusted / raw |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for symbol, events in SPLITS.items():
        closes = tuning[symbol]
        dates = [pd.Timestamp(d, tz="UTC") for d, _ in events]
        actions = splits(dates, [ratio for _, ratio in events])
        raw = raw_of(closes, actions)
        first_after = int(np.searchsorted(closes.index, dates[-1]))
        runs = {
            "adjusted": protocol.evaluate(closes, MODELS, ORIGINS),
            "raw": protocol.evaluate(raw, MODELS, ORIGINS),
        }
        for model in MODELS:
            key = f"{model}@{protocol.HORIZON}"
            whole = {k: np.mean([e.mean() for e in r.errors[key]]) for k, r in runs.items()}
            late = {k: after(r, key, len(closes), first_after).mean() for k, r in runs.items()}
            cover = {k: np.mean(np.concatenate(r.inside[key])) for k, r in runs.items()}
            lines.append(
                f"| {symbol} | {model} | {whole['adjusted']:.4f} | {whole['raw']:.4f} "
                f"| {whole['raw'] / whole['adjusted']:.2f} | {late['adjusted']:.4f} "
                f"| {late['raw']:.4f} | {cover['adjusted']:.0%} / {cover['raw']:.0%} |"
            )
        print(f"{symbol} done", file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
