"""fetch: download a stock's recent bars from the market-data provider into a bucket."""

from __future__ import annotations

import dataclasses

from shared.contract.events import FETCH_REQUESTED, FETCHED
from shared.contract.payloads import FetchRequest, alert_rules_attribute, forecast_due
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases.fetch import watching


def run(invocation: Invocation, services: Services) -> Reply:
    request = FetchRequest.from_fields(invocation.fields)
    meta = services.settings.meta_bucket
    outcome = watching(services.influx, services.provider, request, services.action_lister, meta)
    fetched = outcome.fetched
    warning = None
    if fetched.dropped:  # recorded with the run, for the pipeline panel
        warning = (
            f"Dropped {fetched.dropped} impossible provider rows or actions, e.g. "
            f"{'; '.join(fetched.dropped_examples)}."
        )
    return Reply(
        fetched.as_data(),
        symbol=fetched.symbol,
        interval=fetched.interval,
        points=fetched.points,
        dropped=fetched.dropped,
        warning=warning,
        attributes={**forecast_due(request, fetched), **alert_rules_attribute(outcome.watched)},
    )


SPEC = FunctionSpec(
    "fetch",
    run,
    accepts=frozenset({FETCH_REQUESTED}),
    reply_type=FETCHED,
    records_runs=True,
    fields=frozenset(field.name for field in dataclasses.fields(FetchRequest)),
)
