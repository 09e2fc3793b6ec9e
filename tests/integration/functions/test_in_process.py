"""Every function's SPEC in process on a real influxd: the answers the contract gives them.

The process tests beside this module run each function as `python -m shared.runtime.server`;
these call the same FunctionSpecs through the Handler as parliament does (real Flask requests,
real CloudEvents), so they run in a second and mutation testing (`make mutate`) sees them.
"""

from __future__ import annotations

import base64
import dataclasses

import pandas as pd
import pytest
from cloudevents.http import CloudEvent

from functions import buckets, deadletters, fetch, ui, watchlist
from shared.contract.config import ProviderSettings, Settings
from shared.contract.events import FETCH_REQUESTED, FETCHED, PING, TICK_COMPLETED
from shared.contract.schema import DEAD_LETTERS, PRICES, RUNS
from shared.market.providers.demo import DemoProvider
from shared.runtime.services import Services
from shared.ui.assets import DEMO_LABEL, PAGE, asset
from tests.support.inprocess import call
from tests.support.receiver import EventReceiver


@pytest.fixture
def services(settings: Settings) -> Services:
    return Services(settings)


def event(event_type: str, data: dict, **attributes) -> CloudEvent:
    base = {"type": event_type, "source": "/tests", "datacontenttype": "application/json"}
    return CloudEvent({**base, **attributes}, data)


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_stores_the_demo_bars_and_records_the_run(services, storage, bucket):
    answer = call(fetch.SPEC, services, query={"symbol": "ibm", "bucket": bucket})
    assert answer.status == 200, answer.body
    body = answer.json()
    bars = DemoProvider().bars("IBM", "daily")
    assert body == {
        "symbol": "IBM",
        "bucket": bucket,
        "interval": "daily",
        "points": len(bars),
        "first": bars.index.min().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last": bars.index.max().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provider": "demo",
        "bucket_created": False,
        "dropped": 0,
        "dropped_examples": [],
        "exchange": "XNYS",
        "actions": 0,
    }
    runs = storage.query(bucket, 'SELECT * FROM "runs"', RUNS)
    assert runs["function"].tolist() == ["fetch"] and runs["status"].tolist() == ["ok"]
    assert runs["symbol"].tolist() == ["IBM"] and runs["points"].tolist() == [len(bars)]


def test_fetch_into_a_new_bucket_says_it_created_it(services, bucket):
    answer = call(fetch.SPEC, services, query={"symbol": "IBM", "bucket": f"{bucket}_new"})
    assert answer.status == 200 and answer.json()["bucket_created"] is True


def test_fetch_replies_to_an_event_with_a_fetched_event(services, bucket):
    asked = event(FETCH_REQUESTED, {"symbol": "MSFT", "bucket": bucket}, id="req-1")
    answer = call(fetch.SPEC, services, event=asked)
    assert answer.status == 200
    reply = answer.event()
    assert reply["type"] == FETCHED and reply["subject"] == "MSFT"
    assert reply.data["symbol"] == "MSFT" and reply.data["points"] > 0


def test_fetch_refuses_a_bad_symbol_and_records_no_run(services, storage, bucket):
    answer = call(fetch.SPEC, services, query={"symbol": "A B", "bucket": bucket})
    assert answer.status == 400 and answer.json()["error"].startswith("The symbol ")
    assert storage.query(bucket, 'SELECT * FROM "runs"', RUNS).empty


def test_the_demo_refuses_a_symbol_outside_its_universe_naming_some_it_knows(
    services, storage, bucket
):
    answer = call(fetch.SPEC, services, query={"symbol": "ZZZZQ", "bucket": bucket})
    assert answer.status == 422
    assert "no symbol 'ZZZZQ'" in answer.json()["error"] and "IBM" in answer.json()["error"]
    assert storage.query(bucket, 'SELECT * FROM "prices"', PRICES).empty


def test_a_failed_fetch_records_its_status_and_error(services, storage, bucket):
    query = {"symbol": "IBM", "bucket": bucket, "interval": "5min", "month": "2005-01"}
    answer = call(fetch.SPEC, services, query=query)
    assert answer.status == 422  # the demo's history starts in 2016
    [run] = storage.query(bucket, 'SELECT * FROM "runs"', RUNS).itertuples()
    assert (run.function, run.status, run.symbol, run.points) == ("fetch", "422", "IBM", 0)
    assert run.error == answer.json()["error"] and "5min" in run.error


def test_fetch_records_the_rows_it_dropped_as_its_runs_warning(
    settings, tiingo, tiingo_settings, storage, bucket
):
    # One impossible row among good ones: dropped, counted, and named in the run's `warning`
    # (the pipeline panel reads it there; the process test in reliability/ pins the same).
    header = "date,close,high,low,open,volume,divCash,splitFactor"
    rows = [f"2024-06-0{day},100,101,99,100,1000000,0.0,1.0" for day in (3, 4, 5, 6)]
    rows[2] = "2024-06-05,-5,-9,3,100,-7,0.0,1.0"
    tiingo.route("nvda", ("\n".join([header, *rows]) + "\n").encode())
    services = Services(dataclasses.replace(settings, provider=tiingo_settings))
    answer = call(fetch.SPEC, services, query={"symbol": "NVDA", "bucket": bucket})
    assert answer.status == 200, answer.body
    assert (answer.json()["points"], answer.json()["dropped"]) == (3, 1)
    runs = storage.query(bucket, 'SELECT * FROM "runs"', RUNS)
    [run] = runs[runs["function"] == "fetch"].itertuples()
    assert (run.status, run.symbol, run.points, run.dropped) == ("ok", "NVDA", 3, 1)
    assert isinstance(run.warning, str), "the run recorded no warning"
    assert run.warning.startswith("Dropped 1 impossible provider rows")
    assert "2024-06-05" in run.warning and "negative" in run.warning


# -- buckets --------------------------------------------------------------------------------


def test_buckets_creates_then_finds_a_bucket(services, bucket):
    name = f"{bucket}_b"
    first = call(buckets.SPEC, services, method="POST", json_body={"name": name})
    again = call(buckets.SPEC, services, method="POST", json_body={"name": name})
    assert (first.status, first.json()) == (201, {"name": name, "created": True})
    assert (again.status, again.json()) == (200, {"name": name, "created": False})
    listing = call(buckets.SPEC, services).json()["buckets"]
    assert {"name": name, "symbols": [], "newest": None} in listing


def test_buckets_lists_symbols_and_the_newest_point(services, bucket):
    call(fetch.SPEC, services, query={"symbol": "IBM", "bucket": bucket})
    listing = {b["name"]: b for b in call(buckets.SPEC, services).json()["buckets"]}
    newest = DemoProvider().bars("IBM", "daily").index.max()
    assert listing[bucket]["symbols"] == ["IBM"]
    assert listing[bucket]["newest"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_buckets_refuses_a_reserved_name(services):
    answer = call(buckets.SPEC, services, method="POST", json_body={"name": "_internal"})
    assert answer.status == 400 and answer.json()["error"].startswith("The name ")


# -- deadletters ----------------------------------------------------------------------------


def test_deadletters_records_a_dead_lettered_event(services, storage, bucket):
    letter = event(
        FETCH_REQUESTED,
        {"symbol": "IBM"},
        id="dead-1",
        knativeerrordest="http://fetch.default.svc.cluster.local/",
        knativeerrorcode="429",
        knativeerrordata=base64.b64encode(b'{"error": "slow down"}').decode(),
    )
    answer = call(deadletters.SPEC, services, event=letter)
    assert answer.status == 200 and answer.body == b""
    [row] = storage.query(bucket, 'SELECT * FROM "dead_letters"', DEAD_LETTERS).itertuples()
    assert (row.type, row.trigger, row.event_id, row.code) == (
        FETCH_REQUESTED,
        "fetch",
        "dead-1",
        429,
    )
    assert row.subscriber == "http://fetch.default.svc.cluster.local/"
    assert "slow down" in row.error and '"IBM"' in row.data


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("GET", "The deadletters function does not answer GET."),
        ("POST", "The deadletters function takes dead-lettered CloudEvents only."),
    ],
)
def test_deadletters_takes_cloudevents_only(services, method, error):
    answer = call(deadletters.SPEC, services, method=method)
    assert (answer.status, answer.json()) == (400, {"error": error})


# -- watchlist ------------------------------------------------------------------------------


def test_watchlist_tracks_lists_and_untracks(services, bucket):
    tracked = call(watchlist.SPEC, services, method="POST", json_body={"symbol": "ibm"})
    assert tracked.status == 200, tracked.body
    entry = {
        "symbol": "IBM",
        "interval": "daily",
        "bucket": "stocks",
        "model": "auto",
        "exchange": "XNYS",
    }
    assert tracked.json()["watchlist"] == [entry]
    assert call(watchlist.SPEC, services).json() == {"watchlist": [entry]}
    untracked = call(
        watchlist.SPEC, services, method="POST", json_body={"symbol": "IBM", "tracked": False}
    )
    assert untracked.status == 200 and untracked.json()["watchlist"] == []
    again = call(
        watchlist.SPEC, services, method="POST", json_body={"symbol": "IBM", "tracked": "false"}
    )
    assert again.status == 422 and "IBM" in again.json()["error"]


def test_tracking_a_symbol_the_demo_does_not_know_is_refused_and_tracks_nothing(services):
    refused = call(watchlist.SPEC, services, method="POST", json_body={"symbol": "ZZZZQ"})
    assert refused.status == 422 and "DEMO1 to DEMO999" in refused.json()["error"]
    assert call(watchlist.SPEC, services).json() == {"watchlist": []}


def test_a_tick_requests_each_tracked_stock_and_replies_with_the_plan(settings, bucket):
    tracking = Services(Settings(influx=settings.influx, meta_bucket=bucket))  # no sink: no fetch
    for symbol in ("IBM", "MSFT"):
        call(watchlist.SPEC, tracking, method="POST", json_body={"symbol": symbol})
    with EventReceiver() as sink:
        services = Services(Settings(influx=settings.influx, meta_bucket=bucket, k_sink=sink.url))
        tick = event(PING, {}, id="tick-1", time="2026-11-27T21:30:00Z")
        answer = call(watchlist.SPEC, services, event=tick)
        requested = sink.wait_for(2)
    assert answer.status == 200
    reply = answer.event()
    assert reply["type"] == TICK_COMPLETED
    assert sorted(reply.data["requested"]) == ["IBM", "MSFT"] and reply.data["deferred"] == []
    assert reply.data["tick"] == "2026-11-27T21:30:00Z"
    assert sorted(e.data["symbol"] for e in requested) == ["IBM", "MSFT"]
    assert sorted(e["id"] for e in requested) == sorted(reply.data["event_ids"])


def test_a_tick_without_a_sink_is_a_retryable_503(services):
    answer = call(watchlist.SPEC, services, event=event(PING, {}, id="tick-2"))
    assert answer.status == 503
    assert answer.json()["error"] == (
        "K_SINK is not set: the SinkBinding that gives watchlist its sink is missing."
    )


def test_runs_are_stamped_now(services, storage, bucket):
    before = pd.Timestamp.now(tz="UTC").floor("s")
    call(fetch.SPEC, services, query={"symbol": "IBM", "bucket": bucket})
    [stamp] = storage.query(bucket, 'SELECT * FROM "runs"', RUNS).index
    assert before <= stamp <= pd.Timestamp.now(tz="UTC")


# -- ui -------------------------------------------------------------------------------------


def test_ui_serves_the_page_and_its_files_with_their_types(services):
    page = call(ui.SPEC, services)
    assert page.status == 200 and page.content_type == "text/html; charset=utf-8"
    assert page.body == asset(PAGE)[0].replace(
        DEMO_LABEL, b'<p id="demo-label" class="demo-label">'
    )
    for name, kind in [("js/main.js", "text/javascript"), ("style.css", "text/css")]:
        answer = call(ui.SPEC, services, query={"asset": name})
        assert answer.status == 200 and answer.content_type == f"{kind}; charset=utf-8"
        assert answer.body == asset(name)[0]


def test_ui_serves_the_page_with_the_demo_label_hidden_for_a_real_provider(settings):
    real = ProviderSettings("tiingo", tiingo_api_key="k")
    page = call(ui.SPEC, Services(dataclasses.replace(settings, provider=real)))
    assert page.status == 200 and page.body == asset(PAGE)[0]
    assert DEMO_LABEL in page.body  # shown by the first view's answer only if it says "demo"


@pytest.mark.parametrize(
    "query", [{"asset": "js/nope.js"}, {"asset": "../func.py"}, {"asset": "style.css", "x": "1"}]
)
def test_ui_refuses_a_file_it_does_not_serve(services, query):
    answer = call(ui.SPEC, services, query=query)
    assert answer.status == 400 and "text/html" not in answer.content_type


def test_ui_views_are_json_and_a_post_is_a_change(services):
    view = call(ui.SPEC, services, query={"view": "watchlist"})
    assert view.status == 200 and view.json()["watchlist"] == []
    tracked = call(ui.SPEC, services, method="POST", json_body={"action": "track", "symbol": "KO"})
    assert tracked.status == 200 and tracked.json()["entry"]["symbol"] == "KO", tracked.body
    (row,) = call(ui.SPEC, services, query={"view": "watchlist"}).json()["watchlist"]
    assert row["symbol"] == "KO"


def test_ui_names_the_field_a_file_request_does_not_take(services):
    answer = call(ui.SPEC, services, query={"asset": "style.css", "view": "watchlist"})
    assert answer.status == 400
    assert answer.json()["error"] == (
        "The field 'view' is not one a request for a page file takes (it takes: asset)."
    )
