"""The page's JSON views (watchlist with its figures, one symbol, the pipeline) and its changes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shared.contract import validation
from shared.contract.errors import BucketNotFound, Unprocessable
from shared.contract.schema import DEFAULT_BUCKET, FORECASTS_BUCKET, MODELS, PRICE_COLUMNS
from shared.contract.timefmt import rfc3339
from shared.runtime.services import Services
from shared.store import dead_letters, forecasts, prices, runs
from shared.store.watchlist import Entry
from shared.usecases import watchlist

TREND_DAYS = (50, 200)
HISTORY_DAYS = 300  # enough trading days for a 200-day average
FETCH_LOOKBACK = pd.Timedelta(days=35)
FLAT_PERCENT = 0.05  # a forecast moving less than this is shown as flat
VIEW_FIELDS = {
    "watchlist": {"view"},
    "pipeline": {"view"},
    "symbol": {"view", "symbol", "interval", "bucket", "points"},
}
ACTION_FIELDS = {
    "track": {"action", "symbol", "interval", "bucket", "model"},
    "untrack": {"action", "symbol", "interval"},
    "refresh": {"action", "symbol", "interval"},
}
FIELDS = frozenset({"asset"}.union(*VIEW_FIELDS.values(), *ACTION_FIELDS.values()))
"""Every field a call of the ui function may send; each view and action takes a part of them."""


def read(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """One of the page's views, named by the `view` field."""
    name = validation.choice(fields, "view", tuple(VIEW_FIELDS), "watchlist")
    validation.known_fields(fields, VIEW_FIELDS[name], f"the {name} view")
    if name == "symbol":
        return symbol_view(services, fields)
    if name == "pipeline":
        return pipeline_view(services)
    return watchlist_view(services)


def change(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Track, untrack or refresh, named by the `action` field."""
    action = validation.choice(fields, "action", tuple(ACTION_FIELDS), "track")
    validation.known_fields(fields, ACTION_FIELDS[action], f"the {action} action")
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    if action == "track":
        model = validation.choice(fields, "model", MODELS, "auto")
        entry = Entry(symbol, interval, validation.bucket(fields), model)
        outcome = watchlist.track(services, entry, "ui")
    elif action == "untrack":
        outcome = watchlist.untrack(services, symbol, interval)
    else:
        outcome = watchlist.refresh(services, symbol, interval, "ui")
    return outcome.as_dict()


# -- the watchlist view -------------------------------------------------------------------------


def watchlist_view(services: Services) -> dict[str, Any]:
    """Every tracked entry with its last close, trends, latest forecast and last fetch."""
    meta = services.settings.meta_bucket
    entries = watchlist.watchlist_of(services).tracked()
    closes = {
        bucket: prices.daily_closes(services.influx, bucket, HISTORY_DAYS)
        for bucket in sorted({e.bucket for e in entries})
    }
    ends = forecasts.forecast_ends(services.influx, FORECASTS_BUCKET)
    latest_runs = by_series(records(forecasts.latest_runs(services.influx, FORECASTS_BUCKET)))
    since = pd.Timestamp.now(tz="UTC") - FETCH_LOOKBACK
    fetched = {
        run["symbol"]: {key: run[key] for key in ("time", "status", "error")}
        for run in records(runs.latest_fetches(services.influx, meta, since))
    }
    rows = []
    for entry in entries:
        key = (entry.symbol, entry.interval)
        series = closes[entry.bucket].get(key, pd.Series(dtype="float64"))
        row = {**entry.as_dict(), **price_figures(series)}
        row["forecast"] = forecast_figures(row["close"], ends.get(key), latest_runs.get(key))
        row["fetch"] = fetched.get(entry.symbol)
        rows.append(row)
    return {"watchlist": rows}


def price_figures(closes: pd.Series) -> dict[str, Any]:
    """Last close, its change on the day before, and where it stands to the 50/200-day averages."""
    figures: dict[str, Any] = {"close": None, "change_pct": None, "day": None}
    figures |= {f"sma{days}": None for days in TREND_DAYS}
    figures |= {f"trend{days}": None for days in TREND_DAYS}
    if closes.empty:
        return figures
    last = float(closes.iloc[-1])
    figures["close"] = finite(last)
    figures["day"] = rfc3339(closes.index[-1])
    if len(closes) > 1:
        figures["change_pct"] = finite((last / float(closes.iloc[-2]) - 1) * 100)
    for days in TREND_DAYS:
        if len(closes) >= days:
            average = float(closes.iloc[-days:].mean())
            figures[f"sma{days}"] = finite(average)
            figures[f"trend{days}"] = "above" if last >= average else "below"
    return figures


def forecast_figures(
    close: float | None, end: float | None, run: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Where the latest forecast ends against the last close, its model and skill."""
    if close is None or end is None or run is None:
        return None
    change_pct = (end / close - 1) * 100
    direction = "flat" if abs(change_pct) < FLAT_PERCENT else "up" if change_pct > 0 else "down"
    return {
        "direction": direction,
        "change_pct": finite(change_pct),
        "end": finite(end),
        "model": run["model"],
        "rel_naive": run["rel_naive"],
        "time": run["time"],
    }


# -- the symbol view ----------------------------------------------------------------------------


def symbol_view(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A symbol's recent bars, its latest forecast and the run that drew it."""
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    entry = watchlist.watchlist_of(services).find(symbol, interval)
    bucket = validation.bucket(fields, default=entry.bucket if entry else DEFAULT_BUCKET)
    points = validation.integer(fields, "points", 250, 10, 5_000)
    try:
        bars = prices.newest(services.influx, bucket, symbol, interval, PRICE_COLUMNS, points)
    except BucketNotFound:
        bars = pd.DataFrame()
    if bars.empty:
        raise Unprocessable(
            f"There is no {interval} data for {symbol} in bucket {bucket!r} yet: track it and "
            "wait for its fetch."
        )
    latest = forecasts.latest_runs(services.influx, FORECASTS_BUCKET, symbol, interval)
    run = by_series(records(latest)).get((symbol, interval))
    band = forecasts.latest(services.influx, FORECASTS_BUCKET, symbol, interval)
    return {
        "symbol": symbol,
        "interval": interval,
        "bucket": bucket,
        "tracked": entry is not None,
        "prices": {
            "time": seconds(bars.index),
            **{name: values(bars[name]) for name in PRICE_COLUMNS},
        },
        "forecast": None if band.empty else forecast_band(band),
        "run": run,
    }


def forecast_band(band: pd.DataFrame) -> dict[str, Any]:
    return {
        "model": str(band["model"].iloc[-1]),
        "time": seconds(band.index),
        **{name: values(band[name]) for name in ("yhat", "yhat_lower", "yhat_upper")},
    }


# -- the pipeline view --------------------------------------------------------------------------


def pipeline_view(services: Services) -> dict[str, Any]:
    """The latest runs, the latest failed runs and the latest dead letters."""
    meta = services.settings.meta_bucket
    return {
        "runs": records(runs.recent(services.influx, meta, 25)),
        "errors": records(runs.recent(services.influx, meta, 15, failed_only=True)),
        "dead_letters": records(dead_letters.recent(services.influx, meta, 15)),
    }


# -- JSON values ----------------------------------------------------------------------------------


def finite(value: float | None) -> float | None:
    """A number JSON can carry, rounded for the page; None for NaN and infinities."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: the time in RFC 3339, numbers finite or None, text as text."""
    rows = []
    for time, row in zip(frame.index, frame.to_dict("records"), strict=True):
        rows.append({"time": rfc3339(time), **{k: json_value(v) for k, v in row.items()}})
    return rows


def json_value(value: Any) -> Any:
    """A frame cell as JSON: None for missing, then bool, int, finite float or text."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return finite(float(value))
    return str(value)


def by_series(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["symbol"], row["interval"]): row for row in rows}


def values(column: pd.Series) -> list[float | None]:
    return [finite(float(v)) if pd.notna(v) else None for v in column]


def seconds(index: pd.DatetimeIndex) -> list[int]:
    """Times as Unix seconds, the page's chart axis."""
    return [int(t.timestamp()) for t in index]
