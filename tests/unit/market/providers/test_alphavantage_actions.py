"""Alpha Vantage's SPLITS and DIVIDENDS from a local server, in their documented form."""

from __future__ import annotations

import json
import traceback

import pandas as pd
import pytest

from shared.contract.errors import ProviderFailed, RateLimited, StocksError, Unprocessable
from shared.market.providers.alphavantage_actions import AlphaVantageActions
from shared.market.providers.rows import check_actions
from tests.support.fakes.alphavantage import API_KEY

UTC = "UTC"


def test_splits_and_dividends_are_two_requests_and_one_frame(alphavantage, av_settings):
    alphavantage.route("splits.json", function="SPLITS", symbol="NVDA")
    alphavantage.route("dividends.json", function="DIVIDENDS", symbol="NVDA")
    actions, dropped = check_actions(
        AlphaVantageActions(av_settings).actions("NVDA"), pd.Timestamp("2024-06-15", tz=UTC)
    )
    assert not dropped
    assert [q["function"] for q in alphavantage.queries] == ["SPLITS", "DIVIDENDS"]
    assert all(q["apikey"] == API_KEY for q in alphavantage.queries)
    assert actions.index.is_monotonic_increasing
    splits = actions[actions["kind"] == "split"]
    assert splits["ratio"].tolist() == [2.0, 2.0, 2.0, 1.5, 4.0, 10.0]
    assert splits.index[-1] == pd.Timestamp("2024-06-10", tz=UTC)
    dividends = actions[actions["kind"] == "dividend"]
    assert dividends["amount"].tolist() == [0.075, 0.04, 0.01, 0.01]
    assert dividends.index[0] == pd.Timestamp("2012-11-20", tz=UTC)  # its other dates read None


@pytest.mark.parametrize("fixture", ["splits_none.json", "actions_empty.json"])
def test_a_symbol_without_actions_has_none(alphavantage, av_settings, fixture):
    alphavantage.route(fixture, function="SPLITS", symbol="ABNB")
    assert AlphaVantageActions(av_settings).splits("ABNB").empty


def test_no_dividends_is_an_empty_frame(alphavantage, av_settings):
    alphavantage.route("dividends_none.json", function="DIVIDENDS", symbol="ABNB")
    assert AlphaVantageActions(av_settings).dividends("ABNB").empty


@pytest.mark.parametrize(
    ("fixture", "expected", "words"),
    [
        ("limit_daily.json", RateLimited, "daily request limit"),
        ("limit_burst.json", RateLimited, "per-minute"),
        ("premium_endpoint.json", Unprocessable, "SPLITS only to premium"),
        ("invalid_key.json", ProviderFailed, "ALPHAVANTAGE_API_KEY"),
        ("invalid_call.json", Unprocessable, "NVDA is probably an unknown symbol"),
        ("truncated.json", ProviderFailed, "malformed JSON"),
        (b"[]", ProviderFailed, "not an object"),
        (b'{"data": {"effective_date": "2024-06-10"}}', ProviderFailed, "malformed data"),
        (b'{"data": ["2024-06-10"]}', ProviderFailed, "malformed data"),
    ],
)
def test_refusals_are_typed_by_the_contract(alphavantage, av_settings, fixture, expected, words):
    alphavantage.route(fixture, function="SPLITS", symbol="NVDA")
    with pytest.raises(expected) as caught:
        AlphaVantageActions(av_settings).splits("NVDA")
    assert words in caught.value.message


@pytest.mark.parametrize("function", ["SPLITS", "DIVIDENDS"])
def test_the_key_never_appears_in_an_error(alphavantage, av_settings, function):
    alphavantage.route("unknown_message.json", function=function, symbol="NVDA")
    with pytest.raises(StocksError) as caught:
        getattr(AlphaVantageActions(av_settings), function.lower())("NVDA")
    assert "maintenance" in caught.value.message
    assert API_KEY not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize("function", ["SPLITS", "DIVIDENDS"])
def test_an_invalid_call_names_the_function_and_the_symbol(alphavantage, av_settings, function):
    alphavantage.route("invalid_call.json", function=function, symbol="NVDA")
    with pytest.raises(Unprocessable) as caught:
        getattr(AlphaVantageActions(av_settings), function.lower())("NVDA")
    assert caught.value.message == (
        f"Alpha Vantage refused {function} for NVDA as invalid: NVDA is probably an unknown symbol."
    )


def test_both_requests_are_metered_for_the_symbol(alphavantage, av_settings):
    alphavantage.route("splits.json", function="SPLITS", symbol="NVDA")
    alphavantage.route("dividends.json", function="DIVIDENDS", symbol="NVDA")
    reserved: list[tuple[str, str]] = []

    class Meter:
        def reserve(self, symbol: str, kind: str):
            reserved.append((symbol, kind))
            return lambda status: None

    AlphaVantageActions(av_settings, Meter()).actions("NVDA")
    assert reserved == [("NVDA", "SPLITS"), ("NVDA", "DIVIDENDS")]


def test_a_dividend_of_one_is_listed_and_one_of_zero_is_not(alphavantage, av_settings):
    rows = [
        {"ex_dividend_date": "2024-06-10", "amount": "1.0000"},
        {"ex_dividend_date": "2024-03-11", "amount": "0.0000"},
    ]
    alphavantage.route(
        json.dumps({"symbol": "NVDA", "data": rows}).encode(), function="DIVIDENDS", symbol="NVDA"
    )
    listed = AlphaVantageActions(av_settings).dividends("NVDA")
    actions, dropped = check_actions(listed, pd.Timestamp("2024-06-15", tz=UTC))
    assert actions["amount"].tolist() == [1.0] and not dropped


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"effective_date": "soon", "split_factor": "2"}, "readable ex-date"),
        ({"effective_date": None, "split_factor": "2"}, "readable ex-date"),
        ({"effective_date": "06/10/2024", "split_factor": "2"}, "readable ex-date"),  # not guessed
        ({"effective_date": "1600-01-01", "split_factor": "2"}, "dated before 1900"),
        ({"effective_date": "2024-06-10", "split_factor": "Infinity"}, "ratio"),
        ({"effective_date": "2024-06-10", "split_factor": "1e300"}, "ratio"),
        ({"effective_date": "2024-06-10", "split_factor": "0"}, "ratio"),
        ({"effective_date": "2024-06-10", "split_factor": "-2"}, "ratio"),
        ({"effective_date": "2024-06-10", "split_factor": "1e-200"}, "ratio"),
    ],
)
def test_impossible_listed_actions_are_dropped_and_the_rest_kept(
    alphavantage, av_settings, row, words
):
    good = {"effective_date": "2021-07-20", "split_factor": "4.0000"}
    alphavantage.route(
        f'{{"symbol": "NVDA", "data": [{json.dumps(row)}, {json.dumps(good)}]}}'.encode(),
        function="SPLITS",
        symbol="NVDA",
    )
    listed = AlphaVantageActions(av_settings).splits("NVDA")
    actions, dropped = check_actions(listed, pd.Timestamp("2024-06-15", tz=UTC))
    assert actions.index.tolist() == [pd.Timestamp("2021-07-20", tz=UTC)]
    assert len(dropped) == 1 and words in dropped.summary()
