"""watchlist: GET lists tracked stocks; POST tracks or untracks one; a tick fans out fetches."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudevents.http import CloudEvent

from shared.contract import validation
from shared.contract.errors import SinkMissing
from shared.contract.events import PING, TICK_COMPLETED
from shared.contract.schema import MODELS
from shared.market import budget
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.store.watchlist import Entry
from shared.usecases import watchlist
from shared.usecases.tick import fan_out, mark_requested, plan_tick


def run(invocation: Invocation, services: Services) -> Reply:
    if invocation.event is not None:
        return _tick(invocation.event, services)
    if invocation.method != "POST":
        return Reply({"watchlist": _listing(services)})
    fields = invocation.fields
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    if validation.boolean(fields, "tracked", True):
        model = validation.choice(fields, "model", MODELS, "auto")
        bucket = validation.bucket(fields)
        entry = Entry(symbol, interval, bucket, model, validation.exchange(fields) or "")
        outcome = watchlist.track(services, entry, "watchlist")
    else:
        outcome = watchlist.untrack(services, symbol, interval)
    return Reply({**outcome.as_dict(), "watchlist": _listing(services)}, symbol=symbol)


def _listing(services: Services) -> list[dict[str, str]]:
    return [entry.as_dict() for entry in watchlist.watchlist_of(services).tracked()]


def _tick(event: CloudEvent, services: Services) -> Reply:
    sink = services.settings.k_sink
    if not sink:
        raise SinkMissing(
            "K_SINK is not set: the SinkBinding that gives watchlist its sink is missing."
        )
    tick_time = event.get("time") or event["id"]
    plan = plan_tick(
        services.influx,
        services.settings.meta_bucket,
        watchlist.watchlist_of(services).tracked(),
        budget.limits_for(services.settings.provider),
        datetime.now(UTC),
        services.settings.provider.name,
    )
    ids = fan_out(services.http, sink, plan, tick_time)
    mark_requested(services.influx, services.settings.meta_bucket, plan.requested, "tick")
    return Reply(plan.summary(tick_time, ids), points=len(ids))


SPEC = FunctionSpec(
    "watchlist",
    run,
    accepts=frozenset({PING}),
    reply_type=TICK_COMPLETED,
    fields=frozenset({"symbol", "interval", "bucket", "model", "exchange", "tracked"}),
    writes=frozenset({"POST"}),
    reads=frozenset({"GET"}),
)
