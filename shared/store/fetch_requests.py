"""Fetch requests sent (`fetch_requests`): which entries were asked for, when and by whom.

One point per request sent to fetch (by a tick, a track or a refresh), tagged `symbol` and
`interval`, in the meta bucket. A tick reads the last few minutes of them so that it does not ask
again for an entry whose fetch is on its way, being retried by the broker, or just done.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared.contract.schema import FETCH_REQUESTS
from shared.contract.timefmt import epoch_ns
from shared.influx import one_point
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident

MEASUREMENT = ident(FETCH_REQUESTS.name)


def record(
    client: InfluxClient,
    bucket: str,
    keys: Iterable[tuple[str, str]],
    requester: str,
    at: datetime,
) -> None:
    """One point per (symbol, interval) in `keys`, stamped `at`, in one write."""
    lines = [
        one_point.line(
            FETCH_REQUESTS, at, "ms", symbol=symbol, interval=interval, requester=requester
        )
        for symbol, interval in keys
    ]
    if lines:
        client.write_lines(bucket, lines, "ms")


def since(client: InfluxClient, bucket: str, start: datetime) -> set[tuple[str, str]]:
    """The (symbol, interval) of every request sent from `start` on."""
    query = (
        f"SELECT last({ident('requester')}) FROM {MEASUREMENT} "
        f"WHERE time >= {epoch_ns(start):d} "
        f"GROUP BY {ident('symbol')}, {ident('interval')}"
    )
    (found,) = client.select(bucket, [query], missing_ok=True)
    return {(series.tags["symbol"], series.tags["interval"]) for series in found}
