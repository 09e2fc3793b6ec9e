"""The alert history (`alerts`): one point per alert, stamped with what triggered it."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from shared.alerting.firing import Firing
from shared.contract.schema import ALERTS
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, literal, tags_equal

MEASUREMENT = ident(ALERTS.name)


def record(
    client: InfluxClient, bucket: str, firings: Iterable[Firing], fired_at: pd.Timestamp
) -> int:
    """Store the alerts (a point per alert, at its trigger's time: recording one again rewrites
    the same point); the number stored."""
    rows = [
        {
            "time": firing.at,
            "symbol": firing.rule.symbol,
            "rule": firing.rule.rule,
            "interval": firing.rule.interval,
            "kind": firing.rule.kind,
            "value": firing.value,
            "threshold": firing.rule.threshold,
            "message": firing.message,
            "alert_id": firing.alert_id,
            "fired_at": _milliseconds(fired_at),
        }
        for firing in firings
    ]
    if not rows:
        return 0
    frame = pd.DataFrame(rows).set_index("time")
    frame.index = pd.DatetimeIndex(frame.index, name="time")
    client.write_or_create(
        bucket, frame.astype({"value": "float64", "threshold": "float64"}), ALERTS, precision="ns"
    )
    return len(rows)


def _milliseconds(moment: pd.Timestamp) -> str:
    """`2026-12-02T17:45:04.473Z`: when an alert was recorded, to the millisecond."""
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def recorded(
    client: InfluxClient, bucket: str, rules: Iterable[str], since: pd.Timestamp
) -> set[tuple[str, int]]:
    """The (rule, time in ns) of the alerts these rules fired from `since` on."""
    wanted = sorted(set(rules))
    if not wanted:
        return set()
    any_rule = " OR ".join(f"{ident('rule')} = {literal(rule)}" for rule in wanted)
    query = (
        f"SELECT {ident('alert_id')} FROM {MEASUREMENT} "
        f"WHERE ({any_rule}) AND time >= {pd.Timestamp(since).value:d} GROUP BY {ident('rule')}"
    )
    rows = client.query(bucket, query, ALERTS, missing_ok=True)
    if rows.empty:
        return set()
    return {(str(rule), time.value) for time, rule in zip(rows.index, rows["rule"], strict=True)}


def recent(
    client: InfluxClient, bucket: str, limit: int, symbol: str | None = None
) -> pd.DataFrame:
    """The newest `limit` alerts (of one symbol if given), newest first."""
    where = f"WHERE {tags_equal(symbol=symbol)} " if symbol else ""
    query = f"SELECT * FROM {MEASUREMENT} {where}ORDER BY time DESC LIMIT {limit:d}"
    return client.query(bucket, query, ALERTS, missing_ok=True)
