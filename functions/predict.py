"""predict: forecast a stored series (Prophet, naive, drift or the best of them) into a bucket."""

from __future__ import annotations

from shared import validation
from shared.events import FETCHED, PREDICTED
from shared.forecasting import MODELS
from shared.handler import FunctionSpec, Reply, Services
from shared.invocation import Invocation
from shared.prediction import PredictRequest, predict


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    request = PredictRequest(
        symbol=validation.symbol(fields),
        bucket=validation.bucket(fields),
        target=validation.bucket(fields, "target", default="forecasts"),
        interval=validation.interval(fields),
        field=validation.price_field(fields),
        horizon=validation.integer(fields, "horizon", 30, 1, 365),
        model=validation.choice(fields, "model", MODELS, "prophet"),
        interval_width=validation.fraction(fields, "interval_width", 0.8, 0.5, 0.99),
    )
    result = predict(services.storage, request)
    return Reply(result, symbol=request.symbol, points=result["points"])


SPEC = FunctionSpec(
    "predict", run, accepts=frozenset({FETCHED}), reply_type=PREDICTED, records_runs=True
)
