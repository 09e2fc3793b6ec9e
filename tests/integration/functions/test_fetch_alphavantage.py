"""fetch as a real process against a local Alpha Vantage answering in its documented formats."""

from __future__ import annotations

import pytest
import requests

from shared.contract.schema import PRICES
from tests.support.fakes.alphavantage import API_KEY


@pytest.fixture
def fetch(serve, alphavantage):
    return serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=API_KEY,
        ALPHAVANTAGE_URL=alphavantage.url,
    )


def stored(storage, bucket):
    return storage.query(bucket, 'SELECT * FROM "prices"', PRICES)


def test_intraday_bars_cross_daylight_saving_into_utc(fetch, alphavantage, storage, bucket):
    alphavantage.route("intraday_5min.csv", function="TIME_SERIES_INTRADAY", symbol="IBM")
    body = requests.post(
        fetch.url, json={"symbol": "IBM", "bucket": bucket, "interval": "5min"}, timeout=60
    ).json()
    bars = stored(storage, bucket)
    assert body["points"] == len(bars) > 0 and body["provider"] == "alphavantage"
    local = bars.index.tz_convert("America/New_York")
    opens = bars.index[(local.hour == 9) & (local.minute == 30)]
    offsets = {
        (t.tz_convert("America/New_York").utcoffset().total_seconds() // 3600) for t in opens
    }
    assert offsets == {-4, -5}  # bars on both sides of the 2026-11-01 change
    assert {t.hour for t in opens} == {13, 14}


def test_second_fetch_is_incremental_and_idempotent(fetch, alphavantage, storage, bucket):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    first = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60).json()
    bars = stored(storage, bucket)
    second = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60).json()
    assert first["points"] == len(bars) > 0 and second["points"] == 0
    assert stored(storage, bucket).equals(bars)
    assert alphavantage.queries[-1]["outputsize"] == "compact"


@pytest.mark.parametrize(
    ("fixture", "status", "words"),
    [
        ("limit_daily.json", 429, "limit"),
        ("limit_minute.json", 429, "limit"),
        ("invalid_key.json", 502, "key"),
        ("invalid_call.json", 422, "IBM"),
        ("premium_endpoint.json", 422, "premium"),
        ("maintenance.html", 502, ""),
        ("truncated.csv", 502, ""),
        ("empty.txt", 502, ""),
    ],
)
def test_provider_outcomes_map_to_statuses_and_write_nothing(
    fetch, alphavantage, storage, bucket, fixture, status, words
):
    alphavantage.route(fixture, symbol="IBM")
    storage.create_bucket(bucket)
    response = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert words.lower() in error.lower()
    assert API_KEY not in response.text and "Traceback" not in response.text
    if status == 429:
        assert int(response.headers["Retry-After"]) > 0
    assert stored(storage, bucket).empty
    log = (fetch.log_path).read_text()
    assert API_KEY not in log and '"status":' + str(status) in log


def test_provider_down_is_502(serve, bucket):
    from devstack.ports import free_port

    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=API_KEY,
        ALPHAVANTAGE_URL=f"http://127.0.0.1:{free_port()}/query",
    )
    response = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    assert response.status_code == 502
    assert API_KEY not in response.text
