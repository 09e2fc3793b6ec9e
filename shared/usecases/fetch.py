"""Fetching bars into InfluxDB: incremental, idempotent, one provider request per call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import PRICES
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.influx.influxql import tags_equal

if TYPE_CHECKING:
    from shared.market.providers import Provider


def last_bar_time(
    storage: InfluxClient, bucket: str, symbol: str, interval: str
) -> pd.Timestamp | None:
    """The time of the newest stored bar of a symbol and interval, or None."""
    query = (
        f'SELECT last("close") FROM "prices" WHERE {tags_equal(symbol=symbol, interval=interval)}'
    )
    latest = storage.query(bucket, query)
    return latest.index.max() if len(latest) else None


def fetch_bars(
    storage: InfluxClient,
    provider: Provider,
    symbol: str,
    interval: str,
    bucket: str,
    month: str | None = None,
) -> dict[str, Any]:
    """Ask the provider for what the bucket lacks, store it, and describe what was written."""
    created = storage.create_bucket(bucket)
    since = None if month or created else last_bar_time(storage, bucket, symbol, interval)
    bars = provider.bars(symbol, interval, since=since, month=month)
    if bars.empty and since is None:
        raise Unprocessable(f"The provider has no {interval} bars for {symbol}.")
    storage.write(bucket, bars.assign(symbol=symbol, interval=interval), PRICES)
    return {
        "symbol": symbol,
        "bucket": bucket,
        "interval": interval,
        "points": len(bars),
        "first": rfc3339(bars.index.min()) if len(bars) else None,
        "last": rfc3339(bars.index.max() if len(bars) else since),
        "provider": provider.name,
        "bucket_created": created,
    }
