"""The page's JSON views (watchlist with its figures, one symbol, the pipeline) and its changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from shared.contract import validation
from shared.contract.errors import BadInput, BucketNotFound, Unprocessable
from shared.contract.schema import (
    DAILY,
    DEFAULT_BUCKET,
    FORECASTS_BUCKET,
    MODELS,
    PRICE_COLUMNS,
)
from shared.contract.timefmt import rfc3339
from shared.market import calendar, correlation, exchanges, listings, risk
from shared.runtime.services import Services
from shared.store import dead_letters, forecasts, names, prices, runs
from shared.store.watchlist import Entry
from shared.usecases import alerts_page, freshness, watchlist
from shared.usecases.json_rows import finite, records, seconds, values

TREND_DAYS = (50, 200)
HISTORY_DAYS = 300  # enough trading days for a 200-day average
FETCH_LOOKBACK = pd.Timedelta(days=35)
FLAT_PERCENT = 0.05  # a forecast moving less than this is shown as flat
SAME_AS_NAIVE = 0.005  # a relative error within this of naive's is naive's (naive's own is 1)
SPARK_SESSIONS = 60
RANGES = {"1M": 23, "6M": 131, "1Y": 262, "5Y": 1_305, "all": 20_000}
"""The chart's ranges and at most how many sessions each spans (the exchanges served trade on
weekdays only; "all": the newest bars up to `MAX_CHART_BARS`); what is read is then cut to the
range's dates."""
OFFSETS = {
    "1M": pd.DateOffset(months=1),
    "6M": pd.DateOffset(months=6),
    "1Y": pd.DateOffset(years=1),
    "5Y": pd.DateOffset(years=5),
}
MAX_CHART_BARS = 20_000
LONGEST_SESSION_MINUTES = 510
DEFAULT_INTERVAL_WIDTH = 0.8  # predict's default, when the run does not say its own
VIEW_FIELDS = {
    "watchlist": {"view"},
    "pipeline": {"view"},
    "correlation": {"view"},
    "symbol": {"view", "symbol", "interval", "bucket", "points", "range"},
    "alerts": alerts_page.VIEW_FIELDS,
}
ACTION_FIELDS = {
    "track": {"action", "symbol", "interval", "bucket", "model", "exchange"},
    "untrack": {"action", "symbol", "interval"},
    "refresh": {"action", "symbol", "interval"},
    **alerts_page.ACTION_FIELDS,
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
    if name == "correlation":
        return correlation_view(services)
    if name == "alerts":
        return alerts_page.view(services, fields)
    return watchlist_view(services)


def change(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Track, untrack or refresh, add or delete an alert rule, named by the `action` field."""
    action = validation.choice(fields, "action", tuple(ACTION_FIELDS), "track")
    validation.known_fields(fields, ACTION_FIELDS[action], f"the {action} action")
    if action in alerts_page.ACTION_FIELDS:
        return alerts_page.change(services, action, fields)
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    if action == "track":
        model = validation.choice(fields, "model", MODELS, "auto")
        bucket = validation.bucket(fields)
        entry = Entry(symbol, interval, bucket, model, validation.exchange(fields) or "")
        outcome = watchlist.track(services, entry, "ui")
    elif action == "untrack":
        outcome = watchlist.untrack(services, symbol, interval)
    else:
        outcome = watchlist.refresh(services, symbol, interval, "ui")
    return outcome.as_dict()


# -- the watchlist view -------------------------------------------------------------------------


def names_of(services: Services, symbols: set[str]) -> dict[str, str | None]:
    """Each symbol's company name: the demo's listing, else the name a provider gave (read only
    when some symbol has no listing, so the demo's views make no request for it)."""
    found = {symbol: listings.name(symbol) for symbol in symbols}
    if all(found.values()):
        return found
    given = names.names(services.influx, services.settings.meta_bucket)
    return {symbol: name or given.get(symbol) for symbol, name in found.items()}


def watchlist_view(services: Services) -> dict[str, Any]:
    """Every tracked entry with its name, last close, trends, last 60 closes, latest forecast
    and its range, risk figures and last fetch; and what the page says about the provider."""
    meta = services.settings.meta_bucket
    entries = watchlist.watchlist_of(services).tracked()
    closes = {
        bucket: prices.daily_closes(services.influx, bucket, HISTORY_DAYS)
        for bucket in sorted({e.bucket for e in entries})
    }
    ends = forecasts.forecast_ends(services.influx, FORECASTS_BUCKET)
    latest_runs = by_series(records(forecasts.latest_runs(services.influx, FORECASTS_BUCKET)))
    now = pd.Timestamp.now(tz="UTC")
    fetched = fetch_health(runs.fetch_runs(services.influx, meta, now - FETCH_LOOKBACK))
    alerting = alerts_page.RowFigures(services)
    checked = freshness.actions_checked(services, entries)
    named = names_of(services, {e.symbol for e in entries})
    rows = []
    for entry in entries:
        key = (entry.symbol, entry.interval)
        series = closes[entry.bucket].get(key, pd.Series(dtype="float64"))
        run = latest_runs.get(key)
        row = {
            **entry.as_dict(),
            "name": named[entry.symbol],
            **where_traded(entry.symbol, entry),
            **price_figures(series),
        }
        row |= alerting.of(entry, series.index.max() if len(series) else None)
        # daily bars, and the days of intraday closes, are stamped 00:00 UTC of their date
        day = pd.Timestamp(series.index[-1].date()) if len(series) else None
        row |= session_figures(day, row["exchange"], now)
        row["spark"] = values(series.iloc[-SPARK_SESSIONS:])
        row["forecast"] = forecast_figures(row["close"], ends.get(key), run)
        row["risk"] = risk_figures(run)
        row["fetch"] = fetched.get(key)
        row["actions"] = checked[entry.symbol]  # how old its splits and dividends are
        rows.append(row)
    return {"watchlist": rows, **about_page(services), "explanations": risk.EXPLANATIONS}


def fetch_health(fetches: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """Each series' latest fetch (`time`, `status`, `error`) and, when it failed, since when it
    has been failing: the first failure after its last success (else its first run read)."""
    if fetches.empty:
        return {}
    keys = ["symbol", "interval"]
    runs_by_time = fetches.reset_index()
    ok = runs_by_time[runs_by_time["status"] == "ok"].groupby(keys)["time"].max()
    failed = runs_by_time[runs_by_time["status"] != "ok"].join(ok.rename("last_ok"), on=keys)
    failed = failed[failed["last_ok"].isna() | (failed["time"] > failed["last_ok"])]
    since = failed.groupby(keys)["time"].min()
    health = {}
    for row in records(fetches.groupby(keys, sort=False).tail(1)):
        key = (str(row["symbol"]), str(row["interval"]))
        failing = row["status"] != "ok" and key in since.index
        health[key] = {
            **{name: row[name] for name in ("time", "status", "error")},
            "failing_since": rfc3339(since[key]) if failing else None,
        }
    return health


def risk_figures(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """The risk figures predict stored with its run (each None where the history was too short);
    None when the run has none (no run yet, or one made before predict stored them)."""
    if run is None or "volatility" not in run:
        return None
    return {name: run.get(name) for name in risk.FIELDS}


def about_page(services: Services) -> dict[str, Any]:
    """What every view tells the page: the provider (the demo's data is made up) and whether
    changes need the API token (never the token itself)."""
    provider = services.settings.provider.name
    return {
        "provider": provider,
        "demo": provider == "demo",
        "token_required": services.settings.api_token is not None,
    }


def price_figures(closes: pd.Series) -> dict[str, Any]:
    """Last close, its session, its change on the one before (in price and %), and where it
    stands to the 50/200-day averages."""
    figures: dict[str, Any] = {"close": None, "change": None, "change_pct": None, "day": None}
    figures |= {f"sma{days}": None for days in TREND_DAYS}
    figures |= {f"trend{days}": None for days in TREND_DAYS}
    if closes.empty:
        return figures
    last = float(closes.iloc[-1])
    figures["close"] = finite(last)
    figures["day"] = rfc3339(closes.index[-1])
    if len(closes) > 1:
        before = float(closes.iloc[-2])
        figures["change"] = finite(last - before)
        figures["change_pct"] = finite((last / before - 1) * 100)
    for days in TREND_DAYS:
        if len(closes) >= days:
            average = float(closes.iloc[-days:].mean())
            figures[f"sma{days}"] = finite(average)
            figures[f"trend{days}"] = "above" if last >= average else "below"
    return figures


def session_figures(day: pd.Timestamp | None, exchange: str, now: pd.Timestamp) -> dict[str, Any]:
    """The session a last close belongs to (its date, YYYY-MM-DD, on `exchange`) and whether
    that session has closed by `now` (False: the close is the latest price of a session still
    trading); None for both without a close."""
    if day is None:
        return {"session": None, "session_closed": None}
    sessions = calendar.calendar(exchange)
    closed = not sessions.is_session(day) or sessions.open_close(day)[1] <= now
    return {"session": f"{day:%Y-%m-%d}", "session_closed": closed}


def forecast_figures(
    close: float | None, end: forecasts.Horizon | None, run: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The latest forecast at its horizon: its range, its model and how it did against the
    naive forecast ("tomorrow equals today"). A direction is given only when the model beat
    naive; `skill` says `better`, `same` or `worse` than naive."""
    if close is None or end is None or run is None:
        return None
    change_pct = (end.yhat / close - 1) * 100
    rel_naive = run.get("rel_naive")
    skill = (
        None
        if rel_naive is None
        else "better"
        if rel_naive < 1 - SAME_AS_NAIVE
        else "worse"
        if rel_naive > 1 + SAME_AS_NAIVE
        else "same"
    )
    direction = None
    if skill == "better":
        direction = "flat" if abs(change_pct) < FLAT_PERCENT else "up" if change_pct > 0 else "down"
    band = risk.forecast_range(close, end.yhat_lower, end.yhat_upper)
    return {
        "direction": direction,
        "skill": skill,
        "change_pct": finite(change_pct),
        "end": finite(end.yhat),
        "range": None
        if band is None
        else {
            **{name: finite(value) for name, value in band.items()},
            "time": rfc3339(end.time),
            "width": run.get("interval_width") or DEFAULT_INTERVAL_WIDTH,
        },
        "model": run["model"],
        "rel_naive": rel_naive,
        "time": run["time"],
    }


# -- the symbol view ----------------------------------------------------------------------------


def symbol_view(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A symbol's bars over a range (`range`, else the newest `points`), its latest forecast
    with its range and skill, the run that drew it, and its risk figures."""
    symbol = validation.symbol(fields)
    interval = validation.interval(fields)
    entry = watchlist.watchlist_of(services).find(symbol, interval)
    bucket = validation.bucket(fields, default=entry.bucket if entry else DEFAULT_BUCKET)
    span: str | None = validation.choice(fields, "range", tuple(RANGES), "1Y")
    if "points" in fields:
        if "range" in fields:
            raise BadInput("Give the symbol view a range or a number of points, not both.")
        limit, span = validation.integer(fields, "points", 250, 10, 5_000), None
    else:
        limit = min(RANGES[str(span)] * bars_a_session(interval), MAX_CHART_BARS)
    try:
        bars = prices.newest(services.influx, bucket, symbol, interval, PRICE_COLUMNS, limit)
    except BucketNotFound:
        bars = pd.DataFrame()
    if bars.empty:
        raise Unprocessable(
            f"There is no {interval} data for {symbol} in bucket {bucket!r} yet: track it and "
            "wait for its fetch."
        )
    if span in OFFSETS:
        bars = bars[bars.index >= bars.index[-1] - OFFSETS[span]]
    latest = forecasts.latest_runs(services.influx, FORECASTS_BUCKET, symbol, interval)
    run = by_series(records(latest)).get((symbol, interval))
    band = forecasts.latest(services.influx, FORECASTS_BUCKET, symbol, interval)
    close = finite(float(bars["close"].iloc[-1]))
    traded = where_traded(symbol, entry)
    day = (
        pd.Timestamp(bars.index[-1].date())
        if interval == DAILY
        else calendar.calendar(traded["exchange"]).date_of(bars.index[-1:])[0]
    )
    return {
        "symbol": symbol,
        "interval": interval,
        "bucket": bucket,
        "name": names_of(services, {symbol})[symbol],
        **traded,
        **session_figures(day, traded["exchange"], pd.Timestamp.now(tz="UTC")),
        "tracked": entry is not None,
        "range": span,
        "day": rfc3339(bars.index[-1]),
        "prices": {
            "time": seconds(bars.index),
            **{name: values(bars[name]) for name in PRICE_COLUMNS},
        },
        "forecast": None if band.empty else forecast_band(band),
        "figures": None if band.empty else forecast_figures(close, horizon(band), run),
        "run": run,
        "risk": risk_figures(run),
        **about_page(services),
        "explanations": risk.EXPLANATIONS,
    }


def where_traded(symbol: str, entry: Entry | None) -> dict[str, str]:
    """The entry's exchange (else the symbol's) and its time zone, for the page's clocks."""
    exchange = getattr(entry, "exchange", None) or exchanges.exchange_of(symbol)
    return {"exchange": exchange, "timezone": calendar.calendar(exchange).tz}


def bars_a_session(interval: str) -> int:
    """At most how many bars of `interval` one session holds (the longest served: 8.5 hours)."""
    if interval == DAILY:
        return 1
    return -(-LONGEST_SESSION_MINUTES // int(interval.removesuffix("min")))


def horizon(band: pd.DataFrame) -> forecasts.Horizon:
    last = band.iloc[-1]
    return forecasts.Horizon(
        band.index[-1], float(last["yhat"]), float(last["yhat_lower"]), float(last["yhat_upper"])
    )


def forecast_band(band: pd.DataFrame) -> dict[str, Any]:
    return {
        "model": str(band["model"].iloc[-1]),
        "time": seconds(band.index),
        **{name: values(band[name]) for name in ("yhat", "yhat_lower", "yhat_upper")},
    }


# -- the correlation view ----------------------------------------------------------------------


def correlation_view(services: Services) -> dict[str, Any]:
    """How the tracked symbols' daily returns moved together over the last year: the matrix and
    the pairs, most in step first. One series a symbol: its daily entry, else its first
    intraday one (its last close of each day)."""
    entries = watchlist.watchlist_of(services).tracked()
    chosen: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: e.interval != DAILY):
        chosen.setdefault(entry.symbol, entry)
    closes = {
        bucket: prices.daily_closes(services.influx, bucket, HISTORY_DAYS)
        for bucket in sorted({e.bucket for e in chosen.values()})
    }
    series = {
        symbol: closes[e.bucket].get((symbol, e.interval), pd.Series(dtype="float64"))
        for symbol, e in sorted(chosen.items())
    }
    matrix = correlation.correlations(series)
    return {
        "symbols": list(series),
        "names": list(map(names_of(services, set(series)).get, series)),
        "matrix": [[finite(float(v)) for v in row] for row in matrix.to_numpy()],
        "pairs": [
            {"a": a, "b": b, "correlation": finite(value)}
            for a, b, value in correlation.pairs(matrix)
        ],
        "min_sessions": correlation.MIN_COMMON_SESSIONS,
        "explanation": correlation.EXPLANATION,
        **about_page(services),
    }


# -- the pipeline view --------------------------------------------------------------------------


def pipeline_view(services: Services) -> dict[str, Any]:
    """The latest runs, the latest failed runs and the latest dead letters."""
    meta = services.settings.meta_bucket
    return {
        "runs": records(runs.recent(services.influx, meta, 25)),
        "errors": records(runs.recent(services.influx, meta, 15, problems_only=True)),
        "dead_letters": records(dead_letters.recent(services.influx, meta, 15)),
        **about_page(services),
    }


def by_series(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["symbol"], row["interval"]): row for row in rows}
