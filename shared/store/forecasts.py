"""Stored forecasts (`forecast`) and the runs that made them (`forecast_runs`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from shared.contract.errors import BucketNotFound
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.influx.client import InfluxClient
from shared.influx.frames import empty_frame
from shared.influx.influxql import ident, tags_equal

MEASUREMENT = ident(FORECAST.name)
RUNS_MEASUREMENT = ident(FORECAST_RUNS.name)
ONE_TICK = pd.Timedelta(1, "ns")
NEVER = pd.Timestamp.min.tz_localize("UTC")
"""The run time of a model with no run recorded: older than any."""


@dataclass(frozen=True)
class Run:
    """What a prediction run fitted and how well it did (a `forecast_runs` point's fields)."""

    horizon: int
    train_points: int
    fit_seconds: float
    metrics: dict[str, float]


def replace(client: InfluxClient, target: str, frame: pd.DataFrame, run: Run) -> None:
    """Make `frame` (one model's forecast rows with their tags) the forecast `latest` reads for
    its symbol, interval and field, whatever other predictions run at the same time.

    The rule: the run is recorded first, stamped with its issue time; then its points are
    written; only then is deleted what runs strictly older than this one left (other models'
    series, and this model's points outside the new range when this is its newest run).
    Nothing is deleted before a newer forecast is readable, and no run deletes a newer run's
    points; readers take, of the models stored, the one whose run is newest.
    """
    row = frame.iloc[0]
    series = {"symbol": row["symbol"], "interval": row["interval"], "field": row["field"]}
    model = str(row["model"])
    issued = _record_run(client, target, series, model, run)
    client.write_or_create(target, frame, FORECAST)
    newest = _newest_runs(client, target, series)
    for other in _stored_models(client, target, series) - {model}:
        if newest.get(other, NEVER) < issued:
            client.delete(target, FORECAST.name, {**series, "model": other})
    if newest.get(model, issued) <= issued:
        own = {**series, "model": model}
        client.delete(target, FORECAST.name, own, until=frame.index.min() - ONE_TICK)
        client.delete(target, FORECAST.name, own, since=frame.index.max() + ONE_TICK)


def latest(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str = "close"
) -> pd.DataFrame:
    """The current forecast of a series: the rows of the stored model whose run is newest
    (empty when there are none, or no such bucket)."""
    series = {"symbol": symbol, "interval": interval, "field": field}
    query = f"SELECT * FROM {MEASUREMENT} WHERE {tags_equal(**series)}"
    try:
        rows = client.query(target, query, FORECAST)
    except BucketNotFound:
        return empty_frame(FORECAST)
    models = set(rows["model"].dropna())
    if len(models) <= 1:
        return rows
    newest = _newest_runs(client, target, series)
    current = max(models, key=lambda model: (newest.get(model, NEVER), model))
    return rows[rows["model"] == current]


def run_of(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str, model: str
) -> pd.Series | None:
    """The newest `forecast_runs` point of one model's forecast of a series, or None."""
    tags = tags_equal(symbol=symbol, interval=interval, field=field, model=model)
    query = f"SELECT * FROM {RUNS_MEASUREMENT} WHERE {tags} ORDER BY time DESC LIMIT 1"
    try:
        runs = client.query(target, query, FORECAST_RUNS)
    except BucketNotFound:
        return None
    return runs.iloc[0] if len(runs) else None


def _record_run(
    client: InfluxClient, target: str, series: dict[str, str], model: str, run: Run
) -> pd.Timestamp:
    """Write the run's `forecast_runs` point; its issue time (whole milliseconds, as stored)."""
    issued = pd.Timestamp.now(tz="UTC").floor("ms")
    point = pd.DataFrame(
        {
            **{tag: [value] for tag, value in series.items()},
            "model": [model],
            "horizon": [run.horizon],
            "train_points": [run.train_points],
            "fit_seconds": [run.fit_seconds],
            **{name: [float(value)] for name, value in run.metrics.items()},
        },
        index=pd.DatetimeIndex([issued], name="time"),
    )
    client.write_or_create(target, point, FORECAST_RUNS, precision="ms")
    return issued


def _newest_runs(
    client: InfluxClient, target: str, series: dict[str, str]
) -> dict[str, pd.Timestamp]:
    """Each model's newest run time for the series (runs recorded without `field` are ignored)."""
    query = (
        f"SELECT last({ident('horizon')}) FROM {RUNS_MEASUREMENT} "
        f"WHERE {tags_equal(**series)} GROUP BY {ident('model')}"
    )
    try:
        runs = client.query(target, query)
    except BucketNotFound:
        return {}
    return {str(model): time for time, model in zip(runs.index, runs["model"], strict=True)}


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


def forecast_ends(client: InfluxClient, target: str) -> dict[tuple[str, str], float]:
    """The last forecast value of `close` (at the horizon) of every symbol and interval."""
    query = (
        f"SELECT last({ident('yhat')}) AS {ident('yhat')} FROM {MEASUREMENT} "
        f"WHERE {tags_equal(field='close')} GROUP BY {ident('symbol')}, {ident('interval')}"
    )
    try:
        frame = client.query(target, query, FORECAST)
    except BucketNotFound:
        return {}
    return {(r.symbol, r.interval): float(r.yhat) for r in frame.itertuples()}


def latest_runs(
    client: InfluxClient,
    target: str,
    symbol: str | None = None,
    interval: str | None = None,
    field: str = "close",
) -> pd.DataFrame:
    """The latest `forecast_runs` point of every symbol and interval (or of one given) for
    forecasts of `field`, each with the `model` that drew the forecast."""
    series = {"symbol": symbol, "interval": interval} if symbol and interval else {}
    query = (
        f"SELECT * FROM {ident(FORECAST_RUNS.name)} WHERE {tags_equal(**series, field=field)} "
        f"GROUP BY {ident('symbol')}, {ident('interval')} ORDER BY time DESC LIMIT 1"
    )
    try:
        return client.query(target, query, FORECAST_RUNS)
    except BucketNotFound:
        return empty_frame(FORECAST_RUNS)
