"""fetch: download a stock's recent bars from the market-data provider into a bucket."""

from __future__ import annotations

from shared.contract import validation
from shared.contract.events import FETCH_REQUESTED, FETCHED
from shared.runtime.handler import FunctionSpec, Reply, Services
from shared.runtime.invocation import Invocation
from shared.usecases.fetch import fetch_bars


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    bucket = validation.bucket(fields)
    month = validation.month(fields, interval)
    result = fetch_bars(services.storage, services.provider, symbol, interval, bucket, month)
    return Reply(result, symbol=symbol, points=result["points"])


SPEC = FunctionSpec(
    "fetch", run, accepts=frozenset({FETCH_REQUESTED}), reply_type=FETCHED, records_runs=True
)
