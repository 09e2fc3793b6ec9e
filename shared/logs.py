"""Structured logs: one JSON object a line on stdout, with secrets masked."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()


def log(secrets: Iterable[str | None] = (), **fields: Any) -> None:
    """Print `fields` as one JSON line; any of `secrets` appearing in it is masked."""
    line = json.dumps(fields, default=str, separators=(",", ":"))
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
