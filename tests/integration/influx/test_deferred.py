"""Deferred points on a real influxd: many in one request, written soon, at exit, or dropped."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import replace

from shared.influx.client import InfluxClient
from shared.influx.deferred import Deferred
from tests.support.requests_count import requests_made


def count(storage, bucket: str, measurement: str = "m") -> int:
    (series,) = storage.select(bucket, [f'SELECT count("x") FROM "{measurement}"'], missing_ok=True)
    return int(series[0].values[0][1]) if series else 0


def test_points_queued_together_go_in_one_request(storage, bucket):
    queue = Deferred(storage, delay=60)
    for second in range(5):
        queue.add(bucket, f"m x={second}i {1_700_000_000 + second}", "s")
    assert requests_made(storage, queue.flush) == 1
    assert count(storage, bucket) == 5


def test_a_queued_point_is_written_within_the_delay(storage, bucket):
    queue = Deferred(storage, delay=0.05)
    queue.add(bucket, "m x=1i 1700000000", "s")
    deadline = time.monotonic() + 30
    while count(storage, bucket) == 0:
        assert time.monotonic() < deadline, "the point never came"
        time.sleep(0.05)


def test_a_flush_while_the_writer_waits_leaves_it_writing(storage, bucket):
    """A flush from another thread (at exit, or a test's) empties the queue the writer waits on;
    the writer must wait for the next point, not stop."""
    queue = Deferred(storage, delay=0.5)
    queue.add(bucket, "m x=1i 1700000000", "s")
    time.sleep(0.1)  # the writer now waits out the delay
    queue.flush()
    time.sleep(0.6)  # and its wait ends on an empty queue
    assert queue._writer is not None and queue._writer.is_alive()
    queue.add(bucket, "m x=2i 1700000001", "s")
    deadline = time.monotonic() + 30
    while count(storage, bucket) < 2:
        assert time.monotonic() < deadline, "the second point never came"
        time.sleep(0.05)


def test_points_queued_when_the_process_exits_are_written(storage, bucket):
    program = (
        "import sys\n"
        "from shared.contract.config import InfluxSettings\n"
        "from shared.influx.client import InfluxClient\n"
        "client = InfluxClient(InfluxSettings(url=sys.argv[1]))\n"
        "client.write_soon(sys.argv[2], 'm x=7i 1700000000', 's')\n"
    )
    url = storage.settings.url
    subprocess.run([sys.executable, "-c", program, url, bucket], check=True, timeout=60)
    assert count(storage, bucket) == 1


def test_a_refused_write_is_logged_and_dropped(storage, bucket, caplog):
    storage.write_lines(bucket, ["m x=1i 1700000000"], "s")
    queue = Deferred(storage, delay=60)
    queue.add(bucket, "m x=1.5 1700000001", "s")  # a float where the shard holds integers
    with caplog.at_level(logging.WARNING, logger="shared.influx.deferred"):
        queue.flush()
    assert "1 deferred points" in caplog.text
    assert count(storage, bucket) == 1


def test_a_clients_queue_waits_as_long_as_its_settings_say(settings):
    assert InfluxClient(settings.influx).deferred.delay == 1.0  # the default
    quick = replace(settings.influx, batch_seconds=0.05)
    assert InfluxClient(quick).deferred.delay == 0.05
