"""How old each entry's corporate-action data is, as the page's watchlist view gives it."""

from __future__ import annotations

import dataclasses

import pandas as pd

from shared.contract.config import ProviderSettings
from shared.contract.schema import RUNS
from shared.runtime.services import Services
from shared.store import actions
from shared.store.watchlist import Entry
from shared.usecases.freshness import actions_checked

NOW = pd.Timestamp.now(tz="UTC").floor("s")


def test_with_actions_in_the_rows_they_are_as_fresh_as_the_last_good_fetch(
    settings, storage, bucket
):
    runs = pd.DataFrame(
        {"function": "fetch", "status": ["ok", "502"], "symbol": "KO", "points": 1,
         "seconds": 0.1, "error": ""},
        index=pd.DatetimeIndex([NOW - pd.Timedelta(days=2), NOW], name="time"),
    )  # fmt: skip
    storage.write(bucket, runs, RUNS, precision="ms")
    found = actions_checked(Services(settings), [Entry("KO", bucket=bucket), Entry("IBM")])
    assert found["KO"] == {
        "checked": f"{NOW - pd.Timedelta(days=2):%Y-%m-%dT%H:%M:%SZ}",
        "how": "with every fetch",
        "next_by": None,
    }
    assert found["IBM"]["checked"] is None


def test_listed_apart_they_are_as_fresh_as_the_last_listing(settings, storage, bucket):
    provider = ProviderSettings(name="alphavantage", alphavantage_api_key="k")
    services = Services(dataclasses.replace(settings, provider=provider))
    actions.mark_checked(storage, bucket, "IBM", "alphavantage", NOW, 4)
    found = actions_checked(services, [Entry("IBM", bucket=bucket), Entry("KO", bucket=bucket)])
    checked = pd.Timestamp(found["IBM"]["checked"])
    assert abs(checked - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(minutes=5)
    assert found["IBM"]["how"] == "listed apart"
    assert pd.Timestamp(found["IBM"]["next_by"]) - checked == pd.Timedelta(days=30)
    assert found["KO"] == {"checked": None, "how": "listed apart", "next_by": None}
