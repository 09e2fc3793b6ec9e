"""The provider boundary's own rules (`shared.market.providers.rows`), on hand-made read rows.

The property tests beside this module check that whatever a body holds, what is kept meets the
contract; these pin which rows and actions are dropped where the contract alone does not say:
a dividend against the close before its ex-date (in that date's share basis), booleans that are
not numbers, and how drops are counted and told.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from shared.market.actions import DIVIDEND, SPLIT
from shared.market.providers import rows

DAYS = pd.bdate_range("2024-06-03", periods=5, tz="UTC")  # Monday to Friday
NOW = pd.Timestamp("2024-06-10", tz="UTC")


def bars(closes: list[float], days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    """Checked bars with these closes on the first days."""
    index = days[: len(closes)].rename("time")
    close = np.asarray(closes, dtype="float64")
    return pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1000},
        index=index,
    )


def kept_dividends(
    dividend: dict[int, float],
    closes: list[float],
    split: dict[int, float] | None = None,
    before: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    days: pd.DatetimeIndex = DAYS,
) -> list[float]:
    """The dividends (by day number: amount) `check_actions` keeps beside bars with `closes`."""
    split = split or {}
    read = rows.read_actions(
        split=(DAYS[list(split)], np.array(list(split.values()))) if split else None,
        dividend=(DAYS[list(dividend)], np.array(list(dividend.values()))),
    )
    kept, _ = rows.check_actions(read, NOW, bars(closes, days), before)
    return kept[kept["kind"] == DIVIDEND]["amount"].tolist()


@pytest.mark.parametrize(
    ("dividend", "closes", "kept"),
    [
        ({2: 100.0}, [100.0] * 5, []),  # at the close before: dropped
        ({2: 99.5}, [100.0] * 5, [99.5]),
        ({2: 90.0}, [50.0, 100.0, 200.0, 300.0, 400.0], [90.0]),  # the close before, not earlier
        ({2: 150.0}, [50.0, 100.0, 200.0, 300.0, 400.0], []),  # ... nor the ex-date's or later
        ({2: 0.6}, [0.5] * 5, []),  # a stock below 1 too
    ],
    ids=["at the close", "below", "not two before", "not on or after", "below 1"],
)
def test_a_dividend_not_below_the_close_before_its_ex_date_is_dropped(
    dividend: dict[int, float], closes: list[float], kept: list[float]
) -> None:
    assert kept_dividends(dividend, closes) == kept


@pytest.mark.parametrize(
    ("ratio", "amount", "kept"),
    [
        (2.0, 60.0, False),  # the close before is 50 in the ex-date's shares
        (0.5, 150.0, True),  # a reverse split: 200
        (0.0, 150.0, False),  # an impossible split divides nothing: 100
        (0.0, 80.0, True),
    ],
    ids=["split", "reverse split", "impossible split, above", "impossible split, below"],
)
def test_a_dividend_beside_a_split_is_weighed_in_the_ex_date_s_share_basis(
    ratio: float, amount: float, kept: bool
) -> None:
    assert kept_dividends({2: amount}, [100.0] * 5, split={2: ratio}) == ([amount] if kept else [])


def test_a_dividend_without_a_known_bar_before_or_after_it_is_kept_and_others_still_weighed() -> (
    None
):
    assert kept_dividends({0: 500.0, 3: 500.0}, [100.0] * 5) == [500.0]  # first: none before it
    assert kept_dividends({4: 500.0}, [100.0] * 3) == [500.0]  # none after it: a gap may hide one


@pytest.mark.parametrize("callable_", [False, True], ids=["frame", "callable"])
def test_a_dividend_on_the_first_new_bar_is_weighed_against_the_newest_stored_close(
    callable_: bool,
) -> None:
    stored = bars([10.0])  # Monday's, stored already
    before = (lambda: stored) if callable_ else stored
    new = [100.0] * 4
    assert kept_dividends({1: 50.0}, new, before=before, days=DAYS[1:]) == []
    assert kept_dividends({1: 5.0}, new, before=before, days=DAYS[1:]) == [5.0]


def test_read_actions_give_each_kind_only_its_own_value() -> None:
    read = rows.read_actions(
        split=(DAYS[:1], np.array([2.0])), dividend=(DAYS[1:2], np.array([0.5]))
    )
    assert read["kind"].tolist() == [SPLIT, DIVIDEND]
    assert read["ratio"].tolist()[0] == 2.0 and np.isnan(read["ratio"].tolist()[1])
    assert np.isnan(read["amount"].tolist()[0]) and read["amount"].tolist()[1] == 0.5
    assert str(read["ratio"].dtype) == str(read["amount"].dtype) == "float64"


def test_booleans_are_neither_prices_nor_volumes() -> None:
    cells = pd.Series([2.5, True, False, None, "3", np.float32(1.5)], dtype=object)
    assert rows.numbers(cells).tolist()[:1] + rows.numbers(cells).tolist()[4:] == [2.5, 3.0, 1.5]
    assert np.isnan(rows.numbers(cells)[1:4]).all()
    volumes = pd.Series([10, True, False, None, "7"], dtype=object)
    assert rows.whole_numbers(volumes).tolist() == [10, pd.NA, pd.NA, pd.NA, 7]


def test_a_bad_bar_and_a_bad_action_are_both_counted_and_told() -> None:
    read = rows.Rows(
        bars=bars([100.0, 100.0, -1.0]),
        now=NOW,
        actions=rows.read_actions(split=(DAYS[:1], np.array([0.0]))),
    )
    checked = rows.check(read)
    assert len(checked.bars) == 2 and checked.actions.empty
    assert len(checked.dropped) == 2
    assert checked.dropped.summary() == (
        "Dropped 2 impossible provider rows or actions: "
        "bar with a price infinite, zero or negative (1), split with a ratio not from 0.0001 "
        "to 10000 (1)."
    )


class Fixed(rows.Source):
    """A provider whose answer is given."""

    name = "fixed"

    def __init__(self, answer: rows.Rows) -> None:
        self.answer = answer

    def rows(self, symbol, interval, *, since=None, month=None) -> rows.Rows:
        return self.answer


def test_a_provider_weighs_a_dividend_on_its_first_new_bar_against_the_stored_close() -> None:
    dividend = rows.read_actions(dividend=(DAYS[1:2], np.array([50.0])))
    provider = Fixed(rows.Rows(bars=bars([100.0] * 4, DAYS[1:]), now=NOW, actions=dividend))
    checked = provider.checked("IBM", "daily", since=DAYS[0], before=bars([10.0]))
    assert checked.actions.empty and len(checked.dropped) == 1
    assert provider.checked("IBM", "daily", since=DAYS[0]).actions["amount"].tolist() == [50.0]


def test_each_impossible_bar_is_dropped_for_its_first_reason_and_the_rest_kept() -> None:
    frame = pd.DataFrame(
        {
            "open": [100.0, 100.0, np.nan, -1.0, 100.0, 100.0, 100.0, 100.0],
            "high": [101.0, 101.0, 101.0, 101.0, 90.0, 101.0, 101.0, 101.0],
            "low": [99.0, 99.0, 99.0, 99.0, 99.0, 99.0, 99.0, 99.0],
            "close": [100.0] * 8,
            "volume": [0, 5, 5, 5, 5, -7, 5, 5],
        },
        index=pd.DatetimeIndex(
            [*pd.bdate_range("2024-06-03", periods=6), pd.NaT, "1899-12-29"], name="time"
        ),  # naive: taken as UTC
    )
    kept, dropped = rows.check_bars(frame, NOW)
    assert list(kept.index) == list(DAYS[:2]) and kept["volume"].tolist() == [0, 5]
    assert dict(dropped.reasons) == {
        "bar with a price missing or not a number": 1,
        "bar with a price infinite, zero or negative": 1,
        "bar with its high below its low": 1,
        "bar with a volume not a whole number in int64": 1,
        "bar without a readable date": 1,
        "bar dated before 1900": 1,
    }


def test_a_bar_already_stored_is_neither_kept_nor_dropped_again() -> None:
    frame = bars([-1.0, -1.0, 100.0])  # impossible before `since` and at it
    kept, dropped = rows.check_bars(frame, NOW, since=DAYS[1])
    assert list(kept.index) == [DAYS[2]] and len(dropped) == 0


def test_whole_numbers_keep_zero_and_refuse_negatives_in_an_integer_column() -> None:
    assert rows.whole_numbers(pd.Series([0, 5, -7])).tolist() == [0, 5, pd.NA]


def test_each_impossible_action_is_dropped_for_its_reason() -> None:
    read = pd.DataFrame(
        {
            "kind": [SPLIT, SPLIT, SPLIT, SPLIT, DIVIDEND, DIVIDEND, "merger", DIVIDEND],
            "ratio": [1e-4, 1e4, 0.99e-4, 1.01e4, np.nan, np.nan, np.nan, np.nan],
            "amount": [np.nan, np.nan, np.nan, np.nan, 0.5, -0.5, 1.0, 0.5],
        },
        index=pd.DatetimeIndex([*DAYS, DAYS[0], DAYS[1], pd.NaT], name="time"),
    )
    kept, dropped = rows.check_actions(read, NOW)
    assert kept["ratio"].dropna().tolist() == [1e-4, 1e4]  # the bounds are plausible
    assert kept["amount"].dropna().tolist() == [0.5]
    assert dict(dropped.reasons) == {
        "split with a ratio not from 0.0001 to 10000": 2,
        "dividend not a positive finite amount": 1,
        "action of an unknown kind": 1,
        "action without a readable ex-date": 1,
    }


def test_the_dividend_dropped_against_the_close_says_so() -> None:
    read = rows.read_actions(dividend=(DAYS[2:3], np.array([100.0])))
    kept, dropped = rows.check_actions(read, NOW, bars([100.0] * 5))
    assert kept.empty and dict(dropped.reasons) == {"dividend not below the close before it": 1}


def test_a_bar_on_either_bound_of_the_dates_is_kept() -> None:
    latest = NOW + rows.LATEST_AHEAD
    frame = bars([100.0, 100.0], pd.DatetimeIndex([rows.EARLIEST, latest]))
    kept, dropped = rows.check_bars(frame, NOW)
    assert list(kept.index) == [rows.EARLIEST, latest] and len(dropped) == 0


def test_a_column_of_booleans_is_no_prices_and_a_large_volume_beside_a_gap_stays_exact() -> None:
    assert np.isnan(rows.numbers(pd.Series([True, False]))).all()
    volumes = pd.Series([str(rows.MAX_VOLUME), None], dtype=object)
    assert rows.whole_numbers(volumes).tolist() == [rows.MAX_VOLUME, pd.NA]


def test_of_rows_of_one_time_the_first_sent_is_kept_whatever_order_they_came_in() -> None:
    days = pd.date_range("2020-01-01", periods=400, freq="D", tz="UTC")
    shuffled = days[np.random.default_rng(1).permutation(len(days))]
    first, second = bars([10.0] * 400, shuffled), bars([20.0] * 400, shuffled)
    kept, _ = rows.check_bars(pd.concat([first, second]), NOW)
    assert list(kept.index) == list(days) and (kept["close"] == 10.0).all()
