"""Structured logs: one JSON object a line on stdout, with secrets masked."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus

_lock = threading.Lock()


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with each of `secrets` masked, as it is and as a query string carries it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(quote_plus(secret), "***")
    return text


def log(secrets: Iterable[str | None] = (), **fields: Any) -> None:
    """Print `fields` as one JSON line; any of `secrets` appearing in it is masked."""
    line = redact(json.dumps(fields, default=str, separators=(",", ":")), secrets)
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
