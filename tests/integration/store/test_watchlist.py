"""The watchlist store on a real influxd: entries per symbol and interval, their model and
exchange kept, and entries written before those fields existed still read."""

from __future__ import annotations

import requests

from shared.store.watchlist import DEFAULT_MODEL, Entry, Watchlist


def test_each_interval_of_a_symbol_is_its_own_entry(storage, bucket):
    watchlist = Watchlist(storage, bucket)
    daily, intraday = Entry("IBM", "daily"), Entry("IBM", "5min")
    watchlist.save(daily, tracked=True)
    watchlist.save(intraday, tracked=True)
    assert watchlist.tracked() == [intraday, daily]  # by symbol, then interval
    watchlist.save(intraday, tracked=False)
    assert watchlist.tracked() == [daily]


def test_an_entry_keeps_its_model_and_exchange(storage, bucket):
    watchlist = Watchlist(storage, bucket)
    entry = Entry("IBM", "daily", bucket, model="prophet", exchange="XNAS")  # not IBM's own
    watchlist.save(entry, tracked=True)
    assert watchlist.tracked() == [entry]


def test_an_entry_saved_before_model_and_exchange_existed_reads_with_their_defaults(
    storage, bucket
):
    line = f'watchlist,symbol=SHOP.TRT,interval=daily bucket="{bucket}",tracked=true'
    answer = requests.post(f"{storage.settings.url}/write", params={"db": bucket}, data=line)
    assert answer.status_code == 204, answer.text
    (entry,) = Watchlist(storage, bucket).tracked()
    assert (entry.symbol, entry.model, entry.exchange) == ("SHOP.TRT", DEFAULT_MODEL, "XTSE")
