"""watchlist: GET lists tracked stocks; POST tracks or untracks one; a tick fans out fetches."""

from __future__ import annotations

import pandas as pd
from cloudevents.http import CloudEvent

from shared.contract import validation
from shared.contract.errors import SinkMissing
from shared.contract.events import PING, TICK_COMPLETED
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.store.watchlist import Entry, Watchlist
from shared.usecases.tick import fan_out, plan_tick


def run(invocation: Invocation, services: Services) -> Reply:
    watchlist = Watchlist(services.influx, services.settings.meta_bucket)
    if invocation.event is not None:
        return _tick(invocation.event, services, watchlist)
    if invocation.method == "POST":
        fields = invocation.fields
        symbol = validation.symbol(fields)
        if not validation.boolean(fields, "tracked", True):
            watchlist.untrack(symbol)
            return _listing(watchlist, symbol)
        entry = Entry(symbol, validation.interval(fields), validation.bucket(fields))
        watchlist.track(entry)
        return _listing(watchlist, symbol)
    return _listing(watchlist)


def _listing(watchlist: Watchlist, symbol: str | None = None) -> Reply:
    return Reply({"watchlist": [e.as_dict() for e in watchlist.tracked()]}, symbol=symbol)


def _tick(event: CloudEvent, services: Services, watchlist: Watchlist) -> Reply:
    sink = services.settings.k_sink
    if not sink:
        raise SinkMissing(
            "K_SINK is not set: the SinkBinding that gives watchlist its sink is missing."
        )
    tick_time = event.get("time") or event["id"]
    plan = plan_tick(
        services.influx,
        services.settings.meta_bucket,
        watchlist.tracked(),
        services.settings.provider.daily_limit,
        pd.Timestamp.now(tz="UTC"),
    )
    ids = fan_out(services.http, sink, plan, tick_time)
    return Reply(plan.summary(tick_time, ids), points=len(ids))


SPEC = FunctionSpec("watchlist", run, accepts=frozenset({PING}), reply_type=TICK_COMPLETED)
