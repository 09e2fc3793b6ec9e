"""Provider budgets hold under any interleaving: real fetch processes and influxd, fake providers.

Every request made to a provider is reserved in the ledger before it is made and counted whatever
the answer; concurrent direct calls (threads into one process, and into two processes) never
spend more than a window allows; the demo provider, which has no limits, touches no ledger.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import requests

from shared.contract.schema import PROVIDER_REQUESTS
from tests.support.fakes.alphavantage import API_KEY as AV_KEY
from tests.support.fakes.tiingo import API_KEY as TIINGO_KEY
from tests.support.stack import running_stack, storage_of

SYMBOLS = ["IBM", "AAPL", "MSFT", "NVDA", "KO", "TSLA", "AMD", "GOOG"]


def tiingo_fetch(serve, tiingo, **limits: str):
    return serve(
        "fetch",
        STOCKS_PROVIDER="tiingo",
        TIINGO_API_KEY=TIINGO_KEY,
        TIINGO_URL=tiingo.url,
        **limits,
    )


def ledger_points(storage, bucket: str) -> pd.DataFrame:
    return storage.query(
        bucket, 'SELECT * FROM "provider_requests"', PROVIDER_REQUESTS, missing_ok=True
    )


def post(url: str, symbol: str, bucket: str) -> requests.Response:
    return requests.post(url, json={"symbol": symbol, "bucket": bucket}, timeout=120)


def test_a_refused_body_still_counts_as_a_request(serve, tiingo, storage, bucket):
    tiingo.route("ibm", b"date,close\n2024-06-03,1")  # cut short: 502
    fetch = tiingo_fetch(serve, tiingo)
    assert post(fetch.url, "IBM", bucket).status_code == 502
    points = ledger_points(storage, bucket)
    assert points[["provider", "symbol", "state", "status"]].values.tolist() == [
        ["tiingo", "IBM", "spent", 200]
    ]


def test_a_first_alphavantage_fetch_is_three_requests_each_counted(
    serve, alphavantage, storage, bucket
):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("splits_none.json", function="SPLITS", symbol="IBM")
    alphavantage.route("dividends_none.json", function="DIVIDENDS", symbol="IBM")
    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=AV_KEY,
        ALPHAVANTAGE_URL=alphavantage.url,
    )
    assert post(fetch.url, "IBM", bucket).status_code == 200
    points = ledger_points(storage, bucket).sort_index()
    assert points["kind"].tolist() == ["TIME_SERIES_DAILY", "SPLITS", "DIVIDENDS"]
    assert set(points["state"]) == {"spent"} and len(alphavantage.queries) == 3


def test_an_alphavantage_day_spent_refuses_the_first_request_before_it_is_made(
    serve, alphavantage, storage, bucket
):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("splits_none.json", function="SPLITS", symbol="IBM")
    alphavantage.route("dividends_none.json", function="DIVIDENDS", symbol="IBM")
    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=AV_KEY,
        ALPHAVANTAGE_URL=alphavantage.url,
        ALPHAVANTAGE_DAILY_LIMIT="2",
    )
    first = post(fetch.url, "IBM", bucket)  # bars, then SPLITS; DIVIDENDS has no room
    assert first.status_code == 200
    assert [q["function"] for q in alphavantage.queries] == ["TIME_SERIES_DAILY", "SPLITS"]
    second = post(fetch.url, "AAPL", bucket)
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0
    assert len(alphavantage.queries) == 2
    states = ledger_points(storage, bucket)["state"].value_counts().to_dict()
    assert states == {"spent": 2, "released": 2}


@pytest.mark.parametrize("processes", [1, 2], ids=["threads into one process", "two processes"])
def test_concurrent_fetches_never_spend_more_than_the_hour_allows(
    serve, tiingo, storage, bucket, processes
):
    tiingo.route("ibm", "daily.csv", delay=0.3)  # every request still in flight as others come
    fetches = [tiingo_fetch(serve, tiingo, TIINGO_HOURLY_LIMIT="3") for _ in range(processes)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: post(fetches[i % processes].url, "IBM", bucket), range(8))
        )
    statuses = sorted(a.status_code for a in answers)
    assert 1 <= len(tiingo.requests) <= 3
    assert statuses.count(200) == len(tiingo.price_requests) and set(statuses) <= {200, 429}
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
    points = ledger_points(storage, bucket)
    assert (points["state"] == "spent").sum() == len(tiingo.requests)


def test_concurrent_new_symbols_never_pass_the_months_distinct_symbols(
    serve, tiingo, storage, bucket
):
    for symbol in SYMBOLS[:6]:
        tiingo.route(symbol.lower(), "daily.csv", delay=0.3)
    fetches = [tiingo_fetch(serve, tiingo, TIINGO_MONTHLY_SYMBOLS="3") for _ in range(2)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: post(fetches[i % 2].url, SYMBOLS[i], bucket), range(6)))
    asked = {r.ticker for r in tiingo.requests}
    assert 1 <= len(asked) <= 3
    assert sum(a.status_code == 200 for a in answers) == len(asked)


def test_the_demo_provider_makes_no_ledger_request(serve, storage, bucket):
    fetch = serve("fetch")
    assert post(fetch.url, "IBM", bucket).status_code == 200
    measurements = storage.execute(bucket, "SHOW MEASUREMENTS")
    names = [row[0] for s in measurements.get("series", []) for row in s["values"]]
    assert "provider_requests" not in names and "prices" in names


@pytest.mark.slow
def test_ticks_tracks_and_refreshes_at_once_through_the_mesh_stay_within_the_hour(tmp_path, tiingo):
    for symbol in SYMBOLS[:6]:
        tiingo.route(symbol.lower(), "daily.csv", delay=0.2)
    env = {
        "STOCKS_PROVIDER": "tiingo",
        "TIINGO_API_KEY": TIINGO_KEY,
        "TIINGO_URL": tiingo.url,
        "TIINGO_HOURLY_LIMIT": "4",
    }
    with running_stack(tmp_path, **env) as stack:
        watchlist = stack.functions["watchlist"].url
        with ThreadPoolExecutor(6) as pool:  # six tracks at once, each asking for a fetch
            list(pool.map(lambda s: requests.post(watchlist, json={"symbol": s}, timeout=60),
                          SYMBOLS[:6]))  # fmt: skip
        for _ in range(3):  # three ticks while those fetches are on their way
            stack.tick()
        with ThreadPoolExecutor(6) as pool:  # and refreshes, straight to the page's action
            list(pool.map(lambda s: requests.post(
                stack.functions["ui"].url,
                json={"action": "refresh", "symbol": s},
                timeout=60,
            ), SYMBOLS[:6]))  # fmt: skip
        assert stack.mesh.wait_idle(120)
        assert 1 <= len(tiingo.requests) <= 4
        storage = storage_of(stack)
        points = ledger_points(storage, "stocks")
        assert (points["state"] == "spent").sum() == len(tiingo.requests)
