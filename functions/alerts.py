"""alerts: evaluates alert rules when fetch stores bars and on its clock, keeps each forecast's
band for the band rule; GET lists rules and alerts, POST creates or deletes a rule."""

from __future__ import annotations

import pandas as pd
from cloudevents.http import CloudEvent

from shared.alerting.rules import CREATE_FIELDS, DELETE_FIELDS, LIST_FIELDS
from shared.contract import validation
from shared.contract.events import FETCHED, PING, PREDICTED
from shared.contract.schema import FORECASTS_BUCKET
from shared.contract.timefmt import rfc3339
from shared.market.calendar import calendar
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases import alerts


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    if invocation.event is not None:
        return _on_event(invocation.event, fields, services)
    if invocation.method == "POST":
        if "delete" in fields:
            body = alerts.delete_rule(services, fields)
        else:
            body = alerts.create_rule(services, fields)
        return Reply(
            body,
            status=201 if body["changed"] and "delete" not in fields else 200,
            symbol=body["rule"]["symbol"],
        )
    validation.known_fields(fields, LIST_FIELDS, "a listing of alerts")
    symbol = validation.symbol(fields) if "symbol" in fields else None
    limit = validation.integer(fields, "limit", 50, 1, alerts.HISTORY_LIMIT)
    return Reply(alerts.listing(services, symbol, limit), symbol=symbol)


def _on_event(event: CloudEvent, fields: dict, services: Services) -> Reply:
    if event["type"] == PING:
        now = pd.Timestamp(event.get("time") or pd.Timestamp.now(tz="UTC"))
        fired = alerts.check(services, now, lambda entry: calendar(alerts.exchange_of_entry(entry)))
        return Reply(points=len(fired))
    arrival = alerts.Arrival(
        symbol=validation.symbol(fields),
        interval=validation.interval(fields),
        bucket=validation.bucket(fields),
        target=validation.bucket(fields, "target", default=FORECASTS_BUCKET),
        issued=rfc3339(pd.Timestamp(event.get("time") or pd.Timestamp.now(tz="UTC"))) or "",
    )
    if event["type"] == PREDICTED:
        return Reply(symbol=arrival.symbol, points=alerts.on_forecast(services, arrival))
    fired = alerts.on_bar(services, arrival)
    return Reply(symbol=arrival.symbol, points=len(fired))


SPEC = FunctionSpec(
    "alerts",
    run,
    accepts=frozenset({FETCHED, PREDICTED, PING}),
    fields=CREATE_FIELDS | DELETE_FIELDS | LIST_FIELDS,
    writes=frozenset({"POST"}),
)
