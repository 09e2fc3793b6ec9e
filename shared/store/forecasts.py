"""Stored forecasts (`forecast`) and the runs that made them (`forecast_runs`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from shared.contract.errors import BucketNotFound
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.influx import line_protocol, one_point
from shared.influx.client import Deletion, InfluxClient, Series
from shared.influx.frames import rows_frame
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


@dataclass(frozen=True)
class Survey:
    """What a series' stored forecasts hold once the points at or before its newest bar (stale
    by then, whichever model drew them) were deleted: each model's first and last point left."""

    firsts: dict[str, pd.Timestamp]
    lasts: dict[str, pd.Timestamp]

    def leaves_nothing_to_delete(self, frame: pd.DataFrame, model: str) -> bool:
        """Whether writing `frame` (of `model`) leaves nothing `replace` would delete: no point
        of any model before its first, none of its model after its last."""
        first, last = frame.index.min(), frame.index.max()
        return all(time >= first for time in self.firsts.values()) and (
            self.lasts.get(model, last) <= last
        )


def clearing(series: dict[str, str], newest_bar: pd.Timestamp) -> list[str]:
    """Statements that delete the series' forecast points at or before its newest bar (every
    model's: a forecast of a time that has its bar is stale) and then read what is left, for
    `survey_of`. Made with a read predict makes anyway, they spare `replace` its own read and
    deletes (InfluxDB 1.x and 2.x; not 3, which cannot delete)."""
    where = tags_equal(**series)
    by_model = f"FROM {MEASUREMENT} WHERE {where} GROUP BY {ident('model')}"
    return [
        f"DELETE FROM {MEASUREMENT} WHERE {where} AND time <= {pd.Timestamp(newest_bar).value:d}",
        f"SELECT first({ident('yhat')}) {by_model}",
        f"SELECT last({ident('yhat')}) {by_model}",
    ]


def survey_of(answers: list[list[Series]]) -> Survey:
    """The `Survey` from the answers to `clearing`'s statements."""
    return Survey(firsts=_run_times(answers[1]), lasts=_run_times(answers[2]))


def replace(
    client: InfluxClient,
    target: str,
    frame: pd.DataFrame,
    run: Run,
    survey: Survey | None = None,
) -> None:
    """Make `frame` (one model's forecast rows with their tags) the forecast `latest` reads for
    its symbol, interval and field, whatever other predictions run at the same time.

    The rule: the run, stamped with its issue time, and its points are written (one request,
    the run first); only then is deleted, of what strictly older runs left, what lies before this
    forecast's first point (in every model's series) and, when this is its model's newest run,
    what its model's series holds after its last point. Readers take, of the models stored, the
    one whose run is newest. Three requests in all: the write, one read of the runs and models
    stored, one of the deletes; only the write when a `survey` (see `clearing`) shows that the
    deletes would find nothing.

    No delete reaches into another model's series from this forecast's first point on: a newer
    run of that model may be writing there unseen (recorded after this run read the runs), and
    InfluxDB has no conditional delete. An older model's forecast therefore stays stored there,
    beside the current one, until later forecasts start past it; it is never read as current.
    """
    row = frame.iloc[0]
    series = {"symbol": row["symbol"], "interval": row["interval"], "field": row["field"]}
    model = str(row["model"])
    issued = pd.Timestamp.now(tz="UTC").floor("ms")
    lines = [_run_line(series, model, run, issued)]
    lines += line_protocol.checked_lines(frame, FORECAST, "ms")
    client.write_lines(target, lines, "ms")
    if survey is not None and survey.leaves_nothing_to_delete(frame, model):
        return
    before_first = frame.index.min() - ONE_TICK
    newest, stored_models = _runs_and_models(client, target, series)
    deletions: list[Deletion] = []
    if newest.get(model, issued) <= issued:
        own = {**series, "model": model}
        deletions += [Deletion(own, until=before_first)]
        deletions += [Deletion(own, since=frame.index.max() + ONE_TICK)]
    for other in sorted(stored_models - {model}):
        if newest.get(other, NEVER) < issued:
            deletions += [Deletion({**series, "model": other}, until=before_first)]
    client.delete_many(target, FORECAST.name, deletions)


def latest(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str = "close"
) -> pd.DataFrame:
    """The current forecast of a series: the rows of the stored model whose run is newest
    (empty when there are none, or no such bucket)."""
    return current(client, target, symbol, interval, field)[0]


def current(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str = "close"
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The current forecast of a series (as `latest`) and its model's newest `forecast_runs`
    point (None when it has none), in one request."""
    series = {"symbol": symbol, "interval": interval, "field": field}
    where = tags_equal(**series)
    points, newest_runs, runs = client.select(
        target,
        [
            f"SELECT * FROM {MEASUREMENT} WHERE {where}",
            _newest_runs_query(series),
            f"SELECT * FROM {RUNS_MEASUREMENT} WHERE {where} GROUP BY {ident('model')} "
            "ORDER BY time DESC LIMIT 1",
        ],
        missing_ok=True,
    )
    rows = rows_frame(points, FORECAST)
    models = set(rows["model"].dropna())
    if not models:
        return rows, None
    newest = _run_times(newest_runs)
    chosen = max(models, key=lambda model: (newest.get(model, NEVER), model))
    if len(models) > 1:
        rows = rows[rows["model"] == chosen]
    of_model = [one for one in runs if one.tags.get("model") == chosen]
    run_rows = rows_frame(of_model, FORECAST_RUNS)
    return rows, run_rows.iloc[0] if len(run_rows) else None


def run_of(
    client: InfluxClient, target: str, symbol: str, interval: str, field: str, model: str
) -> pd.Series | None:
    """The newest `forecast_runs` point of one model's forecast of a series, or None."""
    tags = tags_equal(symbol=symbol, interval=interval, field=field, model=model)
    query = f"SELECT * FROM {RUNS_MEASUREMENT} WHERE {tags} ORDER BY time DESC LIMIT 1"
    (found,) = client.select(target, [query], missing_ok=True)
    runs = rows_frame(found, FORECAST_RUNS)
    return runs.iloc[0] if len(runs) else None


def _run_line(series: dict[str, str], model: str, run: Run, issued: pd.Timestamp) -> str:
    """The run's `forecast_runs` point, stamped `issued` (whole milliseconds, as stored)."""
    return one_point.line(
        FORECAST_RUNS,
        issued,
        "ms",
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


def _newest_runs_query(series: dict[str, str]) -> str:
    return (
        f"SELECT last({ident('horizon')}) FROM {RUNS_MEASUREMENT} "
        f"WHERE {tags_equal(**series)} GROUP BY {ident('model')}"
    )


def _run_times(answer: list[Series]) -> dict[str, pd.Timestamp]:
    """Each model's time of a one-row-per-model answer (`GROUP BY model`): its newest run's, or
    its first or last forecast point's."""
    return {
        one.tags["model"]: pd.Timestamp(one.values[0][0], unit="ms", tz="UTC")
        for one in answer
        if one.values and "model" in one.tags
    }


def _times(series: Series) -> list[pd.Timestamp]:
    return [pd.Timestamp(row[0], unit="ms", tz="UTC") for row in series.values]


def _runs_and_models(
    client: InfluxClient, target: str, series: dict[str, str]
) -> tuple[dict[str, pd.Timestamp], set[str]]:
    """Each model's newest run time for the series (runs recorded without `field` are ignored)
    and the `model` tag values stored for it (none on InfluxDB 3, which cannot delete)."""
    statements = [_newest_runs_query(series)]
    if client.generation != 3:
        statements.append(
            f"SHOW TAG VALUES FROM {MEASUREMENT} WITH KEY = {ident('model')} "
            f"WHERE {tags_equal(**series)}"
        )
    answers = client.select(target, statements)
    tag_values = answers[1] if len(answers) > 1 else []
    return _run_times(answers[0]), {row[1] for one in tag_values for row in one.values}


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
    (found,) = client.select(target, [query], missing_ok=True)
    return rows_frame(found, FORECAST_RUNS)
