"""Forecast bands kept for the band rule (`alert_bands`): the forecast's next points, copied
while they are still ahead of the newest bar, so a bar is checked against a forecast made
before it (predict's next forecast replaces the stored one, from after the bar on)."""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import ALERT_BANDS
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, tags_equal

MEASUREMENT = ident(ALERT_BANDS.name)
BAND_COLUMNS = ("yhat", "yhat_lower", "yhat_upper")


def keep(
    client: InfluxClient,
    bucket: str,
    symbol: str,
    interval: str,
    forecast: pd.DataFrame,
    issued: str,
) -> int:
    """Store the forecast's points (`yhat`, `yhat_lower`, `yhat_upper` by time); the number."""
    if forecast.empty:
        return 0
    rows = forecast.loc[:, list(BAND_COLUMNS)].astype("float64")
    rows = rows.assign(symbol=symbol, interval=interval, issued=issued)
    client.write_or_create(bucket, rows, ALERT_BANDS, precision="s")
    return len(rows)


def covering(
    client: InfluxClient, bucket: str, symbol: str, interval: str, since: pd.Timestamp
) -> pd.DataFrame:
    """The kept band points from `since` on, by time."""
    query = (
        f"SELECT * FROM {MEASUREMENT} WHERE {tags_equal(symbol=symbol, interval=interval)} "
        f"AND time >= {pd.Timestamp(since).value:d}"
    )
    return client.query(bucket, query, ALERT_BANDS, missing_ok=True).sort_index()
