"""`runs` and `dead_letters` on a real influxd: every call and every letter keeps its own point.

A run's symbol and a dead letter's event id are fields, so two points of one series differ only
by their time; calls ending in the same millisecond (a tick's concurrent fetches, a burst of
letters) must not overwrite each other.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.store import dead_letters, runs

CALLS = 200


def record(storage, bucket: str, symbol: str) -> None:
    runs.record(
        storage, bucket, function="fetch", status=200, symbol=symbol, points=1,
        seconds=0.01, error=None, interval="daily",
    )  # fmt: skip


def stored_symbols(storage, bucket: str) -> list[str]:
    storage.deferred.flush()
    ((series,),) = storage.select(bucket, ['SELECT "symbol" FROM "runs"'])
    return sorted(series.column("symbol"))


def test_runs_ending_in_the_same_millisecond_are_all_kept(storage, bucket):
    symbols = [f"S{number:03d}" for number in range(CALLS)]
    for symbol in symbols:  # many a millisecond: one call takes microseconds
        record(storage, bucket, symbol)
    assert stored_symbols(storage, bucket) == symbols


def test_runs_recorded_by_concurrent_threads_are_all_kept(storage, bucket):
    symbols = [f"T{number:03d}" for number in range(CALLS)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda symbol: record(storage, bucket, symbol), symbols))
    assert stored_symbols(storage, bucket) == symbols


def test_a_burst_of_dead_letters_keeps_every_letter(storage, bucket):
    ids = [f"e{number:03d}" for number in range(CALLS)]
    for event_id in ids:  # one type, one subscriber: only their times tell them apart
        dead_letters.record(
            storage, bucket, {"type": "t", "trigger": "fetch", "event_id": event_id}
        )
    ((series,),) = storage.select(bucket, ['SELECT "event_id" FROM "dead_letters"'])
    assert sorted(series.column("event_id")) == ids
