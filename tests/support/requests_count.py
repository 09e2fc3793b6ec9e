"""How many requests influxd served while an action ran, counted by influxd itself."""

from __future__ import annotations

from collections.abc import Callable

from shared.influx.client import InfluxClient


def served(storage: InfluxClient) -> int:
    """influxd's count of HTTP requests served (its /debug/vars `req`), this one left out."""
    stats = storage.transport.request("GET", "/debug/vars").json()
    httpd = next(value for key, value in stats.items() if key.startswith("httpd"))
    return int(httpd["values"]["req"]) - 1


def requests_made(storage: InfluxClient, action: Callable[[], object]) -> int:
    """The requests influxd served while `action` ran (nothing else may use it meanwhile)."""
    before = served(storage)
    action()
    return served(storage) - before - 1  # the count taken before
