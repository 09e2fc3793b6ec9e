"""Typed event data: fetch's request and its reply, as fields in and as event data out."""

from __future__ import annotations

import pytest

from shared.contract.errors import BadInput
from shared.contract.payloads import Fetched, FetchRequest

REPLY = {
    "symbol": "IBM",
    "bucket": "stocks",
    "interval": "5min",
    "points": 12,
    "first": "2026-11-25T14:30:00Z",
    "last": "2026-11-25T15:25:00Z",
    "provider": "demo",
    "bucket_created": True,
    "dropped": 1,
    "dropped_examples": ["2200-01-02: bar dated after 2026-11-26"],
    "actions": 0,
}


def test_a_fetch_request_with_defaults():
    assert FetchRequest.from_fields({"symbol": "ibm"}) == FetchRequest("IBM", "daily", "stocks")


def test_a_fetch_request_with_every_field():
    request = FetchRequest.from_fields(
        {"symbol": "aapl", "interval": "5min", "bucket": "mine", "month": "2024-02"}
    )
    assert request == FetchRequest("AAPL", "5min", "mine", "2024-02")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "'symbol'"),
        ({"symbol": "IBM", "interval": "2min"}, "interval"),
        ({"symbol": "IBM", "bucket": "_x"}, "bucket"),
        ({"symbol": "IBM", "month": "2024-02"}, "month"),  # daily bars have no month
    ],
)
def test_a_bad_fetch_request_names_its_field(fields, named):
    with pytest.raises(BadInput) as error:
        FetchRequest.from_fields(fields)
    assert named in error.value.message


def test_fetched_round_trips_as_event_data():
    fetched = Fetched.from_fields(dict(REPLY))
    assert fetched.as_data() == REPLY
    assert Fetched.from_fields(fetched.as_data()) == fetched


def test_fetched_defaults_for_what_an_older_fetch_left_out():
    fetched = Fetched.from_fields({"symbol": "ibm"})
    assert fetched == Fetched("IBM", "stocks", "daily", 0, None, None, "", False)


def test_fetched_times_are_read_in_utc_whatever_their_offset():
    fetched = Fetched.from_fields({**REPLY, "last": "2026-11-01T09:30:00-05:00"})
    assert fetched.last == "2026-11-01T14:30:00Z"


def test_fetched_with_nothing_new():
    fetched = Fetched.from_fields({**REPLY, "points": 0, "first": None})
    assert fetched.points == 0 and fetched.first is None and fetched.last == REPLY["last"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"points": -1}, "'points'"),
        ({"points": "many"}, "'points'"),
        ({"first": 5}, "'first'"),
        ({"last": ["x"]}, "'last'"),
        ({"last": "2026-11-01T00:00:00"}, "'last'"),  # no zone: predict compared it and 500ed
        ({"last": "not a time"}, "'last'"),
        ({"last": "2026-11-01"}, "'last'"),
        ({"last": ""}, "'last'"),
        ({"last": "9999-12-31T00:00:00Z"}, "'last'"),
        ({"first": "1600-01-01T00:00:00+00:00"}, "'first'"),
        ({"provider": 1}, "'provider'"),
        ({"bucket_created": "maybe"}, "'bucket_created'"),
        ({"symbol": None}, "'symbol'"),
        ({"interval": "weekly"}, "interval"),
    ],
)
def test_a_bad_reply_names_its_field(change, named):
    with pytest.raises(BadInput) as error:
        Fetched.from_fields({**REPLY, **change})
    assert named in error.value.message


def test_the_watchlist_entrys_model_rides_from_the_request_to_the_reply():
    request = FetchRequest.from_fields({"symbol": "IBM", "model": "naive"})
    assert request.model == "naive"
    fetched = Fetched.from_fields({**REPLY, "model": request.model})
    assert fetched.as_data() == {**REPLY, "model": "naive"}  # predict reads `model` from it
    assert "model" not in Fetched.from_fields(dict(REPLY)).as_data()
    with pytest.raises(BadInput, match="model"):
        FetchRequest.from_fields({"symbol": "IBM", "model": "arima"})


def test_a_reply_of_many_points_is_accepted():
    assert Fetched.from_fields({**REPLY, "points": 250_000}).points == 250_000
    assert Fetched.from_fields({**REPLY, "points": 10**9}).points == 10**9


def test_a_reply_past_a_billion_points_is_refused():
    with pytest.raises(BadInput) as error:
        Fetched.from_fields({**REPLY, "points": 10**9 + 1})
    assert "'points'" in error.value.message
