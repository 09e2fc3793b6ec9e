"""The tick's fan-out in process: one fetch request per requested stock, to a real HTTP sink."""

from __future__ import annotations

import socket

import pytest
import requests

from shared.contract.errors import SinkFailed
from shared.contract.events import FETCH_REQUESTED, new_event, send, stable_id
from shared.market.budget import Limits
from shared.store.watchlist import Entry
from shared.usecases.tick import TickPlan, fan_out
from tests.support.receiver import EventReceiver

TICK = "2026-11-27T21:30:00Z"
PLAN = TickPlan(
    requested=[Entry("IBM"), Entry("AAPL", "5min", "intraday")],
    deferred=[Entry("MSFT")],
    limits=Limits(per_day=25),
    spent_today=23,
    in_flight=[Entry("GE")],
    current=[Entry("KO")],
)


def test_one_fetch_request_per_requested_stock():
    with EventReceiver() as sink:
        ids = fan_out(requests.Session(), sink.url, PLAN, TICK)
        events = sink.wait_for(2)
    assert [e["type"] for e in events] == [FETCH_REQUESTED, FETCH_REQUESTED]
    assert [e["subject"] for e in events] == ["IBM", "AAPL"]
    assert [e["source"] for e in events] == ["/stocks-manager/watchlist"] * 2
    assert [e.data for e in events] == [entry.as_dict() for entry in PLAN.requested]
    assert events[1].data["interval"] == "5min" and events[1].data["bucket"] == "intraday"
    assert ids == [e["id"] for e in events]


def test_ids_are_stable_per_tick_so_a_redelivered_tick_repeats_them():
    with EventReceiver() as sink:
        first = fan_out(requests.Session(), sink.url, PLAN, TICK)
        again = fan_out(requests.Session(), sink.url, PLAN, TICK)
        later = fan_out(requests.Session(), sink.url, PLAN, "2026-11-28T21:30:00Z")
        sink.wait_for(6)
    assert first == again and set(first).isdisjoint(later) and len(set(first)) == 2
    assert first[0] == stable_id(FETCH_REQUESTED, "IBM", "daily", TICK)


def test_nothing_requested_sends_nothing():
    with EventReceiver() as sink:
        assert fan_out(requests.Session(), sink.url, TickPlan([], [Entry("X")], 0, 0), TICK) == []
    assert sink.events == []


@pytest.mark.parametrize("status", [300, 400, 500, 503])
def test_a_sink_refusing_fails_the_tick_for_a_retry(status):
    with EventReceiver(status=status) as sink, pytest.raises(SinkFailed) as error:
        fan_out(requests.Session(), sink.url, PLAN, TICK)
    assert error.value.status == 503 and str(status) in error.value.message


def test_an_unreachable_sink_fails_the_tick_for_a_retry():
    with pytest.raises(SinkFailed) as error:
        fan_out(requests.Session(), "http://127.0.0.1:9/", PLAN, TICK)
    assert "unreachable" in error.value.message


def test_the_summary_says_what_was_requested_deferred_in_flight_and_current():
    assert PLAN.summary(TICK, ["id-1", "id-2"]) == {
        "tick": TICK,
        "requested": ["IBM", "AAPL"],
        "deferred": ["MSFT"],
        "in_flight": ["GE"],
        "current": ["KO"],
        "event_ids": ["id-1", "id-2"],
        "daily_limit": 25,
        "hourly_limit": None,
        "symbols_per_month": None,
        "spent_today": 23,
    }


def test_a_sink_that_never_answers_fails_the_tick_in_time():
    """A sink that takes the connection and says nothing: send gives up after its timeout."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        sink = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        event = new_event(FETCH_REQUESTED, "watchlist", {"symbol": "IBM"})
        with pytest.raises(SinkFailed) as error:
            send(requests.Session(), sink, event, timeout=0.3)
    assert "unreachable" in error.value.message


def test_send_posts_the_event_in_binary_mode():
    with EventReceiver() as sink:
        send(requests.Session(), sink.url, new_event(FETCH_REQUESTED, "watchlist", {"a": 1}))
        [got] = sink.wait_for(1)
    assert got["type"] == FETCH_REQUESTED and got["source"] == "/stocks-manager/watchlist"
    assert got.data == {"a": 1} and got["datacontenttype"] == "application/json"
