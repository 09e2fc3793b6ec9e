"""fetch stores the corporate actions that come with the bars, and reads adjust by them."""

from __future__ import annotations

import numpy as np
import pytest
import requests

from shared.contract.schema import PRICE_COLUMNS
from shared.store import prices
from shared.store.actions import read_actions
from tests.support.fakes.alphavantage import API_KEY


def test_demo_splits_are_stored_with_the_bars_and_reads_are_adjusted(serve, storage, bucket):
    fetch = serve("fetch")
    body = requests.post(fetch.url, json={"symbol": "NVDA", "bucket": bucket}, timeout=60).json()
    assert body["points"] > 2000
    stored = read_actions(storage, bucket, "NVDA")
    assert stored[stored["kind"] == "split"]["ratio"].tolist() == [4.0, 10.0]
    assert (stored["kind"] == "dividend").sum() > 30
    adjusted = prices.newest(storage, bucket, "NVDA", "daily", PRICE_COLUMNS, 10_000)
    raw = prices.newest(storage, bucket, "NVDA", "daily", PRICE_COLUMNS, 10_000, adjusted=False)
    overnight = np.abs(np.log(adjusted["open"].to_numpy()[1:] / adjusted["close"].to_numpy()[:-1]))
    assert overnight.max() < np.log(1.2)
    assert raw["close"].iloc[0] / adjusted["close"].iloc[0] > 40  # 4 x 10, and the dividends


@pytest.fixture
def av_fetch(serve, alphavantage):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("splits.json", function="SPLITS", symbol="IBM")
    alphavantage.route("dividends.json", function="DIVIDENDS", symbol="IBM")
    return serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=API_KEY,
        ALPHAVANTAGE_URL=alphavantage.url,
    )


def test_alpha_vantage_actions_are_asked_once_when_a_history_starts(
    av_fetch, alphavantage, storage, bucket
):
    for _ in range(2):
        requests.post(av_fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    functions = [q["function"] for q in alphavantage.queries]
    assert functions == ["TIME_SERIES_DAILY", "SPLITS", "DIVIDENDS", "TIME_SERIES_DAILY"]
    assert len(read_actions(storage, bucket, "IBM")) == 10
