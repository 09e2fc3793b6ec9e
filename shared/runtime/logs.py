"""Structured logs: one JSON object a line on stdout, with secrets masked.

A call's line (`log`) says its function, status and seconds; every other line the process
writes, a library's included, says its function, logger, level and message (`JsonLines`).
"""

from __future__ import annotations

import json
import logging
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


class JsonLines(logging.Handler):
    """Every library's log record (waitress's, parliament's, a warning) as one JSON line."""

    def __init__(self, function: str | None, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.function = function
        self.secrets = tuple(secrets)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" ({one_line(record.exc_info[1])})"
            log(
                self.secrets,
                function=self.function,
                logger=record.name,
                level=record.levelname,
                message=message,
            )
        except Exception:  # a log line must never break the call that logs it
            self.handleError(record)


def route_library_logs(function: str | None, secrets: Iterable[str | None]) -> None:
    """From now on every line this process writes is one JSON object: the root logger's
    handlers (whatever an import set up) are replaced by `JsonLines`, warnings go through
    logging, and an uncaught exception, in any thread, is logged in one line."""
    handler = JsonLines(function, secrets)
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.captureWarnings(True)
    uncaught = logging.getLogger("stocks-manager.uncaught")

    def on_uncaught(kind: type[BaseException], error: BaseException, trace: object) -> None:
        uncaught.error("uncaught %s", one_line(error))

    sys.excepthook = on_uncaught
    threading.excepthook = lambda hook: on_uncaught(hook.exc_type, hook.exc_value, None)  # type: ignore[arg-type]


def one_line(error: BaseException | None) -> str:
    """`Type: message`, on one line."""
    text = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
    return " ".join(text.split())
