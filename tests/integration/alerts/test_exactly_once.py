"""Exactly once, end to end: influxd, every function, the mesh reading knative/ and the local
webhook receiver as `make run` starts them.

The test plays fetch and predict itself (it writes each day's bar and the forecast, then
publishes their replies, as fetch and predict reply for symbols with alert rules: `forecastdue`
and `alertrules` yes), so predict's Trigger is left out; every other object of knative/ is routed
as it is.

The same scenario runs twice on one stack, on two sets of 20 symbols with the same bars: once as
it is, once with every delivery made three times in shuffled order, influxd stopped while
events are in flight and the webhook receiver stopped while alerts are on their way. Rules of
every kind watch each symbol. The alert history and what the receiver got must be the same.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml
from cloudevents.http import CloudEvent

from devstack.mesh import Chaos
from devstack.run import LocalStack
from shared.contract.events import FETCHED, PREDICTED
from shared.contract.schema import ALERTS, DEAD_LETTERS, FORECAST, RUNS
from shared.market.calendar import calendar
from shared.store import prices
from shared.store.watchlist import Entry, Watchlist
from tests.support.stack import publish, storage_of, wait_for

pytestmark = pytest.mark.slow
KNATIVE = Path(__file__).resolve().parents[3] / "knative"
DAYS = calendar("XNYS").sessions(pd.Timestamp("2025-06-02"), pd.Timestamp("2025-06-11"))
MOVES = [1.00, 1.01, 0.99, 1.06, 1.02, 0.93, 1.05, 1.045]
"""Each symbol's closes over DAYS, as multiples of its base: crossings of every rule."""
STEPS = range(3, len(MOVES))
STALE, FAILING = range(0, 5), range(5, 10)
"""The symbols (by position) with a stale-data rule, and with a failing-pipeline rule."""


def base(position: int) -> float:
    return 100.0 + 7 * position


def close(position: int, day: int) -> float:
    return round(base(position) * MOVES[day] * (1 + 0.002 * (position % 3)), 4)


def write_day(storage, symbols: list[str], day: int) -> None:
    """Day `day`'s bar of every symbol, and the forecast predict would leave after it (a band of
    3% around the close for the next three sessions)."""
    for position, symbol in enumerate(symbols):
        value = close(position, day)
        bar = pd.DataFrame(
            {"open": value, "high": value, "low": value, "close": value, "volume": 1000},
            index=pd.DatetimeIndex([DAYS[day].tz_localize("UTC")], name="time"),
        )
        prices.write_bars(storage, "stocks", symbol, "daily", bar)
        ahead = pd.DatetimeIndex(DAYS[day + 1 : day + 4].tz_localize("UTC"), name="time")
        forecast = pd.DataFrame(
            {"yhat": value, "yhat_lower": value * 0.97, "yhat_upper": value * 1.03}, index=ahead
        ).assign(symbol=symbol, interval="daily", field="close", model="naive")
        storage.delete("forecasts", "forecast", {"symbol": symbol})
        storage.write_or_create("forecasts", forecast, FORECAST)


def write_failures(storage, symbols: list[str]) -> None:
    """Two failed fetches in a row for the failing-rule symbols, and a dead letter for one."""
    for position in FAILING:
        for minute in (0, 5):
            storage.write_point(
                "stocks",
                RUNS,
                "ms",
                at=pd.Timestamp(f"2025-06-09T21:{minute:02d}:00Z"),
                function="fetch",
                status="502",
                interval="daily",
                symbol=symbols[position],
                points=0,
                seconds=0.1,
                error="The provider answered 500.",
            )
    storage.write_point(
        "stocks",
        DEAD_LETTERS,
        "ms",
        at=pd.Timestamp("2025-06-10T21:00:00Z"),
        type="io.stocksmanager.fetch.requested",
        trigger="fetch",
        event_id=str(uuid.uuid4()),
        subscriber="http://fetch/",
        code=502,
        error="bad gateway",
        data=f'{{"symbol": "{symbols[FAILING[0]]}", "interval": "daily"}}',
    )


def rules_for(position: int) -> list[dict]:
    level = base(position)
    rules = [
        {"kind": "above", "level": round(level * 1.03, 2)},
        {"kind": "below", "level": round(level * 0.95, 2)},
        {"kind": "move", "percent": 4},
        {"kind": "band"},
    ]
    if position in STALE:
        rules.append({"kind": "stale", "minutes": 90})
    if position in FAILING:
        rules.append({"kind": "failing", "failures": 2})
    return rules


def replies(symbol: str) -> list[CloudEvent]:
    """What fetch and predict reply after storing a symbol's bar and forecast (the symbol has
    alert rules: alerts' Triggers take only such replies)."""
    data = {"symbol": symbol, "bucket": "stocks", "target": "forecasts", "interval": "daily"}
    said = {"forecastdue": "yes", "alertrules": "yes"}
    return [
        CloudEvent(
            {"type": kind, "source": f"/stocks-manager/{source}", **said}, {**data, "points": 1}
        )
        for kind, source in ((FETCHED, "fetch"), (PREDICTED, "predict"))
    ]


def answered(stack, function: str, status: int) -> int:
    """How many times the function has answered `status`, from its log."""
    return (stack.data / "logs" / f"{function}.log").read_text().count(f'"status":{status}')


def during_outage(stack, part: str, send) -> None:
    """Stop influxd or the webhook receiver, `send`, wait until the function that needs the part
    has failed for it at least once, and start the part again on the same port."""
    server, function, status = {
        "influxd": (stack.influx, "alerts", 503),
        "receiver": (stack.webhook, "notifier", 502),
    }[part]
    before = answered(stack, function, status)
    server.stop()
    send()
    wait_for(lambda: answered(stack, function, status) > before, 60, f"{function} failing")
    server.start()


def run(stack, symbols: list[str], faults: bool) -> tuple[list, list]:
    """The scenario on `symbols`; the alert history and the receiver's alerts, normalised."""
    storage = storage_of(stack)
    for bucket in ("stocks", "forecasts"):
        storage.create_bucket(bucket)
    for symbol in symbols:
        Watchlist(storage, "stocks").save(Entry(symbol, model="naive"), tracked=True)
    for day in range(3):
        write_day(storage, symbols, day)
    for position, symbol in enumerate(symbols):
        for rule in rules_for(position):
            made = requests.post(
                stack.functions["alerts"].url, json={"symbol": symbol, **rule}, timeout=60
            )
            assert made.status_code == 201, made.text
    for day in STEPS:
        write_day(storage, symbols, day)
        if day == 6:
            write_failures(storage, symbols)

        def send() -> None:
            for symbol in symbols:
                for event in replies(symbol):
                    publish(stack, event)
            stack.mesh.fire_ping("alerts-check")

        part = {4: "influxd", 6: "receiver"}.get(day) if faults else None
        if part:
            during_outage(stack, part, send)
        else:
            send()
        assert stack.mesh.wait_idle(180)
    return history(storage, symbols), inbox(stack, symbols)


def history(storage, symbols: list[str]) -> list[tuple]:
    rows = storage.query("stocks", 'SELECT * FROM "alerts"', ALERTS)
    rows = rows[rows["symbol"].isin(symbols)]
    return sorted(
        (
            symbols.index(row.symbol),
            row.kind,
            str(index),
            row.value if pd.notna(row.value) else None,
            anonymous(row.message, symbols),
        )
        for index, row in zip(rows.index, rows.itertuples(), strict=True)
    )


def inbox(stack, symbols: list[str]) -> list[tuple]:
    alerts = [entry["body"]["alert"] for entry in stack.webhook.received()]
    alerts = [alert for alert in alerts if alert["symbol"] in symbols]
    return sorted(
        (symbols.index(a["symbol"]), a["kind"], a["at"], anonymous(a["message"], symbols))
        for a in alerts
    )


def anonymous(text: str, symbols: list[str]) -> str:
    return re.sub(r"DEMO\d+", lambda m: f"S{symbols.index(m.group())}", text)


def manifests_without_predict(directory: Path) -> Path:
    """knative/ without predict's Trigger: the test plays predict."""
    copy = directory / "knative"
    shutil.copytree(KNATIVE, copy)
    eventing = copy / "eventing.yaml"
    objects = [
        obj
        for obj in yaml.safe_load_all(eventing.read_text())
        if not (obj["kind"] == "Trigger" and obj["metadata"]["name"] == "predict-on-fetched")
    ]
    eventing.write_text(yaml.safe_dump_all(objects))
    return copy


@contextmanager
def stack_for(directory: Path) -> Iterator[LocalStack]:
    stack = LocalStack(
        data=directory / "stack",
        backoff_scale=0.5,
        schedule_pings=False,
        manifests=manifests_without_predict(directory),
        default_ports=False,
    )
    try:
        yield stack.start({"STOCKS_PROVIDER": "demo"})
    finally:
        stack.stop()


def test_duplicated_reordered_deliveries_and_outages_change_no_alert(tmp_path):
    with stack_for(tmp_path) as stack:
        plain_symbols = [f"DEMO{n}" for n in range(1, 21)]
        chaos_symbols = [f"DEMO{n}" for n in range(21, 41)]
        plain = run(stack, plain_symbols, faults=False)
        stack.mesh.chaos = Chaos(copies=3, reorder=0.3, seed=20)
        delivered_before = len(stack.mesh.deliveries())
        chaotic = run(stack, chaos_symbols, faults=True)
        dead = stack.mesh.dead_letter_count
        fired = [
            d
            for d in stack.mesh.deliveries()[delivered_before:]
            if d.event_type == "io.stocksmanager.alert.fired" and d.outcome == "delivered"
        ]

    plain_history, plain_inbox = plain
    history_, inbox_ = chaotic
    kinds = {row[1] for row in plain_history}
    assert kinds == {"above", "below", "move", "band", "stale", "failing"}
    assert len(plain_history) == len(plain_inbox) > 60
    assert history_ == plain_history
    assert inbox_ == plain_inbox  # every alert reached the receiver, each once
    assert dead == 0
    assert len(fired) >= 3 * len(inbox_)  # the notifier was given each alert three times or more
    print(f"{len(plain_history)} alerts; {len(fired)} alert.fired deliveries with chaos")
