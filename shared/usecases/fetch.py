"""fetch: ask the provider for what the bucket lacks, store it, and say what was stored.

Incremental (one provider request for the bars after the newest stored one) and idempotent. The
splits and dividends that come with the bars (or that Alpha Vantage lists when due, see
`shared.market.sourcing`) are stored beside them, and the adjusted copy is brought up to date.
"""

from __future__ import annotations

from shared.contract.errors import Unprocessable
from shared.contract.payloads import Fetched, FetchRequest
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.market.providers.base import Provider
from shared.market.sourcing import ActionLister, bars_and_actions
from shared.store import actions, prices


def fetch(
    client: InfluxClient,
    provider: Provider,
    request: FetchRequest,
    lister: ActionLister | None = None,
) -> Fetched:
    """Fetch and store the bars `request` names that the bucket does not hold yet, and the
    corporate actions that come with them (`lister` lists them for providers whose rows lack)."""
    symbol, interval, bucket = request.symbol, request.interval, request.bucket
    since = None if request.month else prices.last_bar_time(client, bucket, symbol, interval)
    newest = None
    if lister is not None and since is not None:  # to judge the move into the first new bar
        newest = prices.newest(
            client, bucket, symbol, interval, ("open", "close"), 1, adjusted=False
        )
    sourced = bars_and_actions(
        provider,
        symbol,
        interval,
        since=since,
        month=request.month,
        newest_stored=newest,
        lister=lister,
    )
    bars = sourced.bars
    if bars.empty and since is None:
        raise Unprocessable(f"The provider has no {interval} bars for {symbol}.")
    created = prices.write_bars(client, bucket, symbol, interval, bars) if len(bars) else False
    actions.write_actions(client, bucket, symbol, sourced.actions)
    if len(bars) or len(sourced.actions):
        prices.refresh_adjusted(client, bucket, symbol, interval, since)
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
