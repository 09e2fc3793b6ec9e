"""Fetch requests sent (`fetch_requests`): which entries were asked for, when and by whom.

One point per request sent to fetch (by a tick, a track or a refresh), tagged `symbol` and
`interval`, in the meta bucket. A tick reads the last few minutes of them so that it does not ask
again for an entry whose fetch is on its way, being retried by the broker, or just done.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from shared.contract.schema import FETCH_REQUESTS
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident

MEASUREMENT = ident(FETCH_REQUESTS.name)


def record(
    client: InfluxClient,
    bucket: str,
    keys: Iterable[tuple[str, str]],
    requester: str,
    at: pd.Timestamp,
) -> None:
    """One point per (symbol, interval) in `keys`, stamped `at`, in one write."""
    keys = list(keys)
    if not keys:
        return
    frame = pd.DataFrame(
        {
            "symbol": [symbol for symbol, _ in keys],
            "interval": [interval for _, interval in keys],
            "requester": requester,
        },
        index=pd.DatetimeIndex([at] * len(keys), name="time"),
    )
    client.write_or_create(bucket, frame, FETCH_REQUESTS, precision="ms")


def since(client: InfluxClient, bucket: str, start: pd.Timestamp) -> set[tuple[str, str]]:
    """The (symbol, interval) of every request sent from `start` on."""
    query = (
        f"SELECT last({ident('requester')}) FROM {MEASUREMENT} "
        f"WHERE time >= {pd.Timestamp(start).value:d} "
        f"GROUP BY {ident('symbol')}, {ident('interval')}"
    )
    found = client.query(bucket, query, FETCH_REQUESTS, missing_ok=True)
    if found.empty:
        return set()
    return set(zip(found["symbol"], found["interval"], strict=True))
