"""An alert that fired: its identity (the rule and what triggered it), its words, its event data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from shared.alerting.rules import Rule
from shared.contract.events import ALERT_FIRED, stable_id
from shared.contract.timefmt import rfc3339_ms, rfc3339_nano


@dataclass(frozen=True)
class Firing:
    """One alert: `rule` fired for what happened `at` (a bar's time, a stale session's deadline,
    a failed fetch, a dead letter), with the value that crossed and a sentence saying it."""

    rule: Rule
    at: pd.Timestamp
    value: float | None
    message: str

    @property
    def alert_id(self) -> str:
        """The same for every evaluation of the same rule on the same trigger: a replay writes
        the same history point and sends the same CloudEvent id."""
        return alert_id(self.rule.rule, self.at)

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the alert in the history: the rule and the trigger's time (ns)."""
        return self.rule.rule, pd.Timestamp(self.at).value

    def event_data(self) -> dict[str, Any]:
        """The data of the `io.stocksmanager.alert.fired` event."""
        return {
            "alert": self.alert_id,
            "rule": self.rule.rule,
            "symbol": self.rule.symbol,
            "interval": self.rule.interval,
            "kind": self.rule.kind,
            "at": rfc3339_ms(self.at),
            "value": self.value,
            "threshold": self.rule.threshold,
            "message": self.message,
            "note": self.rule.note,
        }


def alert_id(rule: str, at: pd.Timestamp) -> str:
    """The id of the alert `rule` fires for the trigger at `at` (nanoseconds kept)."""
    return stable_id(ALERT_FIRED, rule, rfc3339_nano(pd.Timestamp(at)))


def price(value: float) -> str:
    """A price as a quote shows it: 182.50, 0.1234 below one."""
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4f}"


def day(moment: pd.Timestamp) -> str:
    """The date a daily bar or a session is known by."""
    return pd.Timestamp(moment).strftime("%Y-%m-%d")


def bar_name(interval: str, at: pd.Timestamp) -> str:
    """`the daily bar of 2024-06-03`, `the 5min bar of 2024-06-03 14:35 UTC`."""
    if interval == "daily":
        return f"the daily bar of {day(at)}"
    return f"the {interval} bar of {pd.Timestamp(at).strftime('%Y-%m-%d %H:%M')} UTC"
