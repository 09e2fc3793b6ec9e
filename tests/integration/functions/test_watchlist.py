"""watchlist against a real influxd and a local HTTP receiver standing in for K_SINK."""

from __future__ import annotations

import json

import requests
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from shared.contract.events import FETCH_REQUESTED, PING, TICK_COMPLETED
from shared.contract.schema import RUNS
from shared.store import ledger
from tests.support.receiver import EventReceiver


def ping(event_id: str = "tick-1", time: str = "2026-11-27T21:30:00Z") -> CloudEvent:
    return CloudEvent(
        {
            "type": PING,
            "source": "/apis/v1/namespaces/default/pingsources/daily",
            "id": event_id,
            "time": time,
            "datacontenttype": "application/json",
        },
        {"reason": "test"},
    )


def post_event(url: str, event: CloudEvent, structured: bool = False) -> requests.Response:
    headers, body = to_structured(event) if structured else to_binary(event)
    return requests.post(url, data=body, headers=headers, timeout=30)


def alphavantage_budget(requests_a_day: int) -> dict[str, str]:
    """Alpha Vantage's settings with a daily budget (the budget is all these tests use of it)."""
    return {
        "STOCKS_PROVIDER": "alphavantage",
        "ALPHAVANTAGE_API_KEY": "test-key",
        "ALPHAVANTAGE_DAILY_LIMIT": str(requests_a_day),
    }


def track(url: str, symbol: str, **fields) -> requests.Response:
    return requests.post(url, json={"symbol": symbol, **fields}, timeout=30)


def test_track_list_and_untrack_idempotently(serve, storage, bucket):
    watchlist = serve("watchlist")
    assert requests.get(watchlist.url, timeout=30).json() == {"watchlist": []}
    first = track(watchlist.url, "msft", interval="5min", bucket="intraday")
    assert first.status_code == 200
    assert first.json()["changed"] is True
    assert first.json()["watchlist"] == [
        {
            "symbol": "MSFT",
            "interval": "5min",
            "bucket": "intraday",
            "model": "auto",
            "exchange": "XNAS",  # a known listing's
        }
    ]
    track(watchlist.url, "AAPL")
    points_before = len(storage.query(bucket, 'SELECT * FROM "watchlist"'))
    again = track(watchlist.url, "AAPL")
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert again.json()["message"] == "AAPL (daily) is already tracked so; nothing changed."
    assert len(storage.query(bucket, 'SELECT * FROM "watchlist"')) == points_before
    listed = requests.get(watchlist.url, timeout=30).json()["watchlist"]
    assert [e["symbol"] for e in listed] == ["AAPL", "MSFT"]
    assert listed[0] == {
        "symbol": "AAPL",
        "interval": "daily",
        "bucket": "stocks",
        "model": "auto",
        "exchange": "XNAS",
    }

    untracked = track(watchlist.url, "MSFT", interval="5min", tracked=False)
    assert untracked.status_code == 200
    assert untracked.json()["changed"] is True
    assert [e["symbol"] for e in untracked.json()["watchlist"]] == ["AAPL"]
    unknown = track(watchlist.url, "MSFT", interval="5min", tracked=False)
    assert unknown.status_code == 422
    assert "not on the watchlist" in unknown.json()["error"]


def test_entries_are_keyed_by_symbol_and_interval(serve):
    watchlist = serve("watchlist")
    track(watchlist.url, "IBM", interval="5min")
    daily = track(watchlist.url, "IBM", model="naive")
    assert daily.json()["changed"] is True
    assert [(e["interval"], e["model"]) for e in daily.json()["watchlist"]] == [
        ("5min", "auto"),
        ("daily", "naive"),
    ]
    remodelled = track(watchlist.url, "IBM", model="drift")  # same key, new model: a change
    assert remodelled.json()["changed"] is True
    assert remodelled.json()["message"].startswith("Updated IBM (daily)")
    assert len(remodelled.json()["watchlist"]) == 2

    wrong_interval = track(watchlist.url, "IBM", interval="60min", tracked=False)
    assert wrong_interval.status_code == 422
    assert wrong_interval.json()["error"] == (
        "IBM (60min) is not on the watchlist (tracked: IBM (5min), IBM (daily))."
    )
    track(watchlist.url, "IBM", tracked=False)  # daily, the default interval
    listed = requests.get(watchlist.url, timeout=30).json()["watchlist"]
    assert [(e["symbol"], e["interval"]) for e in listed] == [("IBM", "5min")]


def test_tracking_asks_fetch_at_once_with_the_entrys_model(serve):
    with EventReceiver() as sink:
        watchlist = serve("watchlist", K_SINK=sink.url)
        answer = track(watchlist.url, "IBM", interval="5min", model="naive").json()
        (event,) = sink.wait_for(1)
        assert event["type"] == FETCH_REQUESTED
        assert event["source"] == "/stocks-manager/watchlist"
        assert event.data == {
            "symbol": "IBM",
            "interval": "5min",
            "bucket": "stocks",
            "model": "naive",
            "exchange": "XNYS",
            "forecast": True,
        }
        assert answer["fetch"] == {"requested": True, "event_id": event["id"]}
        assert answer["message"] == "Now tracking IBM (5min); fetching it now."
        track(watchlist.url, "IBM", interval="5min", model="naive")  # no change: no request
        track(watchlist.url, "IBM", interval="5min", tracked=False)  # untracking: none either
        assert len(sink.wait_for(1)) == len(sink.events) == 1


def test_tracking_without_a_sink_or_budget_defers_the_fetch_to_the_next_tick(
    serve, storage, bucket
):
    import pandas as pd

    no_sink = track(serve("watchlist").url, "IBM").json()
    assert no_sink["changed"] is True
    assert no_sink["fetch"]["requested"] is False
    assert "K_SINK" in no_sink["fetch"]["reason"]

    spent = ledger.Entry(pd.Timestamp.now(tz="UTC"), "alphavantage", "IBM", "daily", "today")
    ledger.write(storage, bucket, spent, ledger.SPENT, 200)  # the day's one request
    with EventReceiver() as sink:
        watchlist = serve("watchlist", K_SINK=sink.url, **alphavantage_budget(1))
        answer = track(watchlist.url, "AAPL").json()
        assert answer["changed"] is True
        assert answer["fetch"]["requested"] is False
        assert "budget" in answer["fetch"]["reason"]
        assert answer["fetch"]["reason"].endswith("the next tick fetches it.")
        assert sink.events == []


def test_bad_input_is_400_and_writes_nothing(serve, storage, bucket):
    watchlist = serve("watchlist")
    for body in (
        {"symbol": "A' OR '1'='1"},
        {},
        {"symbol": "AAPL", "interval": "2min"},
        {"symbol": "AAPL", "bucket": "x y"},
        {"symbol": "AAPL", "tracked": "maybe"},
        {"symbol": "AAPL", "model": "arima"},
    ):
        response = requests.post(watchlist.url, json=body, timeout=30)
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]
    assert storage.query(bucket, 'SELECT * FROM "watchlist"').empty


def test_tick_fans_out_one_event_per_tracked_symbol_with_stable_ids(serve):
    tracking = serve("watchlist")  # no sink: tracking asks for no fetch, so the sink sees the tick
    for symbol in ("IBM", "AAPL", "MSFT"):
        track(tracking.url, symbol)
    with EventReceiver() as sink:
        watchlist = serve("watchlist", K_SINK=sink.url)
        reply = post_event(watchlist.url, ping())
        assert reply.status_code == 200
        assert reply.headers["ce-type"] == TICK_COMPLETED
        assert reply.headers["Content-Type"] == "application/json"
        summary = json.loads(reply.content)
        assert sorted(summary["requested"]) == ["AAPL", "IBM", "MSFT"]
        assert summary["deferred"] == []
        events = sink.wait_for(3)
        assert all(e["type"] == FETCH_REQUESTED for e in events)
        assert all(e["datacontenttype"] == "application/json" for e in events)
        assert sorted(e.data["symbol"] for e in events) == ["AAPL", "IBM", "MSFT"]
        assert {e.data["interval"] for e in events} == {"daily"}
        first_ids = sorted(e["id"] for e in events)
        assert len(set(first_ids)) == 3

        # a redelivery, or another tick minutes later, finds those requests on their way and asks
        # for nothing again (issue 18 item 9)
        redelivered = post_event(watchlist.url, ping(event_id="tick-1"), structured=True)
        again = json.loads(redelivered.content)
        assert again["requested"] == [] and sorted(again["in_flight"]) == ["AAPL", "IBM", "MSFT"]
        later = json.loads(post_event(watchlist.url, ping(event_id="tick-2")).content)
        assert later["requested"] == [] and len(sink.events) == 3


def test_budget_defers_the_oldest_refreshed_last(serve, storage, bucket):
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC")
    runs = pd.DataFrame(
        {
            "function": "fetch",
            "status": "ok",
            "interval": "daily",
            "symbol": ["AAPL", "MSFT"],
            "points": 1,
            "seconds": 0.1,
            "error": "",
        },
        index=pd.DatetimeIndex([now - pd.Timedelta("3D"), now - pd.Timedelta("2h")], name="time"),
    )
    storage.write(bucket, runs, RUNS, precision="ms")
    for symbol, time in zip(runs["symbol"], runs.index, strict=True):  # their requests
        ledger.write(
            storage, bucket, ledger.Entry(time, "alphavantage", symbol, "daily", symbol), "spent"
        )
    tracking = serve("watchlist")  # no sink: tracking asks for no fetch, so the sink sees the tick
    for symbol in ("AAPL", "IBM", "MSFT", "TSLA"):
        track(tracking.url, symbol)
    with EventReceiver() as sink:
        watchlist = serve("watchlist", K_SINK=sink.url, **alphavantage_budget(3))
        summary = json.loads(post_event(watchlist.url, ping()).content)
        # one fetch ran today (MSFT, 2 h ago): 2 of 3 left; never-refreshed first, then oldest
        assert summary["spent_today"] == (
            1 if (now - pd.Timedelta("2h")).date() == now.date() else 0
        )
        expected = ["IBM", "TSLA", "AAPL", "MSFT"][: 3 - summary["spent_today"]]
        assert summary["requested"] == expected
        assert sorted(summary["deferred"]) == sorted(
            set(["AAPL", "IBM", "MSFT", "TSLA"]) - set(expected)
        )
        assert sorted(e.data["symbol"] for e in sink.wait_for(len(expected))) == sorted(expected)


def test_tick_without_k_sink_is_503_saying_the_sinkbinding_is_missing(serve):
    watchlist = serve("watchlist")
    response = post_event(watchlist.url, ping())
    assert response.status_code == 503
    assert "SinkBinding" in response.json()["error"]


def test_other_event_types_are_refused_with_400(serve):
    watchlist = serve("watchlist")
    event = CloudEvent(
        {"type": "com.example.other", "source": "/x", "datacontenttype": "application/json"}, {}
    )
    response = post_event(watchlist.url, event)
    assert response.status_code == 400
    assert "does not take events" in response.json()["error"]


def test_no_state_survives_in_the_process_between_calls(serve, storage, bucket, influx_server):
    first = serve("watchlist")
    track(first.url, "AAPL")
    second = serve("watchlist")  # a fresh process sees what the first stored
    assert [e["symbol"] for e in requests.get(second.url, timeout=30).json()["watchlist"]] == [
        "AAPL"
    ]
    storage.execute(None, f'DROP DATABASE "{bucket}"')  # state removed underneath the first process
    assert requests.get(first.url, timeout=30).json() == {"watchlist": []}
