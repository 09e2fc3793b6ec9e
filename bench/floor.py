"""The floor: the least work a tick must do per symbol, as a plain script with no framework.

Per symbol, with new bars: one query for the newest stored close, the demo provider's bars after
it, one query of the stored closes, a naive forecast of 30 steps with an 80% band, and one
line-protocol POST of the new bars and the 30 forecast points. Without new bars: the first query
and the provider call only. One keep-alive HTTP session, JSON answers, no pandas on the storage
side. `bench.bench_stack` runs it against the stack's own influxd, beside a tick of the product.

    python -m bench.floor URL BUCKET SYMBOL...
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import requests

from shared.market.providers.demo import DemoProvider

HORIZON = 30
Z_80 = 1.2815515655446004  # the normal quantile of 0.9: an 80% band


def newest_close_ms(session: requests.Session, url: str, bucket: str, symbol: str) -> int | None:
    """The time (ms since the epoch) of the symbol's newest stored daily close, or None."""
    series = _query(session, url, bucket, f'SELECT last("close") FROM "prices" WHERE {_of(symbol)}')
    return int(series[0]["values"][0][0]) if series else None


def stored_closes(session: requests.Session, url: str, bucket: str, symbol: str) -> np.ndarray:
    """The symbol's stored daily closes, oldest first."""
    series = _query(session, url, bucket, f'SELECT "close" FROM "prices" WHERE {_of(symbol)}')
    return np.array([row[1] for row in series[0]["values"]], dtype="float64")


def naive_forecast(closes: np.ndarray, last_ms: int) -> list[str]:
    """Line protocol of a naive forecast of HORIZON weekdays after `last_ms`, with an 80% band."""
    sigma = float(np.std(np.diff(closes), ddof=1))
    steps = np.arange(1, HORIZON + 1)
    half = Z_80 * sigma * np.sqrt(steps)
    last_day = np.datetime64(last_ms, "ms").astype("datetime64[D]")
    days = np.busday_offset(last_day, steps, roll="forward")
    seconds = days.astype("datetime64[s]").astype("int64")
    value = float(closes[-1])
    return [
        f"forecast,symbol=SYM,interval=daily,field=close,model=naive "
        f"yhat={value!r},yhat_lower={value - h!r},yhat_upper={value + h!r} {s}"
        for h, s in zip(half.tolist(), seconds.tolist(), strict=True)
    ]


def bar_lines(symbol: str, bars: pd.DataFrame) -> list[str]:
    """Line protocol of the provider's bars (open, high, low, close, volume by UTC time)."""
    seconds = bars.index.asi8 // 1_000_000_000
    columns = (bars[c].tolist() for c in ("open", "high", "low", "close", "volume"))
    return [
        f"prices,symbol={symbol},interval=daily "
        f"open={o!r},high={h!r},low={lo!r},close={c!r},volume={int(v)}i {s}"
        for o, h, lo, c, v, s in zip(*columns, seconds.tolist(), strict=True)
    ]


def tick(url: str, bucket: str, symbols: list[str], provider: DemoProvider | None = None) -> int:
    """One tick's essential work for every symbol; how many had new bars."""
    provider = provider or DemoProvider()
    session = requests.Session()
    new = 0
    for symbol in symbols:
        last_ms = newest_close_ms(session, url, bucket, symbol)
        since = None if last_ms is None else pd.Timestamp(last_ms, unit="ms", tz="UTC")
        bars = provider.bars(symbol, "daily", since=since)
        if bars.empty:
            continue
        new += 1
        closes = stored_closes(session, url, bucket, symbol)
        closes = np.concatenate([closes, bars["close"].to_numpy(dtype="float64")])
        newest = int(bars.index.max().value // 1_000_000)
        lines = bar_lines(symbol, bars) + [
            line.replace("symbol=SYM", f"symbol={symbol}")
            for line in naive_forecast(closes, newest)
        ]
        response = session.post(
            f"{url}/write",
            params={"db": bucket, "precision": "s"},
            data="\n".join(lines).encode(),
            timeout=60,
        )
        response.raise_for_status()
    return new


def _of(symbol: str) -> str:
    return f"\"symbol\" = '{symbol}' AND \"interval\" = 'daily'"


def _query(session: requests.Session, url: str, bucket: str, q: str) -> list[dict]:
    response = session.get(f"{url}/query", params={"db": bucket, "epoch": "ms", "q": q}, timeout=60)
    response.raise_for_status()
    return response.json()["results"][0].get("series", [])


if __name__ == "__main__":
    started = time.perf_counter()
    count = tick(sys.argv[1], sys.argv[2], sys.argv[3:])
    print(f"{count} symbols with new bars in {time.perf_counter() - started:.3f} s")
