"""The failing-pipeline rule: fetch failing N times in a row for an entry, or a dead letter.

A run of failures fires once, identified by its first failure, and re-arms when a fetch
succeeds; each dead letter about the entry fires once, identified by its time. Dead-lettered
`alert.fired` events never fire one: an unreachable webhook would otherwise alert about itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from shared.alerting.firing import Firing
from shared.alerting.rules import Rule
from shared.contract.events import ALERT_FIRED
from shared.contract.schema import DAILY

MAX_ERROR = 300


@dataclass(frozen=True)
class Failure:
    """One failed fetch run: when, its status, its error."""

    at: pd.Timestamp
    status: str
    error: str


@dataclass(frozen=True)
class DeadLetter:
    """One recorded dead letter: when, what event, to whom, why, and its data (text)."""

    at: pd.Timestamp
    event_type: str
    trigger: str
    code: int
    error: str
    data: str

    def concerns(self, symbol: str, interval: str) -> bool:
        """Whether the event's data names this entry (an event without an interval: daily)."""
        try:
            data = json.loads(self.data)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        return data.get("symbol") == symbol and data.get("interval", DAILY) == interval


def streak_firing(rule: Rule, streak: list[Failure]) -> Firing | None:
    """The alert for the entry's current run of failed fetches (oldest first: its first
    `failures` are given), once it is `failures` long."""
    needed = int(rule.threshold or 0)
    if needed < 1 or len(streak) < needed:
        return None
    first, last = streak[0], streak[needed - 1]
    error = last.error[:MAX_ERROR] or f"status {last.status}"
    message = (
        f"fetch for {rule.symbol} ({rule.interval}) failed {needed} times in a row from "
        f"{first.at.strftime('%Y-%m-%d %H:%M')} UTC; the last of them: {error}"
    )
    return Firing(rule, first.at, float(needed), message)


def dead_letter_firings(rule: Rule, letters: Iterable[DeadLetter]) -> list[Firing]:
    """One alert per dead letter about the rule's entry recorded since the rule was made."""
    since = pd.Timestamp(rule.created) if rule.created else None
    found = []
    for letter in letters:
        if letter.event_type == ALERT_FIRED or (since is not None and letter.at < since):
            continue
        if not letter.concerns(rule.symbol, rule.interval):
            continue
        why = letter.error[:MAX_ERROR] or "no answer"
        status = f"HTTP {letter.code}: " if letter.code else ""
        message = (
            f"An event for {rule.symbol} ({rule.interval}) was dead-lettered: {letter.event_type} "
            f"to {letter.trigger or 'its subscriber'} ({status}{why})."
        )
        found.append(Firing(rule, letter.at, None, message))
    return found
