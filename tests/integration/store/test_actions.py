"""Stored corporate actions on a real influxd: written once however often, read back typed."""

from __future__ import annotations

import pandas as pd

from shared.market.actions import combine, dividends, splits
from shared.store.actions import read_actions, write_actions

UTC = "UTC"


def test_actions_round_trip_and_writing_them_again_leaves_one_each(storage, bucket):
    day = pd.Timestamp("2024-06-10", tz=UTC)
    actions = combine(
        splits([day, pd.Timestamp("2021-07-20", tz=UTC)], [10.0, 4.0]),
        dividends([day, pd.Timestamp("2024-06-11", tz=UTC)], [0.01, 0.01]),
    )
    assert write_actions(storage, bucket, "NVDA", actions) == 4
    write_actions(storage, bucket, "NVDA", actions)
    write_actions(storage, bucket, "AAPL", splits([pd.Timestamp("2020-08-31", tz=UTC)], [4.0]))
    stored = read_actions(storage, bucket, "NVDA")
    pd.testing.assert_frame_equal(stored, actions, check_index_type=False, check_freq=False)
    assert stored.index.tz is not None and str(stored.index.tz) == UTC


def test_no_actions_read_as_an_empty_typed_frame(storage, bucket):
    assert read_actions(storage, bucket, "IBM").empty
    assert read_actions(storage, "t_no_such_bucket_here", "IBM").empty
    assert write_actions(storage, bucket, "IBM", splits([], [])) == 0


def test_writing_creates_the_bucket(storage, bucket):
    fresh = f"{bucket}_new"
    write_actions(storage, fresh, "KO", dividends([pd.Timestamp("2025-03-14", tz=UTC)], [0.51]))
    assert read_actions(storage, fresh, "KO")["amount"].tolist() == [0.51]
