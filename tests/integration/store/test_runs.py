"""Function runs (`store/runs.py`) on a real influxd: what a tick counts as each entry's refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.contract.schema import RUNS
from shared.influx import one_point
from shared.store import runs

NOON = datetime(2026, 11, 27, 12, tzinfo=UTC)


def run(minutes: int, function: str, status: str, symbol: str, interval: str) -> str:
    """A `runs` line of a call that ended `minutes` after NOON."""
    at = NOON + timedelta(minutes=minutes)
    return one_point.line(
        RUNS, at, "ms", function=function, status=status, symbol=symbol, interval=interval,
        points=1, seconds=0.1,
    )  # fmt: skip


def test_the_last_successful_fetch_of_each_symbol_and_interval(storage, bucket):
    storage.write_lines(
        bucket,
        [
            run(0, "fetch", "ok", "AAA", "daily"),
            run(2, "fetch", "ok", "AAA", "daily"),  # the newest counts
            run(1, "fetch", "ok", "AAA", "5min"),
            run(3, "fetch", "502", "BBB", "daily"),  # failed: no refresh
            run(4, "predict", "ok", "CCC", "daily"),  # a forecast: no refresh
        ],
        "ms",
    )
    assert runs.last_fetched(storage, bucket, NOON) == {
        ("AAA", "daily"): NOON + timedelta(minutes=2),
        ("AAA", "5min"): NOON + timedelta(minutes=1),
    }
    later = NOON + timedelta(minutes=1, seconds=1)
    assert runs.last_fetched(storage, bucket, later) == {
        ("AAA", "daily"): NOON + timedelta(minutes=2)
    }
