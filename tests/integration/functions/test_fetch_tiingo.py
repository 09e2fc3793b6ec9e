"""fetch as a real process against a local Tiingo answering in its documented formats."""

from __future__ import annotations

import pytest
import requests

from shared.contract.schema import NAMES, PRICES, PROVIDER_REQUESTS
from tests.support.fakes.tiingo import API_KEY


@pytest.fixture
def fetch(serve, tiingo):
    return serve("fetch", STOCKS_PROVIDER="tiingo", TIINGO_API_KEY=API_KEY, TIINGO_URL=tiingo.url)


def stored(storage, bucket):
    return storage.query(bucket, 'SELECT * FROM "prices"', PRICES)


def test_the_whole_history_is_one_request_and_the_next_fetch_asks_after_it(
    fetch, tiingo, storage, bucket
):
    tiingo.route("nvda", "daily.csv")
    first = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60).json()
    bars = stored(storage, bucket)
    assert first["provider"] == "tiingo" and first["points"] == len(bars) == 10
    assert bars["close"].iloc[4:6].tolist() == [1208.88, 121.79]  # raw, as Tiingo gave them
    second = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60)
    assert second.json()["points"] == 0
    assert [r.query["startDate"] for r in tiingo.price_requests] == ["1950-01-01", "2024-06-15"]
    assert all(r.authorization == f"Token {API_KEY}" for r in tiingo.requests)


@pytest.mark.parametrize(
    ("fixture", "status", "answer", "words"),
    [
        ("limit_hourly.txt", 200, 429, "hourly"),
        ("limit_hourly_429.json", 429, 429, "hourly"),
        ("limit_symbols.txt", 200, 429, "symbols"),
        ("unknown_ticker.json", 404, 422, "NVDA"),
        ("invalid_token.json", 401, 502, "TIINGO_API_KEY"),
        ("maintenance.html", 502, 502, "HTML"),
        ("truncated.csv", 200, 502, "truncated"),
    ],
)
def test_tiingo_outcomes_map_to_statuses_and_write_nothing(
    fetch, tiingo, storage, bucket, fixture, status, answer, words
):
    tiingo.route("nvda", fixture, status=status)
    storage.create_bucket(bucket)
    response = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60)
    assert response.status_code == answer, response.text
    assert words.lower() in response.json()["error"].lower()
    assert API_KEY not in response.text and "Traceback" not in response.text
    if answer == 429:
        assert int(response.headers["Retry-After"]) > 0
    assert stored(storage, bucket).empty
    assert API_KEY not in fetch.log_path.read_text()


def test_intraday_from_tiingo_is_422_without_a_request(fetch, tiingo, bucket):
    body = {"symbol": "NVDA", "bucket": bucket, "interval": "5min"}
    response = requests.post(fetch.url, json=body, timeout=60)
    assert response.status_code == 422 and "daily" in response.json()["error"]
    assert tiingo.requests == []


def names_stored(storage, bucket):
    return storage.query(bucket, 'SELECT * FROM "names"', NAMES, missing_ok=True)


def test_a_new_symbol_is_named_once_from_its_metadata_and_the_ledger_counts_it(
    fetch, tiingo, storage, bucket
):
    tiingo.route("nvda", "daily.csv")
    tiingo.route_meta("nvda", "meta.json")
    for _ in range(2):
        response = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60)
        assert response.status_code == 200, response.text
    named = names_stored(storage, bucket)
    assert named[["symbol", "company", "source"]].values.tolist() == [
        ["NVDA", "NVIDIA Corp", "tiingo"]
    ]
    assert [r.kind for r in tiingo.requests] == ["prices", "meta", "prices"]  # the first fetch only
    spent = storage.query(bucket, 'SELECT * FROM "provider_requests"', PROVIDER_REQUESTS)
    assert sorted(spent.loc[spent["state"] == "spent", "kind"]) == ["daily", "daily", "meta"]


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("unknown_ticker.json", 404),
        ("maintenance.html", 502),
        ("limit_hourly_429.json", 429),
        ("limit_daily.txt", 200),
        (b"[" * 50_000 + b"]" * 50_000, 200),
    ],
)
def test_a_failed_name_request_never_fails_the_fetch(
    fetch, tiingo, storage, bucket, fixture, status
):
    tiingo.route("nvda", "daily.csv")
    tiingo.route_meta("nvda", fixture, status)
    response = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60)
    assert response.status_code == 200 and response.json()["points"] == 10, response.text
    assert len(stored(storage, bucket)) == 10 and names_stored(storage, bucket).empty
    assert [r.kind for r in tiingo.requests] == ["prices", "meta"]


def test_no_name_is_asked_when_the_budget_has_no_room_left(serve, tiingo, storage, bucket):
    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="tiingo",
        TIINGO_API_KEY=API_KEY,
        TIINGO_URL=tiingo.url,
        TIINGO_HOURLY_LIMIT="1",
    )
    tiingo.route("nvda", "daily.csv")
    tiingo.route_meta("nvda", "meta.json")
    response = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60)
    assert response.status_code == 200 and response.json()["points"] == 10, response.text
    assert [r.kind for r in tiingo.requests] == ["prices"]  # the hour's one request went to prices
    assert names_stored(storage, bucket).empty
