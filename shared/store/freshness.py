"""Freshness (`freshness`): each tracked entry's as the alerts function's clock last found it."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from shared.alerting.freshness import Freshness
from shared.contract.schema import FRESHNESS
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient

STAMP = "h"
"""A check rewrites its hour's point: one point per entry an hour, however often it checks."""


def record(
    client: InfluxClient,
    bucket: str,
    found: Mapping[tuple[str, str], Freshness],
    checked: pd.Timestamp,
) -> int:
    """Store each entry's freshness (by (symbol, interval)); the number of points."""
    if not found:
        return 0
    rows = []
    for (symbol, interval), fresh in sorted(found.items()):
        shown = fresh.as_dict()
        rows.append(
            {
                "symbol": symbol,
                "interval": interval,
                "as_of": shown["as_of"] or "",
                "state": shown["state"],
                "stale_since": shown["stale_since"] or "",
                "due": shown["due"] or "",
                "checked": rfc3339(checked),
            }
        )
    stamp = pd.Timestamp(checked).floor(STAMP)
    frame = pd.DataFrame(rows, index=pd.DatetimeIndex([stamp] * len(rows), name="time"))
    client.write_or_create(bucket, frame, FRESHNESS, precision="s")
    return len(rows)
