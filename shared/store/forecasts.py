"""Stored forecasts (`forecast`) and the runs that made them (`forecast_runs`)."""

from __future__ import annotations

import pandas as pd

from shared.contract.errors import BucketNotFound
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.influx.client import InfluxClient
from shared.influx.frames import empty_frame, point
from shared.influx.influxql import ident, tags_equal

MEASUREMENT = ident(FORECAST.name)
ONE_TICK = pd.Timedelta(1, "ns")


def replace(client: InfluxClient, target: str, frame: pd.DataFrame) -> None:
    """Make `frame` (one model's forecast rows with their tags) the only stored forecast of its
    symbol, interval and field.

    The new points go in first and only what they leave of older forecasts is deleted after:
    readers never find the forecast missing, and the series being written is never deleted
    (delete-then-write lost points on InfluxDB 1.6 when predictions ran concurrently).
    """
    client.write_or_create(target, frame, FORECAST)
    row = frame.iloc[0]
    tags = {"symbol": row["symbol"], "interval": row["interval"], "field": row["field"]}
    client.delete(target, FORECAST.name, tags, until=frame.index.min() - ONE_TICK)
    client.delete(target, FORECAST.name, tags, since=frame.index.max() + ONE_TICK)
    for model in _stored_models(client, target, tags) - {row["model"]}:
        client.delete(target, FORECAST.name, {**tags, "model": model})


def latest(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str = "close"
) -> pd.DataFrame:
    """The stored forecast rows of a series (empty when there are none, or no such bucket)."""
    query = (
        f"SELECT * FROM {MEASUREMENT} "
        f"WHERE {tags_equal(symbol=symbol, interval=interval, field=field)}"
    )
    try:
        return client.query(target, query, FORECAST)
    except BucketNotFound:
        return empty_frame(FORECAST)


def record_run(
    client: InfluxClient,
    target: str,
    *,
    symbol: str,
    interval: str,
    model: str,
    horizon: int,
    train_points: int,
    fit_seconds: float,
    metrics: dict[str, float],
) -> None:
    """One `forecast_runs` point: what was fitted and how well it did."""
    run = point(
        symbol=symbol,
        interval=interval,
        model=model,
        horizon=horizon,
        train_points=train_points,
        fit_seconds=fit_seconds,
        **{name: float(value) for name, value in metrics.items()},
    )
    client.write_or_create(target, run, FORECAST_RUNS, precision="ms")


def _stored_models(client: InfluxClient, target: str, tags: dict[str, str]) -> set[str]:
    """The `model` tag values stored for the series (none on InfluxDB 3, which cannot delete)."""
    if client.generation == 3:
        return set()
    result = client.execute(
        target,
        f"SHOW TAG VALUES FROM {MEASUREMENT} WITH KEY = {ident('model')} "
        f"WHERE {tags_equal(**tags)}",
    )
    return {row[1] for series in result.get("series", []) for row in series.get("values", [])}
