"""fetch: ask the provider for what the bucket lacks, store it, and say what was stored.

Incremental (one provider request for the bars after the newest stored one) and idempotent. The
splits and dividends that come with the bars (or that Alpha Vantage lists when due, see
`shared.market.sourcing`) are stored beside them, and the adjusted copy is brought up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from shared.contract.errors import StocksError, Unprocessable
from shared.contract.payloads import Fetched, FetchRequest
from shared.contract.schema import DAILY
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.market.actions import DIVIDEND
from shared.market.exchanges import check_intraday, exchange_of
from shared.market.providers.base import NamesSymbols, Provider
from shared.market.providers.rows import LATEST_AHEAD
from shared.market.sourcing import ActionLister, LastListing, bars_and_actions
from shared.store import actions, alert_rules, names, prices

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """fetch's reply, and whether the symbol has alert rules in force (True when not told)."""

    fetched: Fetched
    watched: bool


def fetch(
    client: InfluxClient,
    provider: Provider,
    request: FetchRequest,
    lister: ActionLister | None = None,
    meta: str | None = None,
) -> Fetched:
    """Fetch and store the bars `request` names that the bucket does not hold yet (see
    `watching`)."""
    return watching(client, provider, request, lister, meta).fetched


def watching(
    client: InfluxClient,
    provider: Provider,
    request: FetchRequest,
    lister: ActionLister | None = None,
    meta: str | None = None,
) -> Outcome:
    """Fetch and store the bars `request` names that the bucket does not hold yet, and the
    corporate actions that come with them (`lister` lists them for providers whose rows lack);
    and tell whether the `meta` bucket holds alert rules on the symbol (read with the stored
    bars, in the same request, on InfluxDB 1.x; else not told).

    Everything the provider gave is checked before the first write (`rows.check`: impossible
    rows and actions are dropped and counted in the reply); a refused answer writes nothing.
    On a symbol's first fetch from a provider that names symbols, its company name is stored
    in `meta`, when given.
    """
    symbol, interval, bucket = request.symbol, request.interval, request.bucket
    exchange = request.exchange or exchange_of(symbol)
    check_intraday(interval, exchange)
    rules = (alert_rules.watching_query(symbol, meta),) if meta and client.generation == 1 else ()
    before = _plausible(client, bucket, symbol, interval, rules)
    since = None if request.month else before.last
    newest = before.newest if since is not None else None  # to judge a move into the new bars
    listing, dividend_dates = None, None
    if lister is not None and interval == DAILY and since is not None:  # when it lists again
        listing = _last_listing(client, bucket, symbol)
        dividend_dates = before.actions.index[before.actions["kind"] == DIVIDEND]
    sourced = bars_and_actions(
        provider,
        symbol,
        interval,
        since=since,
        month=request.month,
        newest_stored=newest,
        lister=lister,
        last_listing=listing,
        dividend_dates=dividend_dates,
    )
    bars = sourced.bars
    if bars.empty and since is None:
        dropped = f" ({sourced.dropped.summary()})" if sourced.dropped else ""
        raise Unprocessable(f"The provider has no {interval} bars for {symbol}{dropped}.")
    created = prices.store(
        client, bucket, symbol, interval, bars, sourced.actions, since=since, before=before
    )
    if sourced.listed is not None:
        newest_time = bars.index.max() if len(bars) else since
        actions.mark_checked(client, bucket, symbol, provider.name, newest_time, sourced.listed)
    if meta and since is None and not request.month and isinstance(provider, NamesSymbols):
        _save_name(client, provider, symbol, meta)
    fetched = Fetched(
        symbol=symbol,
        bucket=bucket,
        interval=interval,
        points=len(bars),
        first=rfc3339(bars.index.min()) if len(bars) else None,
        last=rfc3339(bars.index.max() if len(bars) else since),
        provider=provider.name,
        bucket_created=created,
        model=request.model,
        dropped=len(sourced.dropped),
        dropped_examples=list(sourced.dropped.examples),
        exchange=exchange,
        actions=len(sourced.actions),
    )
    return Outcome(fetched, before.also is None or alert_rules.watching(before.also[0]))


def _save_name(client: InfluxClient, provider: NamesSymbols, symbol: str, bucket: str) -> None:
    """Store the provider's company name for `symbol`. It is only a label: a failed or refused
    request (or a full budget) is logged and the fetch goes on, the bars being stored."""
    try:
        name = provider.company_name(symbol)
        if name:
            names.save(client, bucket, symbol, name, provider.name)
    except StocksError as error:
        LOG.warning("No company name for %s from %s: %s", symbol, provider.name, error)


def _last_listing(client: InfluxClient, bucket: str, symbol: str) -> LastListing | None:
    check = actions.last_check(client, bucket, symbol)
    return LastListing(check.time, check.as_of) if check is not None else None


def _plausible(
    client: InfluxClient, bucket: str, symbol: str, interval: str, also: tuple[str, ...]
) -> prices.Stored:
    """What the bucket holds of the series (`prices.stored`, one read with the `also`
    statements), its newest bar no later than a day from now.

    A bar dated later is impossible (`rows.LATEST_AHEAD`); one stored before the boundary
    checked dates would make every later fetch ask for bars after it, freezing the symbol. It
    is deleted (where the server can delete) and the newest plausible bar taken instead.
    """
    before = prices.stored(client, bucket, symbol, interval, also=also)
    latest = pd.Timestamp.now(tz="UTC") + LATEST_AHEAD
    if before.last is None or before.last <= latest:
        return before
    prices.delete_after(client, bucket, symbol, interval, latest)
    return prices.stored(client, bucket, symbol, interval, until=latest, also=also)
