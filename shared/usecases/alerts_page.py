"""The alerts on the page: its `alerts` view, its rule changes, and each watchlist row's
freshness and count of rules (the ui use case calls these; the rules are the alerts use case's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from shared.alerting.freshness import freshness
from shared.alerting.rules import CREATE_FIELDS
from shared.contract import validation
from shared.market.calendar import calendar
from shared.runtime.services import Services
from shared.store import alert_rules
from shared.store.watchlist import Entry
from shared.usecases import alerts
from shared.usecases.alerts import exchange_of_entry

VIEW_FIELDS = frozenset({"view", "symbol", "limit"})
ACTION_FIELDS = {
    "add-rule": frozenset({"action"} | CREATE_FIELDS),
    "delete-rule": frozenset({"action", "rule"}),
}


def view(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The rules and the newest alerts (of one symbol if asked), and where the local webhook
    receiver shows what it got (`inbox`, when there is one)."""
    symbol = validation.symbol(fields) if "symbol" in fields else None
    limit = validation.integer(fields, "limit", 50, 1, alerts.HISTORY_LIMIT)
    return {**alerts.listing(services, symbol, limit), "inbox": services.settings.webhook.inbox_url}


def change(services: Services, action: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Add a rule (the alerts function's fields) or delete one (`rule`: its id)."""
    if action == "delete-rule":
        return alerts.delete_rule(services, {"delete": fields.get("rule")})
    return alerts.create_rule(services, {k: v for k, v in fields.items() if k != "action"})


class RowFigures:
    """Each watchlist row's freshness and number of rules, read once per view."""

    def __init__(self, services: Services) -> None:
        rules = alert_rules.active(services.influx, services.settings.meta_bucket)
        self.rules = Counter((rule.symbol, rule.interval) for rule in rules)
        self.now = pd.Timestamp.now(tz="UTC")

    def of(self, entry: Entry, newest_day: pd.Timestamp | None) -> dict[str, Any]:
        """`freshness` (as of the newest bar's session: fresh, or stale since its deadline) and
        `rules` (how many rules watch the entry)."""
        sessions = calendar(exchange_of_entry(entry))
        fresh = freshness(sessions, newest_day, "daily", self.now)
        return {"freshness": fresh.as_dict(), "rules": self.rules[entry.key]}
