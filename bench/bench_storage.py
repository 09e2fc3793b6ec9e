"""Storage: ingest bars/s against the server ceiling and a per-row Point loop; query overhead."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import requests
from influxdb_client import Point

from bench.timing import best_of, best_of_alternating
from shared.contract.config import InfluxSettings
from shared.contract.schema import PRICES
from shared.influx.client import BATCH_LINES, InfluxClient

BARS = 100_000
PER_ROW_BARS = 20_000


def bars(count: int = BARS, symbol: str = "BENCH", interval: str = "1min") -> pd.DataFrame:
    """`count` one-minute bars of one symbol, as fetch writes them."""
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, count)))
    index = pd.DatetimeIndex(
        pd.date_range("2020-01-01", periods=count, freq="min", tz="UTC"), name="time"
    )
    return pd.DataFrame(
        {
            "symbol": symbol,
            "interval": interval,
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.integers(1_000, 100_000, count),
        },
        index=index,
    )


def post_lines(
    session: requests.Session, url: str, db: str, lines: list[str], precision: str = "s"
) -> None:
    """POST ready lines in the same batches the storage uses, uncompressed."""
    for start in range(0, len(lines), BATCH_LINES):
        body = "\n".join(lines[start : start + BATCH_LINES]).encode()
        session.post(
            f"{url}/write", params={"db": db, "precision": precision}, data=body
        ).raise_for_status()


def point_lines(frame: pd.DataFrame) -> list[str]:
    """The original Flask app's loop: one Point per bar and field, serialized one by one."""
    lines = []
    for moment, row in frame.iterrows():
        for field in ("open", "high", "low", "close", "volume"):
            point = (
                Point("prices")
                .tag("symbol", row["symbol"])
                .tag("interval", row["interval"])
                .field(field, row[field])
                .time(moment)
            )
            lines.append(point.to_line_protocol())
    return lines


def serialized(storage: InfluxClient, frame: pd.DataFrame) -> list[str]:
    """The frame as line protocol, by the storage's own serializer."""
    return [
        line
        for chunk in storage.line_batches(frame, PRICES, "s")
        for line in chunk.decode().split("\n")
    ]


class FreshBucket:
    """Called before each timed write: creates a new empty bucket, then named by `name`."""

    def __init__(self, storage: InfluxClient) -> None:
        self.storage = storage
        self.name = ""

    def __call__(self) -> None:
        self.name = f"bench_{uuid.uuid4().hex[:8]}"
        self.storage.create_bucket(self.name)


def run(url: str) -> list[dict]:
    """Ingest and query measurements against the influxd at `url`."""
    storage = InfluxClient(InfluxSettings(url=url, timeout_seconds=120))
    frame = bars()
    lines = serialized(storage, frame)
    session = requests.Session()
    bucket = FreshBucket(storage)

    raw, ours = best_of_alternating(
        lambda: post_lines(session, url, bucket.name, lines),
        lambda: storage.write(bucket.name, frame, PRICES),
        bucket,
        repeats=5,
    )
    few = frame.iloc[:PER_ROW_BARS]
    per_row = best_of(lambda: post_lines(session, url, bucket.name, point_lines(few), "ns"), bucket)
    serializer = best_of(lambda: serialized(storage, frame))

    query = 'SELECT * FROM "prices" WHERE "symbol" = \'BENCH\''
    raw_query = best_of(
        lambda: (
            session.post(
                f"{url}/query",
                params={"db": bucket.name, "epoch": "ms"},
                data={"q": query},
                headers={"Accept": "application/csv"},
            ).content
        )
    )
    framed = best_of(lambda: storage.query(bucket.name, query, PRICES))
    ceiling = BARS / raw
    return [
        {
            "benchmark": "ingest",
            "measure": "raw POST of pre-serialized lines (server ceiling)",
            "value": ceiling,
            "unit": "bars/s",
            "ratio": 1.0,
        },
        {
            "benchmark": "ingest",
            "measure": "InfluxClient.write: serializer + gzip + POST",
            "value": BARS / ours,
            "unit": "bars/s",
            "ratio": raw / ours,
            "goal": ">= 0.6 of ceiling",
            "met": raw / ours >= 0.6,
        },
        {
            "benchmark": "ingest",
            "measure": f"original per-row Point loop ({PER_ROW_BARS:,} bars)",
            "value": PER_ROW_BARS / per_row,
            "unit": "bars/s",
            "ratio": PER_ROW_BARS / per_row / ceiling,
        },
        {
            "benchmark": "ingest",
            "measure": "line protocol from the frame alone (shared/influx/line_protocol.py)",
            "value": BARS / serializer,
            "unit": "bars/s",
            "ratio": BARS / serializer / ceiling,
        },
        {
            "benchmark": "query",
            "measure": f"raw HTTP CSV of {BARS:,} bars",
            "value": raw_query,
            "unit": "s",
            "ratio": 1.0,
        },
        {
            "benchmark": "query",
            "measure": f"InfluxClient.query into a typed DataFrame ({BARS:,} bars)",
            "value": framed,
            "unit": "s",
            "ratio": framed / raw_query,
            "goal": "<= 1.5x raw",
            "met": framed / raw_query <= 1.5,
        },
    ]
