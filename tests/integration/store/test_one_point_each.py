"""`runs` and `dead_letters` on a real influxd: every call and every letter keeps its own point.

A run's symbol and a dead letter's event id are fields, so two points of one series differ only
by their time; calls ending in the same millisecond (a tick's concurrent fetches, a burst of
letters) must not overwrite each other.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

from cloudevents.http import CloudEvent

from shared.contract.events import FETCH_REQUESTED
from shared.influx.stamps import unique_ns
from shared.store import runs
from shared.usecases import deadletters

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


def letter(event_id: str, time: str | None = "2026-12-03T05:00:00.123Z") -> CloudEvent:
    attributes = {"type": FETCH_REQUESTED, "source": "/stocks-manager/watchlist", "id": event_id}
    return CloudEvent(attributes | ({"time": time} if time else {}), {"symbol": "IBM"})


def stored_letters(storage, bucket: str) -> list[str]:
    ((series,),) = storage.select(bucket, ['SELECT "event_id" FROM "dead_letters"'])
    return sorted(series.column("event_id"))


def test_a_burst_of_dead_letters_of_one_moment_keeps_every_letter(storage, bucket):
    ids = [f"e{number:03d}" for number in range(CALLS)]
    for event_id in ids:  # one type, one subscriber, one time: only their ids tell them apart
        deadletters.record(storage, bucket, letter(event_id))
    assert stored_letters(storage, bucket) == ids


def test_a_dead_letter_delivered_twice_is_stored_once(storage, bucket):
    for _ in range(2):
        deadletters.record(storage, bucket, letter("e1"))
        deadletters.record(storage, bucket, letter("e2", time=None))  # stamped on arrival
    assert stored_letters(storage, bucket) == ["e1", "e2"]


def test_a_dead_letter_keeps_its_events_second_when_plausible():
    hour_later = 1_796_277_600.5  # the letter arrives at 06:00, its event is of 05:00
    assert deadletters.dead_letter_time(letter("e1"), now=hour_later) // 10**9 == 1_796_274_000
    naive = letter("e1", "2026-12-03T05:00:00")  # no zone: UTC
    assert deadletters.dead_letter_time(naive, now=hour_later) // 10**9 == 1_796_274_000
    month_old = 1_796_274_000.123 + 30 * 86_400  # the oldest a time may be and still count
    assert deadletters.dead_letter_time(letter("e1"), now=month_old) // 10**9 == 1_796_274_000
    for time in ("2200-01-01T00:00:00Z", "not a time", "1900-01-01T00:00:00Z"):
        at = deadletters.dead_letter_time(letter("e1", time), now=hour_later)
        assert at // 1_000_000_000 == 1_796_277_600, time  # the second it arrived in


def test_unique_times_increase_within_a_process():
    times = [unique_ns() for _ in range(2_000)]
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
