"""Parsing and validation of the fields a caller sends, before anything is read or written.

Every value that later reaches InfluxQL or line protocol passes through here first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.contract.errors import BadInput
from shared.contract.schema import DAILY, DEFAULT_BUCKET, EXCHANGES, INTERVALS, PRICE_COLUMNS
from shared.contract.timefmt import rfc3339

SYMBOL_PATTERN = re.compile(r"[A-Z0-9.\-]{1,12}")
BUCKET_PATTERN = re.compile(r"(?!_)[A-Za-z0-9_\-]{1,64}")  # InfluxDB reserves names starting _
MONTH_PATTERN = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 4, 10, tzinfo=UTC)


def _text(fields: Mapping[str, Any], name: str, default: str | None) -> str:
    value = fields.get(name, default)
    if value is None:
        raise BadInput(f"The field '{name}' is required.")
    if not isinstance(value, str):
        raise BadInput(f"The field '{name}' must be a string, not {type(value).__name__}.")
    if value == "":
        raise BadInput(f"The field '{name}' must not be empty.")
    return value


def symbol(fields: Mapping[str, Any], name: str = "symbol") -> str:
    """A ticker: 1 to 12 characters of A-Z 0-9 . - (case folded to upper)."""
    value = _text(fields, name, None)
    upper = value.upper()
    if not value.isascii() or not SYMBOL_PATTERN.fullmatch(upper):
        raise BadInput(
            f"The {name} {value[:40]!r} is not valid: "
            "use 1 to 12 characters of A-Z, 0-9, '.' and '-'."
        )
    return upper


def bucket_name(value: str, name: str = "bucket") -> str:
    """Check a bucket name: 1 to 64 characters of A-Z a-z 0-9 _ -, not starting with _."""
    if not isinstance(value, str) or not value.isascii() or not BUCKET_PATTERN.fullmatch(value):
        shown = value[:70] if isinstance(value, str) else value
        raise BadInput(
            f"The {name} {shown!r} is not valid: use 1 to 64 characters of A-Z, a-z, 0-9, '_' and "
            "'-', not starting with '_'."
        )
    return value


def bucket(
    fields: Mapping[str, Any], name: str = "bucket", default: str | None = DEFAULT_BUCKET
) -> str:
    """A bucket field, defaulting as the contract says."""
    return bucket_name(_text(fields, name, default), name)


def checked_exchange(mic: str) -> str:
    """`mic` if it is a supported exchange; BadInput naming the supported ones otherwise."""
    if mic not in EXCHANGES:
        raise BadInput(
            f"The exchange {mic[:20]!r} is not supported: use one of {', '.join(EXCHANGES)} "
            "(ISO MICs), or leave it out to take the symbol's."
        )
    return mic


def exchange(fields: Mapping[str, Any]) -> str | None:
    """An optional exchange (ISO MIC, case folded to upper); None: the symbol's own."""
    if fields.get("exchange") in (None, ""):
        return None
    return checked_exchange(_text(fields, "exchange", None).upper())


def interval(fields: Mapping[str, Any], default: str = DAILY) -> str:
    """One of the contract's bar intervals."""
    value = _text(fields, "interval", default)
    if value not in INTERVALS:
        raise BadInput(
            f"The interval {value[:20]!r} is not valid: use one of {', '.join(INTERVALS)}."
        )
    return value


def month(fields: Mapping[str, Any], for_interval: str) -> str | None:
    """An optional YYYY-MM month of intraday history (not for daily bars)."""
    value = fields.get("month")
    if value is None:
        return None
    value = _text(fields, "month", None)
    if for_interval == DAILY:
        raise BadInput("The field 'month' applies to intraday intervals only, not to daily bars.")
    if not MONTH_PATTERN.fullmatch(value) or int(value[:4]) < 2000:
        raise BadInput(f"The month {value[:20]!r} is not valid: use YYYY-MM, from 2000-01 on.")
    return value


def moment(fields: Mapping[str, Any], name: str) -> str | None:
    """An optional RFC 3339 time with its zone (`Z` or an offset), from 1900 up to 2262-04-10
    (pandas' and InfluxDB's end of time), as `2026-11-25T14:30:00Z`; None when absent or null."""
    value = fields.get(name)
    if value is None:
        return None
    text = _text(fields, name, None)
    try:
        parsed = datetime.fromisoformat(text) if "T" in text else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or not EARLIEST <= parsed <= LATEST:
        raise BadInput(
            f"The field '{name}' must be an RFC 3339 time with its zone, from 1900 to 2262 "
            f"(such as 2026-11-25T14:30:00Z), not {text[:40]!r}."
        )
    return rfc3339(parsed)


def price_field(fields: Mapping[str, Any], default: str = "close") -> str:
    """Which price field to forecast."""
    value = _text(fields, "field", default)
    if value not in PRICE_COLUMNS:
        raise BadInput(
            f"The field to forecast {value[:20]!r} is not valid: "
            f"use one of {', '.join(PRICE_COLUMNS)}."
        )
    return value


def integer(fields: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A whole number within [low, high]; query strings may carry it as digits."""
    value = fields.get(name, default)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,9}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"The field '{name}' must be a whole number from {low} to {high}.")
    if not low <= value <= high:
        raise BadInput(f"The field '{name}' must be from {low} to {high}, not {value}.")
    return value


def fraction(
    fields: Mapping[str, Any], name: str, default: float, low: float, high: float
) -> float:
    """A number within [low, high]; query strings may carry it as text."""
    value = fields.get(name, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise BadInput(f"The field '{name}' must be a number from {low} to {high}.")
    return float(value)


def boolean(fields: Mapping[str, Any], name: str, default: bool) -> bool:
    """A true/false flag; query strings may carry it as true/false/1/0."""
    value = fields.get(name, default)
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        value = value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise BadInput(f"The field '{name}' must be true or false.")
    return value


def choice(fields: Mapping[str, Any], name: str, options: tuple[str, ...], default: str) -> str:
    """One of a fixed set of words."""
    value = _text(fields, name, default)
    if value not in options:
        raise BadInput(f"The {name} {value[:20]!r} is not valid: use one of {', '.join(options)}.")
    return value


def known_fields(fields: Mapping[str, Any], allowed: Collection[str], what: str) -> None:
    """Refuse a field `what` (a function, a view) does not take, naming it and the ones it does:
    a misspelled field would otherwise be ignored and the call run with a default."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        valid = ", ".join(sorted(allowed)) or "none"
        raise BadInput(
            f"The field {unknown[0][:40]!r} is not one {what} takes (it takes: {valid})."
        )
