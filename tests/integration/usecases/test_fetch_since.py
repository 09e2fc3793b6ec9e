"""fetch in process on a real influxd: an incremental fetch asks for the bars after the newest.

The provider is the real demo provider with a fixed clock, wrapped to record the `since` it is
asked for; the bars are stored in and read from a real influxd.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.payloads import FetchRequest
from shared.contract.timefmt import rfc3339
from shared.market.providers.demo import DemoProvider
from shared.store import prices
from shared.usecases.fetch import fetch
from tests.support.prices import select_prices

# a Wednesday after the close; the next day (Thanksgiving) has no session
NOW = pd.Timestamp("2026-11-25T21:30:00", tz="UTC")


class RecordingDemo(DemoProvider):
    """The demo provider, remembering each `since` it was asked for."""

    def __init__(self) -> None:
        super().__init__(now=lambda: NOW)
        self.asked: list[pd.Timestamp | None] = []

    def rows(self, symbol, interval, *, since=None, month=None):
        self.asked.append(since)
        return super().rows(symbol, interval, since=since, month=month)


def test_intraday_fetch_asks_for_bars_after_the_newest_stored_bar(storage, bucket):
    provider = RecordingDemo()
    everything = provider.bars("IBM", "5min")
    newest_stored = pd.Timestamp("2026-11-25T18:00:00", tz="UTC")  # 13:00 in New York
    prices.write_bars(storage, bucket, "IBM", "5min", everything[everything.index <= newest_stored])
    provider.asked.clear()

    fetched = fetch(storage, provider, FetchRequest("IBM", "5min", bucket))

    assert provider.asked == [newest_stored]  # to the bar, not floored to the day
    after = everything[everything.index > newest_stored]
    assert fetched.points == len(after) == 35  # 13:05 to 15:55 in New York
    assert fetched.first == rfc3339(after.index.min()) == "2026-11-25T18:05:00Z"
    assert fetched.last == rfc3339(after.index.max())
    assert len(select_prices(storage, bucket, "IBM")) == len(everything)


def test_a_second_fetch_finds_nothing_new(storage, bucket):
    provider = RecordingDemo()
    first = fetch(storage, provider, FetchRequest("IBM", "15min", bucket))
    again = fetch(storage, provider, FetchRequest("IBM", "15min", bucket))
    assert provider.asked[0] is None
    assert provider.asked[1] == pd.Timestamp(first.last)
    assert again.points == 0 and again.first is None and again.last == first.last


def test_daily_fetch_asks_after_the_newest_daily_bar(storage, bucket):
    provider = RecordingDemo()
    everything = provider.bars("IBM", "daily")
    prices.write_bars(storage, bucket, "IBM", "daily", everything.iloc[:-3])
    provider.asked.clear()
    fetched = fetch(storage, provider, FetchRequest("IBM", "daily", bucket))
    assert provider.asked == [everything.index[-4]]
    assert fetched.points == 3 and fetched.first == rfc3339(everything.index[-3])
