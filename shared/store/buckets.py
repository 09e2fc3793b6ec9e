"""What storage holds: every bucket with the symbols it has data for and its newest point.

Built from metadata (`SHOW TAG VALUES`) and one `last()` per measurement, all buckets in one
request, so it stays fast however many points the buckets hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.contract.schema import FORECAST, PRICES
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident

DATA_MEASUREMENTS = {PRICES.name: "close", FORECAST.name: "yhat"}
"""Each measurement that holds a symbol's data, with a field every point of it has."""


def describe(client: InfluxClient) -> list[dict[str, Any]]:
    """`[{"name", "symbols", "newest"}]` for every non-internal bucket, by name."""
    names = client.list_buckets()
    if not names or client.generation == 3:
        return [{"name": name, "symbols": [], "newest": None} for name in names]
    statements = []
    for name in names:
        for measurement, field in DATA_MEASUREMENTS.items():
            source = f"{ident(name)}..{ident(measurement)}"
            statements.append(
                f"SHOW TAG VALUES ON {ident(name)} FROM {ident(measurement)} "
                f"WITH KEY = {ident('symbol')}"
            )
            statements.append(f"SELECT last({ident(field)}) FROM {source}")
    results = client.execute_many(statements)
    per_bucket = 2 * len(DATA_MEASUREMENTS)
    return [
        _describe(name, results[i * per_bucket : (i + 1) * per_bucket])
        for i, name in enumerate(names)
    ]


def _describe(name: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    symbols: set[str] = set()
    newest: list[int] = []
    for result in results:
        for series in result.get("series", []):
            columns = series.get("columns", [])
            for row in series.get("values", []):
                record = dict(zip(columns, row, strict=False))
                if "value" in record:
                    symbols.add(record["value"])
                elif "time" in record:
                    newest.append(record["time"])
    latest = rfc3339(datetime.fromtimestamp(max(newest) / 1000, UTC)) if newest else None
    return {"name": name, "symbols": sorted(symbols), "newest": latest}
