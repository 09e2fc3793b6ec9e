"""Stored forecasts (`forecast`) and the runs that made them (`forecast_runs`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from shared.contract.errors import BucketNotFound
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.influx.client import InfluxClient
from shared.influx.frames import point
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
    naive_metrics: dict[str, float] = field(default_factory=dict)
    """The naive forecast's scores on the same windows (stored as `naive_<name>`)."""
    reason: str = ""
    """Why this model drew the forecast, in a sentence."""
    selection: dict[str, dict[str, float]] = field(default_factory=dict)
    """Each candidate's cross-validation scores (stored as JSON text)."""
    interval_width: float | None = None
    """The share of outcomes the forecast interval aims to hold."""
    horizon_band: tuple[float, float] | None = None
    """The interval's edges at the horizon (stored as `horizon_lower`, `horizon_upper`)."""
    risk: dict[str, float] = field(default_factory=dict)
    """The series' risk figures (shared/market/risk.py), each stored as a field of its name."""


def replace(client: InfluxClient, target: str, frame: pd.DataFrame, run: Run) -> None:
    """Make `frame` (one model's forecast rows with their tags) the forecast `latest` reads for
    its symbol, interval and field, whatever other predictions run at the same time.

    The rule: the run is recorded first, stamped with its issue time; then its points are
    written; only then is deleted, of what strictly older runs left, what lies before this
    forecast's first point (in every model's series) and, when this is its model's newest run,
    what its model's series holds after its last point. Readers take, of the models stored, the
    one whose run is newest.

    No delete reaches into another model's series from this forecast's first point on: a newer
    run of that model may be writing there unseen (recorded after this run read the runs), and
    InfluxDB has no conditional delete. An older model's forecast therefore stays stored there,
    beside the current one, until later forecasts start past it; it is never read as current.
    """
    row = frame.iloc[0]
    series = {"symbol": row["symbol"], "interval": row["interval"], "field": row["field"]}
    model = str(row["model"])
    issued = _record_run(client, target, series, model, run)
    client.write_or_create(target, frame, FORECAST)
    before_first = frame.index.min() - ONE_TICK
    newest = _newest_runs(client, target, series)
    if newest.get(model, issued) <= issued:
        own = {**series, "model": model}
        client.delete(target, FORECAST.name, own, until=before_first)
        client.delete(target, FORECAST.name, own, since=frame.index.max() + ONE_TICK)
    for other in _stored_models(client, target, series) - {model}:
        if newest.get(other, NEVER) < issued:
            client.delete(target, FORECAST.name, {**series, "model": other}, until=before_first)


def latest(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str = "close"
) -> pd.DataFrame:
    """The current forecast of a series: the rows of the stored model whose run is newest
    (empty when there are none, or no such bucket)."""
    series = {"symbol": symbol, "interval": interval, "field": field}
    query = f"SELECT * FROM {MEASUREMENT} WHERE {tags_equal(**series)}"
    rows = client.query(target, query, FORECAST, missing_ok=True)
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
    runs = client.query(target, query, FORECAST_RUNS, missing_ok=True)
    return runs.iloc[0] if len(runs) else None


def _record_run(
    client: InfluxClient, target: str, series: dict[str, str], model: str, run: Run
) -> pd.Timestamp:
    """Write the run's `forecast_runs` point; its issue time (whole milliseconds, as stored)."""
    issued = pd.Timestamp.now(tz="UTC").floor("ms")
    row = point(
        at=issued,
        **series,
        model=model,
        horizon=run.horizon,
        train_points=run.train_points,
        fit_seconds=run.fit_seconds,
        **{name: float(value) for name, value in run.metrics.items()},
        **{f"naive_{name}": float(value) for name, value in run.naive_metrics.items()},
        reason=run.reason,
        selection=json.dumps(run.selection, sort_keys=True),
        **({} if run.interval_width is None else {"interval_width": float(run.interval_width)}),
        **(
            {}
            if run.horizon_band is None
            else {"horizon_lower": run.horizon_band[0], "horizon_upper": run.horizon_band[1]}
        ),
        **{name: float(value) for name, value in run.risk.items()},
    )
    client.write_or_create(target, row, FORECAST_RUNS, precision="ms")
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


class Horizon(NamedTuple):
    """Where a current forecast of `close` ends: its last time, value and interval."""

    time: pd.Timestamp
    yhat: float
    yhat_lower: float
    yhat_upper: float


def forecast_ends(client: InfluxClient, target: str) -> dict[tuple[str, str], Horizon]:
    """The last forecast point of `close` (at the horizon) of every symbol and interval, from
    its current forecast (of the models stored, the one whose run is newest, as `latest`).

    Both statements go in one request (one round trip: the page asks this every poll)."""
    by_model = f"GROUP BY {ident('symbol')}, {ident('interval')}, {ident('model')}"
    columns = ", ".join(ident(name) for name in Horizon._fields[1:])
    statements = [
        f"SELECT {columns} FROM {MEASUREMENT} WHERE {tags_equal(field='close')} {by_model} "
        "ORDER BY time DESC LIMIT 1",
        f"SELECT last({ident('horizon')}) FROM {RUNS_MEASUREMENT} "
        f"WHERE {tags_equal(field='close')} {by_model}",
    ]
    try:
        bands, runs = client.execute_many(statements, target)
    except BucketNotFound:
        return {}
    issued = {
        _series_model(series): pd.Timestamp(series["values"][0][0], unit="ms", tz="UTC")
        for series in runs.get("series", [])
    }
    ends = []
    for series in bands.get("series", []):
        row = dict(zip(series["columns"], series["values"][0], strict=True))
        if any(row[name] is None for name in Horizon._fields[1:]):
            continue
        key = _series_model(series)
        at = pd.Timestamp(row["time"], unit="ms", tz="UTC")
        ends.append(
            (
                issued.get(key, NEVER),
                key[2],
                key[:2],
                Horizon(at, *(float(row[name]) for name in Horizon._fields[1:])),
            )
        )
    return {series: horizon for _, _, series, horizon in sorted(ends, key=lambda e: e[:2])}


def _series_model(series: dict) -> tuple[str, str, str]:
    tags = series["tags"]
    return tags["symbol"], tags["interval"], tags["model"]


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
    return client.query(target, query, FORECAST_RUNS, missing_ok=True)
