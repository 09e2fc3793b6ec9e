"""Impossible provider rows and actions, through a real fetch process and a real influxd.

The policy (docs/reliability.md): a body that is not rows is 502 with nothing written; rows and
actions that parse but no market can have are dropped one by one at the provider boundary, the
rest stored, and every drop counted in fetch's reply and its `runs` point. A stored bar dated in
the future must not freeze the symbol; stored impossible actions must not break a read.
"""

from __future__ import annotations

import json
import time
import uuid

import numpy as np
import pandas as pd
import pytest
import requests

from shared.contract.schema import CORPORATE_ACTIONS, PRICES, PRICES_ADJUSTED, RUNS
from shared.influx.influxql import literal
from shared.market.actions import combine, dividends, splits
from shared.store import prices
from tests.support.fakes.tiingo import API_KEY

FIELDS = ("date", "close", "high", "low", "open", "volume", "divCash", "splitFactor")
DAYS = pd.bdate_range("2024-06-03", periods=6)


def good_row(day: pd.Timestamp, close: float = 100.0) -> dict[str, object]:
    return {
        "date": f"{day:%Y-%m-%d}",
        "close": close,
        "high": close + 1,
        "low": close - 1,
        "open": close,
        "volume": 1_000_000,
        "divCash": 0.0,
        "splitFactor": 1.0,
    }


def csv_body(rows: list[dict[str, object]]) -> bytes:
    lines = [",".join(FIELDS)] + [",".join(str(row[f]) for f in FIELDS) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def json_body(rows: list[dict[str, object]]) -> bytes:
    return json.dumps(rows).encode()  # Python writes Infinity and NaN as JSON's extensions do


TIINGO = {"STOCKS_PROVIDER": "tiingo", "TIINGO_API_KEY": API_KEY}


@pytest.fixture
def fetch(serve, tiingo):
    return serve("fetch", **TIINGO, TIINGO_URL=tiingo.url)


@pytest.fixture(scope="module")
def fetch_once(serve_once, tiingo_once):
    """The row cases' fetch, started once (each case has a symbol of its own, below), with
    limits no case reaches: every case spends a request of the same budget."""
    unlimited = {
        f"TIINGO_{name}": "100000" for name in ("DAILY_LIMIT", "HOURLY_LIMIT", "MONTHLY_SYMBOLS")
    }
    return serve_once("fetch", **TIINGO, TIINGO_URL=tiingo_once.url, **unlimited)


@pytest.fixture
def symbol() -> str:
    """A symbol of the case's own, so the shared fetch's runs and routes are the case's alone."""
    return f"NV{uuid.uuid4().hex[:8].upper()}"


def post(fetch, bucket: str, symbol: str = "NVDA") -> requests.Response:
    return requests.post(fetch.url, json={"symbol": symbol, "bucket": bucket}, timeout=60)


def wait_for_run(storage, bucket: str, symbol: str = "NVDA") -> dict:
    """fetch's `runs` point for `symbol` (written within a second of its answer)."""
    query = f'SELECT * FROM "runs" WHERE "symbol" = {literal(symbol)}'
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = storage.query(bucket, query, RUNS, missing_ok=True)
        if len(runs):
            return runs.iloc[-1].to_dict()
        time.sleep(0.05)
    raise AssertionError("no runs point within 30 s")


def stored(storage, bucket: str, measurement=PRICES) -> pd.DataFrame:
    return storage.query(bucket, f'SELECT * FROM "{measurement.name}"', measurement)


BAD_CELLS = [
    ({"close": -5, "high": -9, "low": 3, "volume": -7}, "negative"),
    ({"volume": 1e300}, "volume"),
    ({"volume": "inf"}, "volume"),
    ({"volume": float("inf")}, "volume"),
    ({"volume": "9" * 400}, "volume"),
    ({"volume": 2.5}, "volume"),
    ({"close": float("inf")}, "infinite"),
    ({"close": float("nan")}, "not a number"),
    ({"open": 0}, "zero"),
    ({"high": 90.0}, "high below its low"),
    ({"close": "abc"}, "not a number"),
    ({"date": "2200-01-02"}, "dated after"),
    ({"date": "9999-12-31"}, "dated after"),
    ({"date": "1600-01-03"}, "before 1900"),
    ({"date": None}, "readable date"),
    ({"date": "not a date"}, "readable date"),
]


@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "json"])
@pytest.mark.parametrize(("cells", "words"), BAD_CELLS, ids=[w for _, w in BAD_CELLS])
def test_an_impossible_row_is_dropped_counted_and_the_rest_stored(
    fetch_once, tiingo_once, module_bucket, symbol, storage, bucket, cells, words, as_json
):
    rows = [good_row(day, 100.0 + i) for i, day in enumerate(DAYS)]
    rows[2] = {**rows[2], **cells}
    tiingo_once.route(symbol.lower(), (json_body if as_json else csv_body)(rows))
    response = post(fetch_once, bucket, symbol)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["points"] == 5 and reply["dropped"] == 1
    assert words in reply["dropped_examples"][0]
    bars = stored(storage, bucket)
    assert len(bars) == 5 and DAYS[2] not in bars.index.tz_localize(None)
    values = bars[["open", "high", "low", "close"]].to_numpy()
    assert np.isfinite(values).all() and (values > 0).all()
    assert (bars["volume"] >= 0).all() and (bars["high"] >= bars["low"]).all()
    assert len(stored(storage, bucket, PRICES_ADJUSTED)) == 5
    run = wait_for_run(storage, module_bucket, symbol)  # what the pipeline panel shows
    assert run["dropped"] == 1 and words in run["warning"] and run["status"] == "ok"


BAD_ACTIONS = [
    ({"divCash": float("inf")}, "dividend"),
    ({"divCash": -0.5}, "dividend"),
    ({"divCash": 500.0}, "not below the close"),
    ({"splitFactor": float("inf")}, "split"),
    ({"splitFactor": 1e300}, "split"),
    ({"splitFactor": 1e-200}, "split"),
    ({"splitFactor": 0.0}, "split"),
    ({"splitFactor": -4.0}, "split"),
]


@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "json"])
@pytest.mark.parametrize(("cells", "words"), BAD_ACTIONS, ids=[w for _, w in BAD_ACTIONS])
def test_an_impossible_action_is_dropped_and_its_bar_and_the_rest_are_whole(
    fetch_once, tiingo_once, symbol, storage, bucket, cells, words, as_json
):
    rows = [good_row(day, 100.0 + i) for i, day in enumerate(DAYS)]
    rows[3] = {**rows[3], **cells}
    rows[4] = {**rows[4], "divCash": 0.5}  # a real dividend beside the impossible action
    tiingo_once.route(symbol.lower(), (json_body if as_json else csv_body)(rows))
    response = post(fetch_once, bucket, symbol)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["points"] == 6 and reply["dropped"] == 1
    assert words in reply["dropped_examples"][0]
    actions = stored(storage, bucket, CORPORATE_ACTIONS)
    assert actions["kind"].tolist() == ["dividend"] and actions["amount"].tolist() == [0.5]
    adjusted = stored(storage, bucket, PRICES_ADJUSTED)
    assert len(adjusted) == 6 and np.isfinite(adjusted["close"]).all()


def test_a_body_that_is_not_rows_is_502_and_writes_nothing(fetch, tiingo, storage, bucket):
    storage.create_bucket(bucket)
    tiingo.route("nvda", b"[" * 50_000 + b"]" * 50_000)
    response = post(fetch, bucket)
    assert response.status_code == 502 and "malformed JSON" in response.json()["error"]
    assert stored(storage, bucket).empty
    assert stored(storage, bucket, CORPORATE_ACTIONS).empty


def test_a_bar_dated_in_the_future_does_not_freeze_the_symbol(fetch, tiingo, storage, bucket):
    rows = [good_row(day) for day in DAYS[:3]] + [good_row(pd.Timestamp("2200-01-02"))]
    tiingo.route("nvda", csv_body(rows))
    assert post(fetch, bucket).json()["last"] == "2024-06-05T00:00:00Z"
    tiingo.route("nvda", csv_body([good_row(day) for day in DAYS[3:]]))
    second = post(fetch, bucket).json()
    assert second["points"] == 3 and second["last"] == "2024-06-10T00:00:00Z"
    assert [r.query["startDate"] for r in tiingo.price_requests] == ["1950-01-01", "2024-06-06"]


def test_a_store_already_holding_a_future_bar_recovers(fetch, tiingo, storage, bucket):
    tiingo.route("nvda", csv_body([good_row(day) for day in DAYS[:3]]))
    post(fetch, bucket)
    future = pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1},
        index=pd.DatetimeIndex([pd.Timestamp("2200-01-02", tz="UTC")], name="time"),
    )
    prices.write_bars(storage, bucket, "NVDA", "daily", future)  # stored before the boundary
    tiingo.route("nvda", csv_body([good_row(day) for day in DAYS[3:]]))
    second = post(fetch, bucket).json()
    assert second["points"] == 3
    assert tiingo.price_requests[-1].query["startDate"] == "2024-06-06"
    assert stored(storage, bucket).index.max() == pd.Timestamp("2024-06-10", tz="UTC")


@pytest.mark.parametrize(
    "actions",
    [
        combine(splits([DAYS[3]], [1e300])),
        combine(splits([DAYS[2], DAYS[4]], [1e-200, 1e-200])),
        combine(dividends([DAYS[3]], [-1.0]), splits([DAYS[4]], [-3.0]), splits([DAYS[5]], [0.0])),
        combine(dividends([DAYS[3]], [1e9])),
    ],
    ids=["split 1e300", "two splits 1e-200", "negative dividend and splits", "huge dividend"],
)
def test_stored_impossible_actions_break_no_read_and_lose_no_bar(serve, storage, bucket, actions):
    bars = pd.DataFrame(
        {
            "open": 100.0,
            "high": 101.0,
            "low": 99.0,
            "close": 100.0,
            "volume": 10**15,
        },
        index=pd.DatetimeIndex(DAYS, name="time"),
    ).tz_localize("UTC")
    prices.write_bars(storage, bucket, "NVDA", "daily", bars)
    storage.write(bucket, actions.assign(symbol="NVDA"), CORPORATE_ACTIONS)  # before the boundary
    newest = prices.newest(storage, bucket, "NVDA", "daily", ("close", "volume"), 60)
    assert len(newest) == 6 and np.isfinite(newest["close"]).all()
    assert prices.refresh_adjusted(storage, bucket, "NVDA", "daily", None) == 6
    ui = serve("ui")
    view = requests.get(
        ui.url, params={"view": "symbol", "symbol": "NVDA", "bucket": bucket}, timeout=60
    )
    assert view.status_code == 200, view.text
    closes = view.json()["prices"]["close"]
    assert len(closes) == 6 and None not in closes


def test_a_provider_sending_a_byte_a_second_is_502_within_its_timeout(
    serve, tiingo, storage, bucket
):
    tiingo.route("nvda", "daily.csv", trickle=0.5)  # each read is quick; the answer never ends
    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="tiingo",
        TIINGO_API_KEY=API_KEY,
        TIINGO_URL=tiingo.url,
        TIINGO_TIMEOUT_SECONDS="2",
    )
    storage.create_bucket(bucket)
    started = time.monotonic()
    response = post(fetch, bucket)
    elapsed = time.monotonic() - started
    assert response.status_code == 502 and "within 2 s" in response.json()["error"]
    assert elapsed < 3.0, f"{elapsed:.2f} s for a 2 s timeout"
    assert stored(storage, bucket).empty
