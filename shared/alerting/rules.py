"""Alert rules: the kinds, a rule's fields, and parsing a caller's fields into a rule."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from shared.contract import validation
from shared.contract.errors import BadInput

PRICE_KINDS = ("above", "below", "move", "band")
"""Kinds evaluated on each new bar (an `io.stocksmanager.predicted` event)."""
CLOCK_KINDS = ("stale", "failing")
"""Kinds evaluated on the alerts PingSource's schedule."""
KINDS = PRICE_KINDS + CLOCK_KINDS
THRESHOLD_FIELD = {
    "above": "level",
    "below": "level",
    "move": "percent",
    "stale": "minutes",
    "failing": "failures",
}
"""The field that carries each kind's number (band has none: the forecast's band is the level)."""
DEFAULTS = {"stale": 90.0, "failing": 3.0}
LIMITS = {
    "level": (0.0, 1e9),
    "percent": (0.01, 1000.0),
    "minutes": (1.0, 7 * 24 * 60.0),
    "failures": (1.0, 100.0),
}
MAX_NOTE = 200
MAX_WEBHOOK = 500
RULE_ID = re.compile(r"r[0-9a-f]{12}")
CREATE_FIELDS = frozenset(
    {"symbol", "interval", "kind", "level", "percent", "minutes", "failures", "note", "webhook"}
)
DELETE_FIELDS = frozenset({"delete"})
LIST_FIELDS = frozenset({"symbol", "limit"})


@dataclass(frozen=True)
class Rule:
    """One alert rule on a watchlist entry (a symbol at an interval)."""

    rule: str
    symbol: str
    interval: str
    kind: str
    threshold: float | None = None
    note: str = ""
    webhook: str = ""
    since: str | None = None
    """The newest bar when the rule was made (RFC 3339): price rules watch it and later bars."""
    created: str | None = None
    active: bool = True

    @property
    def content(self) -> tuple[Any, ...]:
        """What the rule watches for: two active rules never share it."""
        return (self.symbol, self.interval, self.kind, self.threshold, self.note, self.webhook)

    def describe(self) -> str:
        """The rule in words: `AAPL (daily): close above 180`."""
        number = _number(self.threshold)
        what = {
            "above": f"close above {number}",
            "below": f"close below {number}",
            "move": f"a move of at least {number}% over one bar",
            "band": "close outside the forecast's 80% band",
            "stale": f"no bar {number} minutes after a session's close",
            "failing": f"fetch failing {number} times in a row, or a dead letter",
        }[self.kind]
        return f"{self.symbol} ({self.interval}): {what}"

    def as_dict(self) -> dict[str, Any]:
        """The rule as JSON: its number under its kind's own name, the webhook's host only."""
        body: dict[str, Any] = {
            "rule": self.rule,
            "symbol": self.symbol,
            "interval": self.interval,
            "kind": self.kind,
            "description": self.describe(),
            "note": self.note,
            "webhook": webhook_host(self.webhook),
            "since": self.since,
            "created": self.created,
        }
        if self.kind in THRESHOLD_FIELD:
            body[THRESHOLD_FIELD[self.kind]] = self.threshold
        return body


def parse_rule(fields: Mapping[str, Any], rule_id: str) -> Rule:
    """A new rule from a caller's fields; `BadInput` (400) names the first field at fault.

    Whether the symbol is on the watchlist is the use case's to check (422).
    """
    validation.known_fields(fields, CREATE_FIELDS, "an alert rule")
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    if "kind" not in fields:
        raise BadInput(f"The field 'kind' is required: one of {', '.join(KINDS)}.")
    kind = validation.choice(fields, "kind", KINDS, KINDS[0])
    wanted = THRESHOLD_FIELD.get(kind)
    for name in set(THRESHOLD_FIELD.values()) - {wanted}:
        if name in fields:
            raise BadInput(f"The field '{name}' does not apply to {kind} rules.")
    threshold = None if wanted is None else _threshold(fields, wanted, DEFAULTS.get(kind))
    return Rule(
        rule=rule_id,
        symbol=symbol,
        interval=interval,
        kind=kind,
        threshold=threshold,
        note=_note(fields),
        webhook=_webhook(fields),
    )


def rule_id(fields: Mapping[str, Any], name: str = "delete") -> str:
    """A rule id as the API shows it (`r` and 12 hex digits)."""
    validation.known_fields(fields, DELETE_FIELDS, "a rule deletion")
    value = fields.get(name)
    if not isinstance(value, str) or not RULE_ID.fullmatch(value):
        shown = repr(value)[:40]
        raise BadInput(f"The field '{name}' must be a rule id such as r0123456789ab, not {shown}.")
    return value


def webhook_host(url: str) -> str:
    """A webhook URL shown without its path and query (which carry the receiver's token)."""
    if not url:
        return ""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname or ''}{f':{parsed.port}' if parsed.port else ''}"


def _threshold(fields: Mapping[str, Any], name: str, default: float | None) -> float:
    value = fields.get(name, default)
    if value is None:
        raise BadInput(f"The field '{name}' is required for this kind of rule.")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise BadInput(f"The field '{name}' must be a number, not {value[:20]!r}.") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"The field '{name}' must be a number.")
    if not math.isfinite(value):
        raise BadInput(f"The field '{name}' must be a finite number, not {value}.")
    low, high = LIMITS[name]
    if (value <= low if name == "level" else value < low) or value > high:
        least = "above 0" if name == "level" else f"from {_number(low)}"
        raise BadInput(
            f"The field '{name}' must be {least} to {_number(high)}, not {_number(float(value))}."
        )
    if name in ("minutes", "failures") and value != int(value):
        raise BadInput(f"The field '{name}' must be a whole number.")
    return float(value)


def _note(fields: Mapping[str, Any]) -> str:
    value = fields.get("note", "")
    if not isinstance(value, str):
        raise BadInput("The field 'note' must be a string.")
    if len(value) > MAX_NOTE:
        raise BadInput(f"The field 'note' is longer than {MAX_NOTE} characters.")
    if any(ord(c) < 32 for c in value):
        raise BadInput("The field 'note' must not contain control characters.")
    return value.strip()


def _webhook(fields: Mapping[str, Any]) -> str:
    value = fields.get("webhook", "")
    if not isinstance(value, str):
        raise BadInput("The field 'webhook' must be a string.")
    if not value:
        return ""
    if len(value) > MAX_WEBHOOK:
        raise BadInput(f"The field 'webhook' is longer than {MAX_WEBHOOK} characters.")
    try:
        parsed = urlparse(value)
        port_ok = parsed.port is None or parsed.port > 0
    except ValueError:
        port_ok = False
        parsed = urlparse("")
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.hostname
        or not port_ok
        or not value.isascii()
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise BadInput("The field 'webhook' must be an http(s) URL such as https://host/path.")
    return value


def _number(value: float | None) -> str:
    """12 for 12.0, 12.5 for 12.5: a threshold as people write it."""
    if value is None:
        return ""
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
