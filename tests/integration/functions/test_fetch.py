"""fetch against a real influxd, served as a real process, with the offline demo provider.

The cases that read only the bars of their own bucket share one fetch (`serve_once`: its meta
bucket, where its runs and names go, is the module's); those that read runs or the reply's
alert rules, which the meta bucket holds, have a fetch of their own."""

from __future__ import annotations

import json
from dataclasses import replace

import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.functions import FunctionProcess
from shared.alerting.rules import Rule
from shared.contract.events import FETCH_REQUESTED, FETCHED
from shared.contract.schema import PRICES, RUNS
from shared.store import alert_rules
from tests.support.stack import wait_for


def stored(storage, bucket: str, symbol: str = "AAPL"):
    return storage.query(bucket, f'SELECT * FROM "prices" WHERE "symbol" = \'{symbol}\'', PRICES)


def test_fetch_stores_bars_and_is_idempotent(serve_once, storage, bucket):
    fetch = serve_once("fetch")
    first = requests.post(fetch.url, json={"symbol": "aapl", "bucket": bucket}, timeout=60)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["symbol"] == "AAPL" and body["bucket"] == bucket and body["provider"] == "demo"
    assert body["interval"] == "daily" and body["points"] > 500
    bars = stored(storage, bucket)
    assert len(bars) == body["points"]
    assert bars.index.min().strftime("%Y-%m-%dT%H:%M:%SZ") == body["first"]
    assert bars.index.max().strftime("%Y-%m-%dT%H:%M:%SZ") == body["last"]
    assert (bars.index.hour == 0).all() and (bars.index.day_of_week < 5).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()

    second = requests.get(fetch.url, params={"symbol": "AAPL", "bucket": bucket}, timeout=60)
    assert second.status_code == 200
    assert second.json()["points"] == 0  # incremental: nothing new since the first call
    again = stored(storage, bucket)
    assert again.equals(bars)


def test_incremental_fetch_asks_only_for_what_is_missing(serve_once, storage, bucket):
    fetch = serve_once("fetch")
    full = requests.post(fetch.url, json={"symbol": "MSFT", "bucket": bucket}, timeout=60).json()
    cut = stored(storage, bucket, "MSFT").index[-5]
    storage.execute(bucket, f"DELETE FROM \"prices\" WHERE time >= '{cut.isoformat()}'")
    refill = requests.post(fetch.url, json={"symbol": "MSFT", "bucket": bucket}, timeout=60).json()
    assert refill["points"] == 5
    assert refill["first"] == cut.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(stored(storage, bucket, "MSFT")) == full["points"]


def test_fetch_creates_a_missing_bucket_and_says_so(serve_once, storage, bucket):
    fetch = serve_once("fetch")
    target = bucket + "_new"
    body = requests.post(fetch.url, json={"symbol": "IBM", "bucket": target}, timeout=60).json()
    assert body["bucket_created"] is True
    assert target in storage.list_buckets()


def test_intraday_bars_are_market_hours_in_utc(serve_once, storage, bucket):
    fetch = serve_once("fetch")
    body = requests.post(
        fetch.url,
        json={"symbol": "IBM", "bucket": bucket, "interval": "5min", "month": "2026-03"},
        timeout=60,
    ).json()
    bars = storage.query(bucket, 'SELECT * FROM "prices" WHERE "interval" = \'5min\'', PRICES)
    assert len(bars) == body["points"] > 0
    local = bars.index.tz_convert("America/New_York")
    minutes = local.hour * 60 + local.minute
    assert ((minutes >= 9 * 60 + 30) & (minutes < 16 * 60)).all()
    assert (local.month == 3).all() and (local.day_of_week < 5).all()


def test_bad_input_is_400_writes_nothing_and_records_no_run(serve, storage, bucket):
    fetch = serve("fetch")
    for body in (
        {},
        {"symbol": ""},
        {"symbol": "A' OR '1'='1"},
        {"symbol": "AAPL", "interval": "2h"},
        {"symbol": "AAPL", "bucket": 'x"; DROP DATABASE y'},
        {"symbol": "AAPL", "month": "2026-13"},
        {"symbol": "AAPL", "month": "2026-01"},
        {"symbol": ["AAPL"]},
    ):
        response = requests.post(fetch.url, json={"bucket": bucket, **body}, timeout=60)
        assert response.status_code == 400, body
        assert response.json()["error"], body
    assert stored(storage, bucket).empty
    assert storage.query(bucket, 'SELECT * FROM "runs"').empty


def test_each_run_is_recorded(serve, storage, bucket):
    fetch = serve("fetch")
    requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    wait_for(  # runs points are written within a second, several calls' in one request
        lambda: len(storage.query(bucket, 'SELECT * FROM "runs"', RUNS)) == 1, 30, "the run"
    )
    runs = storage.query(bucket, 'SELECT * FROM "runs"', RUNS)
    assert runs[["function", "status", "symbol"]].values.tolist() == [["fetch", "ok", "IBM"]]
    assert runs["points"].iloc[0] > 0 and runs["seconds"].iloc[0] > 0


def test_event_round_trip_replies_with_a_fetched_cloudevent(serve, storage, bucket):
    fetch = serve("fetch")
    event = CloudEvent(
        {
            "type": FETCH_REQUESTED,
            "source": "/test",
            "id": "req-1",
            "datacontenttype": "application/json",
        },
        {"symbol": "TSLA", "bucket": bucket, "interval": "daily"},
    )
    headers, data = to_binary(event)
    reply = requests.post(fetch.url, data=data, headers=headers, timeout=60)
    assert reply.status_code == 200
    assert reply.headers["ce-type"] == FETCHED
    assert reply.headers["ce-source"] == "/stocks-manager/fetch"
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["ce-id"] != "req-1"
    body = json.loads(reply.content)
    assert body["symbol"] == "TSLA" and body["points"] == len(stored(storage, bucket, "TSLA"))


def test_the_reply_says_forecastdue_when_bars_came_or_a_forecast_was_asked_for(
    serve, storage, bucket
):
    """predict's Trigger takes fetched events with forecastdue=yes only (knative/eventing.yaml)."""
    fetch = serve("fetch")

    def reply(**extra: object) -> requests.Response:
        event = CloudEvent(
            {"type": FETCH_REQUESTED, "source": "/test", "datacontenttype": "application/json"},
            {"symbol": "KO", "bucket": bucket, **extra},
        )
        headers, data = to_binary(event)
        answer = requests.post(fetch.url, data=data, headers=headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer

    first = reply()
    assert json.loads(first.content)["points"] > 0 and first.headers["ce-forecastdue"] == "yes"
    assert reply().headers["ce-forecastdue"] == "no"  # nothing new
    assert reply(forecast=True).headers["ce-forecastdue"] == "yes"  # tracking, refreshing


def test_the_reply_says_whether_the_symbol_has_alert_rules_read_with_the_bars(
    serve, storage, bucket
):
    """alerts' Triggers take fetched and predicted events with alertrules=yes only: fetch reads
    the symbol's rules in the read it makes anyway, and says yes when it cannot tell (the meta
    bucket missing). tests/integration/store/test_fetch_requests.py counts the requests."""

    def reply(fetch: FunctionProcess) -> str:
        event = CloudEvent(
            {"type": FETCH_REQUESTED, "source": "/test", "datacontenttype": "application/json"},
            {"symbol": "KO", "bucket": bucket},
        )
        headers, data = to_binary(event)
        answer = requests.post(fetch.url, data=data, headers=headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.headers["ce-alertrules"]

    assert reply(serve("fetch", STOCKS_META_BUCKET=f"{bucket}_meta")) == "yes"  # not told
    fetch = serve("fetch")  # its meta bucket is `bucket`
    assert reply(fetch) == "no"
    rule = Rule(rule="r1", symbol="KO", interval="daily", kind="above", threshold=1e6)
    alert_rules.save(storage, bucket, rule)
    alert_rules.save(storage, bucket, replace(rule, rule="r2", symbol="KOF"))
    assert reply(fetch) == "yes"
    alert_rules.save(storage, bucket, replace(rule, active=False))  # deleted
    assert reply(fetch) == "no"


def test_influxdb_down_is_503_and_retryable(serve, bucket):
    fetch = serve("fetch", INFLUX_URL="http://127.0.0.1:9")
    response = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    assert response.status_code == 503
    assert "Traceback" not in response.text


def test_fetch_does_not_import_prophet(repo_root):
    import subprocess
    import sys

    code = "import func, sys; print('prophet' in sys.modules, 'cmdstanpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env={"STOCKS_FUNCTION": "fetch", "PATH": ""},
        check=True,
    )
    assert out.stdout.split() == ["False", "False"]
