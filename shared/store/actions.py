"""Corporate actions (`corporate_actions`): the splits and dividends stored per symbol.

A point is one action at its ex-date (00:00 UTC), tagged `symbol` and `kind`; a split carries
`ratio`, a dividend `amount`. Writing an action again leaves one point, so every source (Tiingo's
rows, Alpha Vantage's lists, the demo) may be written whenever it is read.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import CORPORATE_ACTIONS
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal
from shared.market.actions import ACTION_DTYPES, combine, empty_actions

MEASUREMENT = ident(CORPORATE_ACTIONS.name)


def write_actions(client: InfluxClient, bucket: str, symbol: str, actions: pd.DataFrame) -> int:
    """Store `actions` of `symbol` in `bucket` (created if missing); the points written."""
    if actions.empty:
        return 0
    client.write_or_create(bucket, actions.assign(symbol=symbol), CORPORATE_ACTIONS)
    return len(actions)


def read_actions(client: InfluxClient, bucket: str, symbol: str) -> pd.DataFrame:
    """Every stored action of `symbol`, ascending by ex-date; none when the bucket is missing."""
    columns = ", ".join(ident(c) for c in ("kind", "ratio", "amount"))
    query = f"SELECT {columns} FROM {MEASUREMENT} WHERE {tags_equal(symbol=symbol)}"
    stored = client.query(bucket, query, CORPORATE_ACTIONS, missing_ok=True)
    if stored.empty:
        return empty_actions()
    return combine(stored[list(ACTION_DTYPES)].astype(ACTION_DTYPES))
