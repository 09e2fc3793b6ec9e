"""Safe pieces of InfluxQL: quoted identifiers, string literals and tag conditions.

Values are validated before they get here (see `shared.contract.validation`); quoting them again
here means that no caller can build a statement whose structure a value changes.
"""

from __future__ import annotations

import re

from shared.contract.errors import BadInput

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _checked(value: str, what: str) -> str:
    if not isinstance(value, str) or _CONTROL.search(value):
        raise BadInput(f"The {what} {value!r} contains control characters and cannot be queried.")
    return value


def ident(name: str) -> str:
    """A double-quoted identifier (database, measurement, tag or field key)."""
    escaped = _checked(name, "identifier").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def literal(value: str) -> str:
    """A single-quoted string literal."""
    escaped = _checked(value, "value").replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def tags_equal(**tags: str) -> str:
    """`"k1" = 'v1' AND "k2" = 'v2'` for the given tag values, in keyword order."""
    return " AND ".join(f"{ident(key)} = {literal(value)}" for key, value in tags.items())
