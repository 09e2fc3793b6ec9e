"""fetch as a real process against a local Tiingo answering in its documented formats."""

from __future__ import annotations

import pytest
import requests

from shared.contract.schema import PRICES
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
    assert [r.query["startDate"] for r in tiingo.requests] == ["1950-01-01", "2024-06-15"]
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
