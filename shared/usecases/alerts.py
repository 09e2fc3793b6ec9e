"""Alerts: evaluate the rules when a bar arrives and on the clock, send and record each alert
once, and manage the rules.

Sending comes before recording: an alert whose `io.stocksmanager.alert.fired` could not be sent
is not recorded, so the retried event sends it; one sent but not recorded (InfluxDB failed
after) is sent again with the same id on the retry, which the notifier recognises. A recorded
alert is never sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from shared.alerting import freshness as freshness_of
from shared.alerting import pipeline, price
from shared.alerting.firing import Firing
from shared.alerting.freshness import Sessions
from shared.alerting.rules import CLOCK_KINDS, PRICE_KINDS, Rule, parse_rule, rule_id
from shared.contract.errors import BucketNotFound, SinkFailed, SinkMissing, Unprocessable
from shared.contract.events import ALERT_FIRED, new_event, send
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient
from shared.market.actions import adjusted
from shared.market.exchanges import exchange_of
from shared.runtime.services import Services
from shared.store import (
    actions,
    alert_bands,
    alert_rules,
    alerts,
    bar_times,
    dead_letters,
    forecasts,
    prices,
)
from shared.store import freshness as freshness_store
from shared.store import runs as runs_store
from shared.store.watchlist import Entry
from shared.usecases import watchlist
from shared.usecases.json_rows import records

MAX_RULES_PER_SYMBOL = 25
BANDS_KEPT = 10
"""Forecast points kept per prediction for the band rule: enough to cover the bars of a few
missed runs."""
DEAD_LETTER_LOOKBACK = pd.Timedelta(days=7)
HISTORY_LIMIT = 200

CalendarOf = Callable[[Entry], Sessions]


def exchange_of_entry(entry: Entry) -> str:
    """The exchange an entry trades on: its own when it names one, else its symbol's."""
    return getattr(entry, "exchange", None) or exchange_of(entry.symbol)


@dataclass(frozen=True)
class Arrival:
    """New bars or a new forecast for an entry: its bars' bucket and its forecast's."""

    symbol: str
    interval: str
    bucket: str
    target: str
    issued: str


def on_bar(services: Services, arrival: Arrival) -> list[Firing]:
    """Fetch stored bars (`io.stocksmanager.fetched`): evaluate the entry's price rules on its
    newest bars at once, not after the forecast (the band rule checks the band kept from the
    forecast made before the bar); the alerts sent now."""
    rules = _price_rules(services, arrival)
    if not rules:
        return []
    return announce(
        services, evaluate_prices(services.influx, services.settings.meta_bucket, arrival, rules)
    )


def on_forecast(services: Services, arrival: Arrival) -> int:
    """predict made a forecast (`io.stocksmanager.predicted`): keep its next points for the
    entry's band rules, if it has any; the points kept."""
    if not any(rule.kind == "band" for rule in _price_rules(services, arrival)):
        return 0
    return keep_bands(services.influx, services.settings.meta_bucket, arrival)


def _price_rules(services: Services, arrival: Arrival) -> list[Rule]:
    return [
        rule
        for rule in alert_rules.active(
            services.influx, services.settings.meta_bucket, arrival.symbol
        )
        if rule.interval == arrival.interval and rule.kind in PRICE_KINDS
    ]


def evaluate_prices(
    client: InfluxClient, meta: str, arrival: Arrival, rules: list[Rule]
) -> list[Firing]:
    """What the price rules fire on the newest `price.BARS_READ` bars (all of them, each time:
    `announce` sends only the alerts not recorded yet)."""
    try:
        bars = prices.newest(
            client,
            arrival.bucket,
            arrival.symbol,
            arrival.interval,
            ("close",),
            price.READ,
            adjusted=False,
        )
    except BucketNotFound:
        return []
    if bars.empty:
        return []
    bars = bars.assign(adjusted=bars["close"])
    if any(rule.kind == "move" for rule in rules):
        stored = actions.read_actions(client, arrival.bucket, arrival.symbol)
        bars["adjusted"] = adjusted(bars[["close"]], stored)["close"]
    bands = pd.DataFrame(columns=["yhat_lower", "yhat_upper"], dtype="float64")
    if any(rule.kind == "band" for rule in rules):
        bands = alert_bands.covering(client, meta, arrival.symbol, arrival.interval, bars.index[0])
    return price.firings(rules, bars, bands, complete=len(bars) < price.READ)


def keep_bands(client: InfluxClient, meta: str, arrival: Arrival) -> int:
    """Copy the current forecast's next points (after the newest bar) for the band rule."""
    newest = prices.last_bar_time(client, arrival.bucket, arrival.symbol, arrival.interval)
    forecast = forecasts.latest(client, arrival.target, arrival.symbol, arrival.interval)
    if newest is not None:
        forecast = forecast[forecast.index > newest]
    ahead = forecast.sort_index().head(BANDS_KEPT)
    return alert_bands.keep(client, meta, arrival.symbol, arrival.interval, ahead, arrival.issued)


def check(services: Services, now: pd.Timestamp, calendar_of: CalendarOf) -> list[Firing]:
    """Record how fresh every tracked entry is at `now` and evaluate the stale-data and
    failing-pipeline rules; the alerts sent now."""
    client, meta = services.influx, services.settings.meta_bucket
    entries = {entry.key: entry for entry in watchlist.watchlist_of(services).tracked()}
    newest: dict[tuple[str, str], pd.Timestamp] = {}
    for bucket in sorted({entry.bucket for entry in entries.values()}):
        newest |= {
            key: pd.Timestamp(time)
            for key, time in bar_times.newest_times(client, bucket).items()
            if key in entries and entries[key].bucket == bucket
        }
    found_fresh = {
        key: freshness_of.freshness(calendar_of(entry), newest.get(key), entry.interval, now)
        for key, entry in entries.items()
    }
    freshness_store.record(client, meta, found_fresh, now)
    rules = [rule for rule in alert_rules.active(client, meta) if rule.kind in CLOCK_KINDS]
    found: list[Firing] = []
    letters: list[pipeline.DeadLetter] | None = None
    for rule in rules:
        entry = entries.get((rule.symbol, rule.interval))
        if entry is None:  # untracked: nothing is fetched, so nothing to watch
            continue
        if rule.kind == "stale":
            found += _stale(rule, entry, newest.get(entry.key), now, calendar_of(entry))
            continue
        failures = runs_store.fetch_failure_streak(
            client, meta, rule.symbol, rule.interval, int(rule.threshold or 1)
        )
        streak = [
            pipeline.Failure(at, str(row["status"]), str(row["error"] or ""))
            for at, row in zip(failures.index, failures.to_dict("records"), strict=True)
        ]
        found += [f for f in [pipeline.streak_firing(rule, streak)] if f is not None]
        if letters is None:
            letters = _dead_letters(client, meta, now)
        found += pipeline.dead_letter_firings(rule, letters)
    return announce(services, found, now)


def _stale(
    rule: Rule,
    entry: Entry,
    newest: pd.Timestamp | None,
    now: pd.Timestamp,
    calendar: Sessions,
) -> list[Firing]:
    minutes = pd.Timedelta(minutes=rule.threshold or 90)
    created = pd.Timestamp(rule.created) if rule.created else None
    fresh = freshness_of.freshness(calendar, newest, entry.interval, now, minutes, created)
    firing = freshness_of.stale_firing(rule, fresh, calendar.tz)
    return [firing] if firing is not None else []


def _dead_letters(client: InfluxClient, meta: str, now: pd.Timestamp) -> list[pipeline.DeadLetter]:
    frame = dead_letters.since(client, meta, now - DEAD_LETTER_LOOKBACK)
    return [
        pipeline.DeadLetter(
            at=at,
            event_type=str(row["type"]),
            trigger=str(row.get("trigger") or ""),
            code=int(row["code"]) if pd.notna(row["code"]) else 0,
            error=str(row["error"] or ""),
            data=str(row["data"] or ""),
        )
        for at, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]


def announce(
    services: Services, firings: Iterable[Firing], now: pd.Timestamp | None = None
) -> list[Firing]:
    """Send the alerts not recorded yet as `io.stocksmanager.alert.fired` to K_SINK, then
    record them; the alerts sent. A failure to send raises (the event is retried whole)."""
    candidates = list(firings)
    if not candidates:
        return []
    client, meta = services.influx, services.settings.meta_bucket
    oldest = min(firing.at for firing in candidates)
    known = alerts.recorded(client, meta, {firing.rule.rule for firing in candidates}, oldest)
    new = list({firing.key: firing for firing in candidates if firing.key not in known}.values())
    if not new:
        return []
    sink = services.settings.k_sink
    if not sink:
        raise SinkMissing(
            "K_SINK is not set: the SinkBinding that gives this function its sink is missing."
        )
    for firing in new:
        event = new_event(
            ALERT_FIRED, "alerts", firing.event_data(), firing.alert_id, firing.rule.symbol
        )
        send(services.http, sink, event)
    alerts.record(client, meta, new, now or pd.Timestamp.now(tz="UTC"))
    return new


# -- rules ------------------------------------------------------------------------------------


def create_rule(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Make a rule on a tracked entry; a price rule is evaluated at once on the newest bar."""
    rule = parse_rule(fields, f"r{uuid.uuid4().hex[:12]}")
    client, meta = services.influx, services.settings.meta_bucket
    entry = watchlist.watchlist_of(services).find(rule.symbol, rule.interval)
    if entry is None:
        raise Unprocessable(
            f"{rule.symbol} ({rule.interval}) is not on the watchlist: track it before setting "
            "alerts on it."
        )
    current = alert_rules.active(client, meta, rule.symbol)
    same = next((r for r in current if r.content == rule.content), None)
    if same is not None:
        return {
            "changed": False,
            "rule": same.as_dict(),
            "fired": [],
            "message": f"The rule {same.describe()} exists already ({same.rule}).",
        }
    if len(current) >= MAX_RULES_PER_SYMBOL:
        raise Unprocessable(
            f"{rule.symbol} has {len(current)} rules, the most it may have: delete one first."
        )
    now = pd.Timestamp.now(tz="UTC")
    newest = prices.last_bar_time(client, entry.bucket, rule.symbol, rule.interval)
    rule = replace(
        rule,
        since=rfc3339(newest if newest is not None else now.normalize()),
        created=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # to the microsecond: rules list in order
    )
    alert_rules.save(client, meta, rule)
    arrival = Arrival(rule.symbol, rule.interval, entry.bucket, "forecasts", rfc3339(now) or "")
    fired, note = _first_look(services, arrival, rule)
    return {
        "changed": True,
        "rule": rule.as_dict(),
        "fired": [firing.event_data() for firing in fired],
        "message": f"Watching {rule.describe()} ({rule.rule}).{note}",
    }


def _first_look(services: Services, arrival: Arrival, rule: Rule) -> tuple[list[Firing], str]:
    """Evaluate a new price rule on the newest bar at once (the next bar would fire the same
    alert); a sink that fails leaves it to the next bar."""
    if rule.kind not in PRICE_KINDS:
        return [], ""
    client, meta = services.influx, services.settings.meta_bucket
    if rule.kind == "band":
        keep_bands(client, meta, arrival)
        return [], ""
    try:
        fired = announce(services, evaluate_prices(client, meta, arrival, [rule]))
    except (SinkFailed, SinkMissing):
        return [], " It will be checked when the next bar arrives."
    return fired, " It fired at once: " + fired[0].message if fired else ""


def delete_rule(services: Services, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Delete a rule (its alerts stay in the history)."""
    wanted = rule_id(fields)
    client, meta = services.influx, services.settings.meta_bucket
    rule = alert_rules.find(client, meta, wanted)
    if rule is None or not rule.active:
        raise Unprocessable(f"There is no rule {wanted}: it may have been deleted already.")
    alert_rules.save(client, meta, replace(rule, active=False))
    return {
        "changed": True,
        "rule": rule.as_dict(),
        "message": f"Deleted the rule {rule.describe()} ({rule.rule}).",
    }


def listing(services: Services, symbol: str | None = None, limit: int = 50) -> dict[str, Any]:
    """The rules in force and the newest alerts (of one symbol if given), newest first."""
    client, meta = services.influx, services.settings.meta_bucket
    return {
        "rules": [rule.as_dict() for rule in alert_rules.active(client, meta, symbol)],
        "alerts": records(alerts.recent(client, meta, limit, symbol)),
    }
