"""Alert rules (`alert_rules`): one point per change of a rule; the newest one is in force."""

from __future__ import annotations

import math
from typing import Any

from shared.alerting.rules import Rule
from shared.contract.schema import ALERT_RULES
from shared.influx.client import InfluxClient, Series
from shared.influx.influxql import ident, tags_equal

MEASUREMENT = ident(ALERT_RULES.name)


def save(client: InfluxClient, bucket: str, rule: Rule) -> None:
    """Record the rule as it is from now on (`active` false: deleted)."""
    client.write_point(
        bucket,
        ALERT_RULES,
        "ms",
        symbol=rule.symbol,
        rule=rule.rule,
        interval=rule.interval,
        kind=rule.kind,
        threshold=math.nan if rule.threshold is None else float(rule.threshold),
        note=rule.note,
        webhook=rule.webhook,
        since=rule.since or "",
        created=rule.created or "",
        active=rule.active,
    )


def latest(client: InfluxClient, bucket: str, symbol: str | None = None) -> list[Rule]:
    """Every rule as it now stands (deleted ones too), of one symbol if given, oldest first."""
    where = f"WHERE {tags_equal(symbol=symbol)} " if symbol else ""
    query = (
        f"SELECT * FROM {MEASUREMENT} {where}GROUP BY {ident('rule')} ORDER BY time DESC LIMIT 1"
    )
    (found,) = client.select(bucket, [query], missing_ok=True)
    rules = [_rule(row) for series in found for row in series.records()]
    return sorted(rules, key=lambda rule: (rule.created or "", rule.rule))


def active(client: InfluxClient, bucket: str, symbol: str | None = None) -> list[Rule]:
    """The rules in force, of one symbol if given."""
    return [rule for rule in latest(client, bucket, symbol) if rule.active]


def find(client: InfluxClient, bucket: str, rule_id: str) -> Rule | None:
    """A rule as it now stands, deleted or not; None if it never existed."""
    query = (
        f"SELECT * FROM {MEASUREMENT} WHERE {tags_equal(rule=rule_id)} ORDER BY time DESC LIMIT 1"
    )
    (found,) = client.select(bucket, [query], missing_ok=True)
    rows = [row for series in found for row in series.records()]
    return _rule(rows[0]) if rows else None


def watching_query(symbol: str, database: str) -> str:
    """A statement telling whether `symbol` has a rule in force (`watching` reads its answer),
    for a store reading it in its own request from another database (InfluxDB 1.x)."""
    return (
        f"SELECT last({ident('active')}) FROM {ident(database)}..{MEASUREMENT} "
        f"WHERE {tags_equal(symbol=symbol)} GROUP BY {ident('rule')}"
    )


def watching(series: list[Series]) -> bool:
    """Whether `watching_query`'s answer holds a rule in force."""
    return any(row[1] is True for one in series for row in one.values)


def _rule(row: dict[str, Any]) -> Rule:
    threshold = row.get("threshold")
    return Rule(
        rule=str(row["rule"]),
        symbol=str(row["symbol"]),
        interval=str(row["interval"]),
        kind=str(row["kind"]),
        threshold=None if threshold is None else float(threshold),
        note=_text(row.get("note")),
        webhook=_text(row.get("webhook")),
        since=_text(row.get("since")) or None,
        created=_text(row.get("created")) or None,
        active=bool(row.get("active")),
    )


def _text(value: object) -> str:
    """A string field; empty for a point written before the field existed (JSON null)."""
    return "" if value is None else str(value)
