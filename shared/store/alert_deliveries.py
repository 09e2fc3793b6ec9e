"""Alerts delivered to a webhook (`alert_deliveries`), stamped like the alert itself."""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import ALERT_DELIVERIES
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal

MEASUREMENT = ident(ALERT_DELIVERIES.name)


def delivered(client: InfluxClient, bucket: str, symbol: str, rule: str, at: pd.Timestamp) -> bool:
    """Whether the alert `rule` fired at `at` was delivered already."""
    moment = pd.Timestamp(at).value
    query = (
        f"SELECT {ident('status')} FROM {MEASUREMENT} WHERE {tags_equal(symbol=symbol, rule=rule)} "
        f"AND time = {moment:d}"
    )
    return len(client.query(bucket, query, ALERT_DELIVERIES, missing_ok=True)) > 0


def record(
    client: InfluxClient,
    bucket: str,
    *,
    symbol: str,
    rule: str,
    at: pd.Timestamp,
    alert_id: str,
    status: int,
    seconds: float,
) -> None:
    """Record that the alert was delivered (the webhook answered `status` in `seconds`)."""
    client.write_point(
        bucket,
        ALERT_DELIVERIES,
        "ns",
        at=pd.Timestamp(at),
        symbol=symbol,
        rule=rule,
        alert_id=alert_id,
        status=int(status),
        seconds=float(seconds),
        delivered_at=rfc3339(pd.Timestamp.now(tz="UTC")),
    )


def recent(client: InfluxClient, bucket: str, since: pd.Timestamp) -> pd.DataFrame:
    """Deliveries of alerts stamped from `since` on."""
    query = f"SELECT * FROM {MEASUREMENT} WHERE time >= {pd.Timestamp(since).value:d}"
    return client.query(bucket, query, ALERT_DELIVERIES, missing_ok=True)
