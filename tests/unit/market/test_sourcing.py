"""Sourcing actions for a fetch: from the provider's rows, or from Alpha Vantage only when due."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.market.providers.alphavantage import AlphaVantageProvider
from shared.market.providers.alphavantage_actions import AlphaVantageActions
from shared.market.providers.demo import DemoProvider
from shared.market.providers.tiingo import TiingoProvider
from shared.market.sourcing import LastListing, actions_due, bars_and_actions, expected_ex_date

NOW = pd.Timestamp("2026-11-04 17:05", tz="UTC")
UTC = "UTC"


def test_providers_with_actions_in_their_rows_take_one_request(tiingo, tiingo_settings):
    tiingo.route("nvda", "daily.csv")
    sourced = bars_and_actions(TiingoProvider(tiingo_settings), "NVDA", "daily")
    assert len(sourced.bars) == 10 and len(sourced.actions) == 2 and sourced.requests == 1
    demo = bars_and_actions(DemoProvider(now=lambda: NOW), "NVDA", "daily")
    assert demo.actions["kind"].value_counts().to_dict()["split"] == 2


def av_with_actions(alphavantage, bars_fixture: bytes | str = "daily.csv") -> None:
    alphavantage.route(bars_fixture, function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("splits.json", function="SPLITS", symbol="IBM")
    alphavantage.route("dividends.json", function="DIVIDENDS", symbol="IBM")


def functions(alphavantage) -> list[str]:
    return [q["function"] for q in alphavantage.queries]


def test_alpha_vantage_lists_actions_when_a_history_is_first_fetched(alphavantage, av_settings):
    av_with_actions(alphavantage)
    sourced = bars_and_actions(
        AlphaVantageProvider(av_settings), "IBM", "daily", lister=AlphaVantageActions(av_settings)
    )
    assert functions(alphavantage) == ["TIME_SERIES_DAILY", "SPLITS", "DIVIDENDS"]
    assert sourced.requests == 3 and len(sourced.actions) == 10


def test_alpha_vantage_is_not_asked_again_for_ordinary_new_bars(alphavantage, av_settings):
    av_with_actions(alphavantage)
    provider = AlphaVantageProvider(av_settings)
    newest = provider.bars("IBM", "daily").iloc[:1]
    since = pd.Timestamp("2026-10-27", tz=UTC)
    sourced = bars_and_actions(
        provider,
        "IBM",
        "daily",
        since=since,
        newest_stored=newest,
        lister=AlphaVantageActions(av_settings),
        last_listing=LastListing(pd.Timestamp.now(tz=UTC), since),  # listed today
    )
    assert functions(alphavantage) == ["TIME_SERIES_DAILY", "TIME_SERIES_DAILY"]
    assert sourced.requests == 1 and sourced.actions.empty and len(sourced.bars) == 4


def test_a_move_like_a_split_since_the_newest_stored_bar_asks_for_actions(
    alphavantage, av_settings
):
    av_with_actions(alphavantage)
    provider = AlphaVantageProvider(av_settings)
    newest = provider.bars("IBM", "daily").iloc[:1] * 4  # stored before a 4-for-1 split
    sourced = bars_and_actions(
        provider,
        "IBM",
        "daily",
        since=pd.Timestamp("2026-10-27", tz=UTC),
        newest_stored=newest,
        lister=AlphaVantageActions(av_settings),
    )
    assert functions(alphavantage)[-2:] == ["SPLITS", "DIVIDENDS"] and sourced.requests == 3


def test_without_a_lister_or_for_intraday_no_actions_are_asked(alphavantage, av_settings):
    av_with_actions(alphavantage)
    alphavantage.route("intraday_5min.csv", function="TIME_SERIES_INTRADAY", symbol="IBM")
    provider = AlphaVantageProvider(av_settings)
    assert bars_and_actions(provider, "IBM", "daily").actions.empty
    lister = AlphaVantageActions(av_settings)
    assert bars_and_actions(provider, "IBM", "5min", lister=lister).actions.empty
    assert "SPLITS" not in functions(alphavantage)


def test_a_refused_listing_still_gives_the_bars(alphavantage, av_settings):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("limit_daily.json", function="SPLITS", symbol="IBM")
    sourced = bars_and_actions(
        AlphaVantageProvider(av_settings), "IBM", "daily", lister=AlphaVantageActions(av_settings)
    )
    assert len(sourced.bars) == 5 and sourced.actions.empty and sourced.requests == 3


# -- when Alpha Vantage's actions are listed again ---------------------------------------------

QUARTERLY = pd.DatetimeIndex(["2023-11-09", "2024-02-08", "2024-05-09"], tz="UTC")
NOW = pd.Timestamp("2024-06-20", tz="UTC")


def new_bars(first: str, last: str) -> pd.DataFrame:
    days = pd.bdate_range(first, last, tz="UTC", name="time")
    return pd.DataFrame({"open": 100.0, "close": 100.0}, index=days)


def listing(days_ago: float, as_of: str | None) -> LastListing:
    return LastListing(
        NOW - pd.Timedelta(days=days_ago), pd.Timestamp(as_of, tz="UTC") if as_of else None
    )


@pytest.mark.parametrize(
    ("since", "bars", "last", "words"),
    [
        (None, new_bars("2024-06-03", "2024-06-20"), None, "first fetch"),
        ("2024-06-18", new_bars("2024-06-19", "2024-06-20"), None, "never listed"),
        ("2024-06-18", new_bars("2024-06-19", "2024-06-20"), listing(30, "2024-05-20"), "30 days"),
        # the next ex-date is expected about 2024-08-08: a week before it, then the day after
        ("2024-07-31", new_bars("2024-08-01", "2024-08-02"), listing(2, "2024-07-31"), "expected"),
        ("2024-08-08", new_bars("2024-08-09", "2024-08-12"), listing(2, "2024-08-02"), "expected"),
    ],
)
def test_actions_are_listed_when_due(since, bars, last, words):
    since = pd.Timestamp(since, tz="UTC") if since else None
    reason = actions_due(since, bars, None, last, QUARTERLY, NOW)
    assert reason is not None and words in reason


@pytest.mark.parametrize(
    ("since", "bars", "last"),
    [
        ("2024-06-18", new_bars("2024-06-19", "2024-06-20"), listing(29, "2024-05-21")),
        ("2024-07-30", new_bars("2024-07-31", "2024-07-31"), listing(1, "2024-07-30")),
        ("2024-08-02", new_bars("2024-08-05", "2024-08-08"), listing(1, "2024-08-02")),
        ("2024-08-12", new_bars("2024-08-13", "2024-08-14"), listing(1, "2024-08-12")),
    ],
)
def test_actions_are_not_listed_again_before_they_are_due(since, bars, last):
    since = pd.Timestamp(since, tz="UTC")
    assert actions_due(since, bars, None, last, QUARTERLY, NOW) is None


def test_the_expected_ex_date_follows_a_regular_payers_interval_only():
    assert expected_ex_date(QUARTERLY) == pd.Timestamp("2024-08-08", tz="UTC")
    assert expected_ex_date(QUARTERLY[:1]) is None
    irregular = pd.DatetimeIndex(["2020-01-02", "2024-01-02"], tz="UTC")
    assert expected_ex_date(irregular) is None  # four years apart: not a regular payer


def stored(day: str, price: float) -> pd.DataFrame:
    """The newest stored bar, on `day`, at `price`."""
    return pd.DataFrame(
        {"open": price, "close": price}, index=pd.DatetimeIndex([day], tz="UTC", name="time")
    )


def test_a_move_like_a_split_asks_for_actions_even_when_they_were_just_listed():
    since, last = pd.Timestamp("2024-06-18", tz="UTC"), listing(1, "2024-06-18")
    bars = new_bars("2024-06-19", "2024-06-20")
    into = actions_due(since, bars, stored("2024-06-18", 400.0), last, QUARTERLY, NOW)
    assert into is not None and "split" in into  # the stored bar's close to the first new open
    within = bars.assign(open=[100.0, 50.0], close=[100.0, 50.0])  # 2-for-1 between new bars
    assert "split" in (actions_due(since, within, None, last, QUARTERLY, NOW) or "")
    assert actions_due(since, bars, stored("2024-06-18", 100.0), last, QUARTERLY, NOW) is None


def test_a_symbol_without_regular_dividends_is_listed_only_when_otherwise_due():
    since, bars = pd.Timestamp("2024-07-31", tz="UTC"), new_bars("2024-08-01", "2024-08-02")
    for dividends in (None, pd.DatetimeIndex([], tz="UTC"), QUARTERLY[:1]):
        assert actions_due(since, bars, None, listing(2, "2024-07-31"), dividends, NOW) is None


@pytest.mark.parametrize(
    ("since", "bars", "as_of", "due"),
    [
        # a listing refused since 07-25 (`since` moved on, the listing did not): tried again
        ("2024-08-02", new_bars("2024-08-05", "2024-08-06"), "2024-07-25", True),
        # a listing that covered the week-before day itself: not again until the day after
        ("2024-08-01", new_bars("2024-08-02", "2024-08-02"), "2024-08-01", False),
        # new bars reaching exactly a week before, then exactly the day after
        ("2024-07-31", new_bars("2024-08-01", "2024-08-01"), "2024-07-31", True),
        ("2024-08-08", new_bars("2024-08-09", "2024-08-09"), "2024-08-02", True),
        # a listing that says nothing of its bars: `since` is what it covered
        ("2024-07-31", new_bars("2024-08-01", "2024-08-02"), None, True),
        ("2024-08-02", new_bars("2024-08-05", "2024-08-08"), None, False),
    ],
    ids=["refused before", "covered the day", "a week before", "the day after", "no as_of", "no"],
)
def test_a_regular_payer_is_listed_from_what_its_last_listing_covered(since, bars, as_of, due):
    last = listing(1, as_of)
    reason = actions_due(pd.Timestamp(since, tz="UTC"), bars, None, last, QUARTERLY, NOW)
    assert (reason is not None and "expected" in reason) if due else reason is None


def test_the_usual_interval_is_the_median_of_the_last_four():
    gaps = [365, 91, 91, 100, 120]  # the oldest gap is left out; the last two alone say 110
    dates = pd.DatetimeIndex(
        pd.Timestamp("2022-01-03", tz="UTC") + pd.to_timedelta([0, *np.cumsum(gaps)], unit="D")
    )
    assert expected_ex_date(dates) == dates[-1] + pd.Timedelta(days=95.5)  # (91 + 100) / 2


@pytest.mark.parametrize(("days", "regular"), [(24, False), (25, True), (400, True), (401, False)])
def test_a_regular_interval_is_from_25_to_400_days_inclusive(days, regular):
    dates = pd.Timestamp("2023-01-02", tz="UTC") + pd.to_timedelta([0, days], unit="D")
    expected = expected_ex_date(pd.DatetimeIndex(dates))
    assert expected == (dates[-1] + pd.Timedelta(days=days) if regular else None)
