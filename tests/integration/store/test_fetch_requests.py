"""fetch's storage on a real influxd: one read and one write when a bar arrives, one read when
none does, and the adjusted copy those leave is the one a whole rewrite gives.

Requests are counted by influxd itself (its /debug/vars `req`), so every request of every kind
counts, whoever makes it.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.payloads import FetchRequest
from shared.contract.schema import PRICE_COLUMNS
from shared.market.actions import adjusted, dividends
from shared.market.providers.demo import DemoProvider
from shared.store import prices
from shared.store.actions import write_actions
from shared.usecases.fetch import fetch
from tests.support.prices import select_prices
from tests.support.requests_count import requests_made

NOW = pd.Timestamp("2026-11-25T21:30:00", tz="UTC")  # a Wednesday after the close


def all_but_the_newest(storage, bucket: str, provider: DemoProvider) -> pd.DataFrame:
    """IBM's daily bars but the newest stored, with their adjusted copy; every bar."""
    bars = provider.bars("IBM", "daily")
    prices.write_bars(storage, bucket, "IBM", "daily", bars.iloc[:-1])
    prices.refresh_adjusted(storage, bucket, "IBM", "daily", None)
    return bars


def copy(storage, bucket: str) -> pd.DataFrame:
    columns = ", ".join(f'"{c}"' for c in PRICE_COLUMNS)
    frame = storage.query(bucket, f'SELECT {columns} FROM "prices_adjusted"')
    return frame[list(PRICE_COLUMNS)].astype({"volume": "int64"})


def test_a_new_bar_costs_one_read_and_one_write_and_none_one_read(storage, bucket):
    provider = DemoProvider(now=lambda: NOW)
    bars = all_but_the_newest(storage, bucket, provider)
    request = FetchRequest("IBM", "daily", bucket)
    fetched: list = []
    assert storage.generation == 1  # asked once per client: not inside the counts
    # the meta bucket given, as the function gives it: the rules read goes in the same read

    def one_fetch() -> None:
        fetched.append(fetch(storage, provider, request, meta=bucket))

    assert requests_made(storage, one_fetch) == 2
    assert fetched[0].points == 1
    stored = select_prices(storage, bucket, "IBM")
    assert list(stored.index) == list(bars.index)
    pd.testing.assert_frame_equal(
        copy(storage, bucket),
        stored[list(PRICE_COLUMNS)].astype({"volume": "int64"}),
        check_freq=False,
    )

    assert requests_made(storage, one_fetch) == 1
    assert fetched[1].points == 0


def test_an_action_on_the_new_bar_rewrites_the_whole_copy(storage, bucket):
    """A dividend stored ahead of its ex-date applies once its first bar arrives."""
    provider = DemoProvider(now=lambda: NOW)
    bars = all_but_the_newest(storage, bucket, provider)
    dividend = dividends([bars.index[-1]], [0.5])
    write_actions(storage, bucket, "IBM", dividend)

    fetch(storage, provider, FetchRequest("IBM", "daily", bucket))

    expected = adjusted(bars[list(PRICE_COLUMNS)], dividend).astype({"volume": "int64"})
    got = copy(storage, bucket)
    assert list(got.index) == list(bars.index)
    assert got["close"].iloc[-2] < bars["close"].iloc[-2]  # adjusted before the ex-date
    assert got["close"].tolist() == expected["close"].tolist()
