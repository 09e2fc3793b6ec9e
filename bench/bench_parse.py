"""How fast an Alpha Vantage body becomes contract bars: a month of 1-minute bars, CSV and JSON."""

from __future__ import annotations

import json
import timeit

import pandas as pd

from shared.market.providers.alphavantage import parse_bars
from shared.market.providers.demo import DemoProvider

MONTH = "2026-10"  # 22 trading days: 8,580 one-minute bars
REPEATS = 7
NUMBER = 5


def month_of_minutes() -> pd.DataFrame:
    """Realistic 1-minute bars, as Alpha Vantage lists them: New York wall clock, newest first."""
    now = pd.Timestamp("2026-12-01", tz="UTC")
    bars = DemoProvider(now=lambda: now).bars("IBM", "1min", month=MONTH)
    bars.index = bars.index.tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M:%S")
    return bars.iloc[::-1]


def csv_body(bars: pd.DataFrame) -> bytes:
    text = bars.to_csv(index_label="timestamp", float_format="%.4f", lineterminator="\r\n")
    return text.encode()


def json_body(bars: pd.DataFrame) -> bytes:
    fields = {"open": "1. open", "high": "2. high", "low": "3. low", "close": "4. close",
              "volume": "5. volume"}  # fmt: skip
    series = {
        stamp: {fields[k]: f"{v:.4f}" if k != "volume" else str(int(v)) for k, v in row.items()}
        for stamp, row in bars.iterrows()
    }
    meta = {"1. Information": "Intraday (1min) open, high, low, close prices and volume",
            "2. Symbol": "IBM", "3. Last Refreshed": bars.index[0], "4. Interval": "1min",
            "5. Output Size": "Full size", "6. Time Zone": "US/Eastern"}  # fmt: skip
    return json.dumps({"Meta Data": meta, "Time Series (1min)": series}, indent=4).encode()


def bars_per_second(body: bytes) -> float:
    """Bars a second at the best of several repetitions."""
    rows = len(parse_bars(body, "1min"))
    best = min(timeit.repeat(lambda: parse_bars(body, "1min"), number=NUMBER, repeat=REPEATS))
    return rows * NUMBER / best


def run() -> list[dict]:
    """One row per body format."""
    bars = month_of_minutes()
    results = []
    for label, body in (("CSV", csv_body(bars)), ("JSON", json_body(bars))):
        rate = bars_per_second(body)
        results.append(
            {
                "benchmark": "fetch parse",
                "measure": f"Alpha Vantage {label}, 1 month of 1-min bars",
                "value": round(rate),
                "unit": "bars/s",
            }
        )
    return results


if __name__ == "__main__":
    for row in run():
        print(row)
