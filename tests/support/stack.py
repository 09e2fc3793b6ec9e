"""The local stack (`make run`'s) in a test's own directory, and waiting on what it stores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.run import LocalStack
from shared.contract.config import InfluxSettings
from shared.contract.errors import StocksError
from shared.influx.client import InfluxClient


@contextmanager
def running_stack(data: Path, backoff_scale: float = 0.05, **env: str) -> Iterator[LocalStack]:
    """influxd, every function and the mesh from knative/, with pings only when fired."""
    stack = LocalStack(
        data=data, backoff_scale=backoff_scale, schedule_pings=False, default_ports=False
    )
    try:
        yield stack.start({"STOCKS_PROVIDER": "demo", **env})
    finally:
        stack.stop()


def storage_of(stack: LocalStack) -> InfluxClient:
    return InfluxClient(InfluxSettings(url=stack.influx.url))


def track(stack: LocalStack, *symbols: str) -> None:
    for symbol in symbols:
        requests.post(
            stack.functions["watchlist"].url, json={"symbol": symbol}, timeout=30
        ).raise_for_status()


QUICK_SECONDS = 2.0
"""How long `wait_for` looks often (most waits, a runs point written a second after its call,
end within it); then every quarter of a second, so a long wait loads the machine little."""


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` (InfluxDB being down counts as not yet) until true or `timeout` s pass."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except StocksError:
            pass
        time.sleep(0.05 if time.monotonic() - started < QUICK_SECONDS else 0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def count(storage: InfluxClient, bucket: str, measurement: str, symbol: str) -> int:
    """Points of a measurement for a symbol (0 when the bucket does not exist yet)."""
    if bucket not in storage.list_buckets():
        return 0
    query = f'SELECT count(*) FROM "{measurement}" WHERE "symbol" = \'{symbol}\''
    series = storage.execute(bucket, query).get("series")
    return int(max(series[0]["values"][0][1:])) if series else 0


def publish(stack: LocalStack, event: CloudEvent) -> None:
    """POST the event to the broker's ingress in binary mode, as any producer would."""
    headers, body = to_binary(event)
    response = requests.post(stack.mesh.broker_url(), data=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text
