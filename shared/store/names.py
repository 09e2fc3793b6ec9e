"""Company names (`names`): what a provider calls a symbol, for the page.

One point per naming, tagged `symbol` (fields `company`, `source`), in the meta bucket; the
newest wins. fetch saves one on a symbol's first fetch from a provider that names symbols
(Tiingo); the ui views read them all in one request where the demo's listing has no name.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import NAMES
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident

MEASUREMENT = ident(NAMES.name)


def save(client: InfluxClient, bucket: str, symbol: str, name: str, source: str) -> None:
    """Store `name` for `symbol`, as `source` gave it."""
    frame = pd.DataFrame(
        {"symbol": [symbol], "company": [name], "source": [source]},
        index=pd.DatetimeIndex([pd.Timestamp.now(tz="UTC")], name="time"),
    )
    client.write_or_create(bucket, frame, NAMES, precision="ms")


def names(client: InfluxClient, bucket: str) -> dict[str, str]:
    """Every named symbol's newest name."""
    company = ident("company")
    query = f"SELECT last({company}) AS {company} FROM {MEASUREMENT} GROUP BY {ident('symbol')}"
    found = client.query(bucket, query, NAMES, missing_ok=True)
    if found.empty:
        return {}
    return dict(zip(found["symbol"], found["company"], strict=True))
