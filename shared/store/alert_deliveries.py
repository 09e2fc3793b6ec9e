"""Alerts delivered to a webhook (`alert_deliveries`), stamped like the alert itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.contract.schema import ALERT_DELIVERIES
from shared.contract.timefmt import epoch_ns, rfc3339
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal

if TYPE_CHECKING:  # the notifier delivers without pandas; the alerts' listing reads with it
    import pandas as pd

MEASUREMENT = ident(ALERT_DELIVERIES.name)


def delivered(client: InfluxClient, bucket: str, symbol: str, rule: str, at: datetime) -> bool:
    """Whether the alert `rule` fired at `at` was delivered already."""
    query = (
        f"SELECT {ident('status')} FROM {MEASUREMENT} WHERE {tags_equal(symbol=symbol, rule=rule)} "
        f"AND time = {epoch_ns(at):d}"
    )
    (found,) = client.select(bucket, [query], missing_ok=True)
    return any(series.values for series in found)


def record(
    client: InfluxClient,
    bucket: str,
    *,
    symbol: str,
    rule: str,
    at: datetime,
    alert_id: str,
    status: int,
    seconds: float,
) -> None:
    """Record that the alert was delivered (the webhook answered `status` in `seconds`)."""
    client.write_point(
        bucket,
        ALERT_DELIVERIES,
        "ns",
        at=at,
        symbol=symbol,
        rule=rule,
        alert_id=alert_id,
        status=int(status),
        seconds=float(seconds),
        delivered_at=rfc3339(datetime.now(UTC)),
    )


def recent(client: InfluxClient, bucket: str, since: datetime) -> pd.DataFrame:
    """Deliveries of alerts stamped from `since` on."""
    query = f"SELECT * FROM {MEASUREMENT} WHERE time >= {epoch_ns(since):d}"
    return client.query(bucket, query, ALERT_DELIVERIES, missing_ok=True)
