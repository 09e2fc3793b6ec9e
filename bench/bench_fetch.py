"""fetch's own work: parse a month of 1-min Alpha Vantage CSV and write it, against the ceiling."""

from __future__ import annotations

import requests

from bench.bench_parse import csv_body, month_of_minutes
from bench.bench_storage import FreshBucket, post_lines, serialized
from bench.timing import best_of_alternating
from shared.contract.config import InfluxSettings
from shared.contract.schema import PRICES
from shared.influx.client import InfluxClient
from shared.market.providers.alphavantage import parse_bars


def run(url: str) -> list[dict]:
    """Parse + write bars/s and the raw POST ceiling of the same bars, in one run."""
    storage = InfluxClient(InfluxSettings(url=url, timeout_seconds=120))
    body = csv_body(month_of_minutes())
    parsed = parse_bars(body, "1min").assign(symbol="IBM", interval="1min")
    lines = serialized(storage, parsed)
    session = requests.Session()
    bucket = FreshBucket(storage)

    def parse_and_write() -> None:
        bars = parse_bars(body, "1min")
        storage.write(bucket.name, bars.assign(symbol="IBM", interval="1min"), PRICES)

    ceiling, ours = best_of_alternating(
        lambda: post_lines(session, url, bucket.name, lines), parse_and_write, bucket, repeats=9
    )
    count = len(parsed)
    return [
        {
            "benchmark": "fetch parse + write",
            "measure": f"raw POST of the same {count:,} bars (ceiling)",
            "value": count / ceiling,
            "unit": "bars/s",
            "ratio": 1.0,
        },
        {
            "benchmark": "fetch parse + write",
            "measure": "parse CSV + InfluxClient.write",
            "value": count / ours,
            "unit": "bars/s",
            "ratio": ceiling / ours,
            "goal": ">= 0.5 of ceiling",
            "met": ceiling / ours >= 0.5,
        },
    ]
