"""fetch: ask the provider for what the bucket lacks, store it, and say what was stored.

Incremental (one provider request for the bars after the newest stored one) and idempotent.
"""

from __future__ import annotations

from shared.contract.errors import Unprocessable
from shared.contract.payloads import Fetched, FetchRequest
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.market.providers.base import Provider
from shared.store import prices


def fetch(client: InfluxClient, provider: Provider, request: FetchRequest) -> Fetched:
    """Fetch and store the bars `request` names that the bucket does not hold yet."""
    symbol, interval, bucket = request.symbol, request.interval, request.bucket
    since = None if request.month else prices.last_bar_time(client, bucket, symbol, interval)
    bars = provider.bars(symbol, interval, since=since, month=request.month)
    if bars.empty and since is None:
        raise Unprocessable(f"The provider has no {interval} bars for {symbol}.")
    created = prices.write_bars(client, bucket, symbol, interval, bars) if len(bars) else False
    return Fetched(
        symbol=symbol,
        bucket=bucket,
        interval=interval,
        points=len(bars),
        first=rfc3339(bars.index.min()) if len(bars) else None,
        last=rfc3339(bars.index.max() if len(bars) else since),
        provider=provider.name,
        bucket_created=created,
        model=request.model,
    )
