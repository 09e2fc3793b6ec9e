"""chart: a PNG of a stock's recent closes with its latest forecast and band (GET or POST)."""

from __future__ import annotations

from shared.charting.render import MAX_SIZE, MIN_SIZE
from shared.contract import validation
from shared.contract.schema import FORECASTS_BUCKET
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases.chart import chart_png


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    symbol = validation.symbol(fields)
    png = chart_png(
        services.influx,
        symbol=symbol,
        bucket=validation.bucket(fields),
        target=validation.bucket(fields, "target", default=FORECASTS_BUCKET),
        interval=validation.interval(fields),
        points=validation.integer(fields, "points", 120, 2, 5_000),
        width=validation.integer(fields, "width", 800, MIN_SIZE[0], MAX_SIZE[0]),
        height=validation.integer(fields, "height", 400, MIN_SIZE[1], MAX_SIZE[1]),
        adjusted=validation.boolean(fields, "adjusted", True),
    )
    return Reply(symbol=symbol, content=png, content_type="image/png")


SPEC = FunctionSpec(
    "chart",
    run,
    fields=frozenset(
        {"symbol", "bucket", "target", "interval", "points", "width", "height", "adjusted"}
    ),
    reads=frozenset({"GET", "POST"}),  # a chart may be shown in another site's page
)
