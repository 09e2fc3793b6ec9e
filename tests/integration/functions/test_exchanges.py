"""Exchanges per watchlist entry, in process on a real influxd: what is checked, carried, used."""

from __future__ import annotations

import pandas as pd
import pytest

from functions import fetch, predict, ui, watchlist
from shared.contract.schema import PRICES, WATCHLIST, Measurement
from shared.market.providers.demo import DemoProvider
from shared.runtime.services import Services
from shared.store import prices
from tests.support.inprocess import call


@pytest.fixture
def services(settings) -> Services:
    return Services(settings)


def track(services: Services, **fields) -> dict:
    answer = call(watchlist.SPEC, services, method="POST", json_body=fields)
    assert answer.status == 200, answer.body
    return answer.json()


def test_an_entry_takes_its_exchange_from_the_symbol_or_from_the_caller(services):
    track(services, symbol="BP.LON")
    track(services, symbol="IBM", exchange="xnas")  # case folded
    track(services, symbol="DEMO7")
    listed = {e["symbol"]: e["exchange"] for e in track(services, symbol="SAP.DEX")["watchlist"]}
    assert listed == {"BP.LON": "XLON", "IBM": "XNAS", "DEMO7": "XNYS", "SAP.DEX": "XETR"}


@pytest.mark.parametrize("exchange", ["XTKS", "nyse", "X" * 50])
def test_an_unsupported_exchange_is_400_naming_the_supported_ones(
    services, storage, bucket, exchange
):
    answer = call(
        watchlist.SPEC, services, method="POST", json_body={"symbol": "IBM", "exchange": exchange}
    )
    assert answer.status == 400
    assert "use one of XNYS, XNAS, XLON, XTSE, XETR" in answer.json()["error"]
    assert storage.query(bucket, 'SELECT * FROM "watchlist"', WATCHLIST).empty
    fetched = call(fetch.SPEC, services, query={"symbol": "IBM", "exchange": exchange})
    assert fetched.status == 400 and "XNYS, XNAS" in fetched.json()["error"]
    predicted = call(predict.SPEC, services, query={"symbol": "IBM", "exchange": exchange})
    assert predicted.status == 400 and "XNYS, XNAS" in predicted.json()["error"]


def test_intraday_on_an_exchange_without_intraday_data_is_refused(services, storage, bucket):
    answer = call(
        watchlist.SPEC, services, method="POST", json_body={"symbol": "SAP.DEX", "interval": "5min"}
    )
    assert answer.status == 422 and "US listings only" in answer.json()["error"]
    fetched = call(
        fetch.SPEC, services, query={"symbol": "IBM", "interval": "5min", "exchange": "XLON"}
    )
    assert fetched.status == 422 and "not on XLON" in fetched.json()["error"]
    assert storage.query(bucket, 'SELECT * FROM "watchlist"', WATCHLIST).empty


def test_an_entry_stored_before_exchanges_reads_with_its_symbols(services, storage, bucket):
    before = Measurement(WATCHLIST.name, WATCHLIST.tags, {"tracked": "bool", "bucket": "str"})
    storage.write_point(bucket, before, "ms", symbol="BP.LON", interval="daily", tracked=True,
                        bucket="stocks")  # fmt: skip
    answer = call(watchlist.SPEC, services)
    assert answer.status == 200, answer.body
    (entry,) = answer.json()["watchlist"]
    assert entry["exchange"] == "XLON"


def test_fetch_says_the_exchange_it_followed(services, bucket):
    fetched = call(fetch.SPEC, services, query={"symbol": "BP.LON", "bucket": bucket})
    assert fetched.status == 200 and fetched.json()["exchange"] == "XLON"
    other = call(
        fetch.SPEC, services, query={"symbol": "IBM", "bucket": bucket, "exchange": "XTSE"}
    )
    assert other.status == 200 and other.json()["exchange"] == "XTSE"


def test_predict_lays_a_forecast_on_the_exchanges_sessions(services, storage, bucket):
    now = pd.Timestamp("2025-12-24 18:00", tz="UTC")  # London has closed on Christmas Eve
    bars = DemoProvider(now=lambda: now).bars("BP.LON", "daily")
    storage.write(bucket, bars.assign(symbol="BP.LON", interval="daily"), PRICES)
    query = {"symbol": "BP.LON", "bucket": bucket, "target": bucket, "model": "naive"}
    answer = call(predict.SPEC, services, query={**query, "horizon": "3", "adjusted": "false"})
    assert answer.status == 200, answer.body
    assert answer.json()["exchange"] == "XLON"
    assert answer.json()["first"] == "2025-12-29T00:00:00Z"  # the 25th and 26th are holidays
    in_new_york = call(predict.SPEC, services, query={**query, "horizon": "3", "adjusted": "false",
                                                       "exchange": "XNYS"})  # fmt: skip
    assert in_new_york.json()["first"] == "2025-12-26T00:00:00Z"


def test_the_watchlist_view_says_the_exchange_and_the_session_of_the_last_close(
    services, storage, bucket
):
    day = pd.Timestamp("2025-11-28", tz="UTC")
    close = pd.DataFrame(
        {"symbol": "IBM", "interval": "daily", "open": 1.0, "high": 1.0, "low": 1.0,
         "close": 1.0, "volume": 1},
        index=pd.DatetimeIndex([day - pd.Timedelta(days=2), day], name="time"),
    )  # fmt: skip
    storage.write(bucket, close, PRICES)
    prices.refresh_adjusted(storage, bucket, "IBM", "daily", None)
    track(services, symbol="IBM", bucket=bucket)
    (row,) = call(ui.SPEC, services, query={"view": "watchlist"}).json()["watchlist"]
    assert (row["exchange"], row["session"], row["session_closed"]) == ("XNYS", "2025-11-28", True)
    view = call(ui.SPEC, services, query={"view": "symbol", "symbol": "IBM", "bucket": bucket})
    assert (view.json()["exchange"], view.json()["session"]) == ("XNYS", "2025-11-28")
