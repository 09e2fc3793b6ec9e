"""Points written a moment later, many in one request: for records whose loss fails no call.

A function records a `runs` point per call; written at once, that is one more request per call,
the biggest single cost of a tick that finds nothing new (issue 21). Queued here instead, the
points of every call within a second (`InfluxSettings.batch_seconds`, from
`STOCKS_RUNS_BATCH_SECONDS`) go in one request, from a background thread, and
whatever is queued when the process exits (Knative scales to zero with SIGTERM, which the server
turns into a normal exit) is written then. A write that fails is logged and dropped: these
records are best effort, as they were when written at once.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import TYPE_CHECKING

from shared.contract.errors import StocksError

if TYPE_CHECKING:
    from shared.influx.client import InfluxClient

MOST = 500
"""Points that make a request go at once."""
logger = logging.getLogger("shared.influx.deferred")


class Deferred:
    """A queue of line-protocol points for one client, written `delay` seconds after the first."""

    def __init__(self, client: InfluxClient, delay: float, most: int = MOST) -> None:
        self.client = client
        self.delay = delay
        self.most = most
        self._ready = threading.Condition()
        self._pending: dict[tuple[str, str], list[str]] = {}
        self._count = 0
        self._since: float | None = None
        self._writer: threading.Thread | None = None

    def add(self, bucket: str, line: str, precision: str) -> None:
        """Queue one point for `bucket`; it is written within `delay` seconds, or at exit."""
        with self._ready:
            self._pending.setdefault((bucket, precision), []).append(line)
            self._count += 1
            if self._since is None:
                self._since = time.monotonic()
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="deferred", daemon=True)
                self._writer.start()
                atexit.register(self.flush)
            self._ready.notify()

    def flush(self) -> None:
        """Write every queued point now (one request a bucket), dropping what InfluxDB refuses."""
        with self._ready:
            pending, self._pending, self._count, self._since = self._pending, {}, 0, None
        for (bucket, precision), lines in pending.items():
            try:
                self.client.write_lines(bucket, lines, precision)
            except StocksError as error:
                logger.warning(
                    "%d deferred points for %s were not written: %s", len(lines), bucket, error
                )

    def _run(self) -> None:
        while True:
            with self._ready:
                while True:
                    if self._since is None:  # nothing queued, or another thread flushed it
                        self._ready.wait()
                        continue
                    remaining = self._since + self.delay - time.monotonic()
                    if self._count >= self.most or remaining <= 0:
                        break
                    self._ready.wait(remaining)
            self.flush()
