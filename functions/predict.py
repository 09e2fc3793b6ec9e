"""predict: forecast a stored series (Prophet, naive, drift or the best of them) into a bucket."""

from __future__ import annotations

import dataclasses

from shared.contract import validation
from shared.contract.events import FETCHED, PREDICTED
from shared.contract.payloads import ALERT_RULES_ATTRIBUTE, Fetched
from shared.contract.schema import FORECASTS_BUCKET
from shared.forecasting import MODELS, WIDTH_RANGE
from shared.market.exchanges import exchange_of
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases.predict import PredictRequest, predict

PIPELINE_MODEL = "auto"
"""The model of a forecast the pipeline makes when the watchlist entry names none."""


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    # In the pipeline, fetch's reply: a typed Fetched, plus the model the watchlist entry names.
    fetched = Fetched.from_fields(fields) if invocation.event is not None else None
    default_model = "prophet" if fetched is None else PIPELINE_MODEL
    symbol = validation.symbol(fields)
    request = PredictRequest(
        symbol=symbol,
        bucket=validation.bucket(fields),
        target=validation.bucket(fields, "target", default=FORECASTS_BUCKET),
        interval=validation.interval(fields),
        field=validation.price_field(fields),
        horizon=validation.integer(fields, "horizon", 30, 1, 365),
        model=validation.choice(fields, "model", MODELS, default_model),
        interval_width=validation.fraction(fields, "interval_width", 0.8, *WIDTH_RANGE),
        adjusted=validation.boolean(fields, "adjusted", True),
        exchange=validation.exchange(fields) or exchange_of(symbol),
    )
    predicted = predict(services.influx, request, fetched)
    points = predicted.points if predicted.refit else 0  # points written
    # alerts' Trigger on predicted takes the symbols fetch found alert rules on (unknown: yes)
    watched = invocation.event.get(ALERT_RULES_ATTRIBUTE, "yes") if invocation.event else "yes"
    return Reply(
        predicted.as_data(),
        symbol=request.symbol,
        interval=request.interval,
        points=points,
        attributes={ALERT_RULES_ATTRIBUTE: "no" if watched == "no" else "yes"},
    )


SPEC = FunctionSpec(
    "predict",
    run,
    accepts=frozenset({FETCHED}),
    reply_type=PREDICTED,
    records_runs=True,
    fields=frozenset(field.name for field in dataclasses.fields(PredictRequest)),
)
