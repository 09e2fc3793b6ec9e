"""The Alpha Vantage provider against a local HTTP server answering in Alpha Vantage's formats."""

from __future__ import annotations

import dataclasses
import json
import traceback

import numpy as np
import pandas as pd
import pytest

from devstack.ports import free_port
from shared.contract.config import ProviderSettings
from shared.contract.errors import ProviderFailed, RateLimited, StocksError, Unprocessable
from shared.market.providers.alphavantage import AlphaVantageProvider, read_bars, refusal
from shared.market.providers.rows import check
from tests.support.fakes.alphavantage import API_KEY, assert_bars

DAILY = "TIME_SERIES_DAILY"
INTRADAY = "TIME_SERIES_INTRADAY"
UTC = "UTC"


def provider(settings: ProviderSettings, **changes) -> AlphaVantageProvider:
    return AlphaVantageProvider(dataclasses.replace(settings, **changes))


def utc(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps, tz=UTC, name="time").as_unit("ns")


# -- data --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["daily.csv", "daily.json"])
def test_daily_bars_are_stamped_at_utc_midnight_oldest_first(alphavantage, av_settings, fixture):
    alphavantage.route(fixture, function=DAILY, symbol="IBM")
    frame = provider(av_settings).bars("IBM", "daily")
    assert_bars(frame)
    assert frame.index.equals(
        utc("2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30", "2026-11-02")
    )
    assert frame.loc[pd.Timestamp("2026-11-02", tz=UTC)].to_dict() == {
        "open": 251.4, "high": 254.12, "low": 250.31, "close": 253.87, "volume": 4120988
    }  # fmt: skip


@pytest.mark.parametrize("fixture", ["intraday_5min.csv", "intraday_5min.json"])
def test_intraday_times_are_read_in_new_york_and_stored_in_utc_across_dst(
    alphavantage, av_settings, fixture
):
    alphavantage.route(fixture, function=INTRADAY, symbol="IBM", interval="5min")
    frame = provider(av_settings).bars("IBM", "5min")
    assert_bars(frame)
    # 2026-10-30 is EDT (UTC-4); US daylight saving ended on 2026-11-01, so 2026-11-02 is EST
    assert frame.index.equals(
        utc(
            "2026-10-30 13:30", "2026-10-30 13:35", "2026-10-30 19:55",
            "2026-11-02 14:30", "2026-11-02 14:35", "2026-11-02 20:55",
        )
    )  # fmt: skip
    assert frame.iloc[0].to_dict() == {
        "open": 249.05, "high": 249.7, "low": 248.11, "close": 249.6, "volume": 176002
    }  # fmt: skip


def test_csv_and_json_bodies_give_the_same_bars(alphavantage, av_settings):
    alphavantage.route("intraday_5min.csv", symbol="IBM")
    alphavantage.route("intraday_5min.json", symbol="JSON")
    av = provider(av_settings)
    pd.testing.assert_frame_equal(av.bars("IBM", "5min"), av.bars("JSON", "5min"))


def test_winter_and_summer_wall_clock_map_to_their_own_utc_offsets(alphavantage, av_settings):
    alphavantage.route(
        b"timestamp,open,high,low,close,volume\r\n"
        b"2026-11-25 09:30:00,10.0,10.5,9.5,10.2,100\r\n"
        b"2026-07-01 09:30:00,11.0,11.5,10.5,11.2,200\r\n",
        symbol="IBM",
    )
    frame = provider(av_settings).bars("IBM", "1min")
    assert frame.index.equals(utc("2026-07-01 13:30", "2026-11-25 14:30"))


def test_duplicate_times_leave_one_bar(alphavantage, av_settings):
    alphavantage.route(
        b"timestamp,open,high,low,close,volume\r\n"
        b"2026-10-30,1.0,2.0,0.5,1.5,10\r\n"
        b"2026-10-30,1.0,2.0,0.5,1.5,10\r\n"
        b"2026-10-29,1.1,2.1,0.6,1.6,11\r\n",
        symbol="IBM",
    )
    frame = provider(av_settings).bars("IBM", "daily")
    assert frame.index.equals(utc("2026-10-29", "2026-10-30"))


def test_a_header_without_rows_is_no_bars(alphavantage, av_settings):
    alphavantage.route(b"timestamp,open,high,low,close,volume\r\n", symbol="IBM")
    frame = provider(av_settings).bars("IBM", "daily")
    assert frame.empty
    assert_bars(frame)


@pytest.mark.parametrize("interval", ["daily", "5min"])
def test_since_keeps_only_later_bars(alphavantage, av_settings, interval):
    alphavantage.route("daily.csv", function=DAILY)
    alphavantage.route("intraday_5min.csv", function=INTRADAY)
    av = provider(av_settings)
    cut = pd.Timestamp("2026-10-30 13:30", tz=UTC)
    frame = av.bars("IBM", interval, since=cut)
    assert_bars(frame)
    assert not frame.empty and (frame.index > cut).all()
    assert len(frame) == len(av.bars("IBM", interval)[lambda f: f.index > cut])
    naive = av.bars("IBM", interval, since=cut.tz_localize(None))
    pd.testing.assert_frame_equal(frame, naive)


# -- what is asked -----------------------------------------------------------------------------


def test_daily_query_asks_csv_with_the_key(alphavantage, av_settings):
    alphavantage.route("daily.csv", function=DAILY)
    provider(av_settings).bars("IBM", "daily")
    assert alphavantage.queries == [
        {"function": DAILY, "symbol": "IBM", "datatype": "csv", "outputsize": "compact",
         "apikey": API_KEY}
    ]  # fmt: skip


RECENT = pd.Timestamp.now(tz=UTC).normalize() - pd.Timedelta(days=20)
OLD = pd.Timestamp("2020-01-02", tz=UTC)


@pytest.mark.parametrize(
    ("premium", "since", "outputsize"),
    [
        (False, None, "compact"),
        (False, RECENT, "compact"),
        (False, OLD, "compact"),  # a free key takes what compact gives
        (True, None, "full"),
        (True, OLD, "full"),
        (True, RECENT, "compact"),  # compact covers the last 100 trading days
    ],
)
def test_daily_outputsize_asks_only_for_what_is_missing(
    alphavantage, av_settings, premium, since, outputsize
):
    alphavantage.route("daily.csv", function=DAILY)
    provider(av_settings, alphavantage_premium=premium).bars("IBM", "daily", since=since)
    assert [q["outputsize"] for q in alphavantage.queries] == [outputsize]


def test_compact_is_asked_for_when_the_newest_bar_is_exactly_100_business_days_old(
    alphavantage, av_settings
):
    alphavantage.route("daily.csv", function=DAILY)
    since = pd.Timestamp.now(tz=UTC).normalize() - pd.offsets.BDay(100)
    provider(av_settings, alphavantage_premium=True).bars("IBM", "daily", since=since)
    assert [q["outputsize"] for q in alphavantage.queries] == ["compact"]


def test_each_request_is_metered_as_its_function_or_interval(alphavantage, av_settings):
    alphavantage.route("daily.csv", function=DAILY)
    alphavantage.route("intraday_5min.csv", function=INTRADAY, interval="5min")
    reserved: list[tuple[str, str]] = []

    class Meter:
        def reserve(self, symbol: str, kind: str):
            reserved.append((symbol, kind))
            return lambda status: None

    metered = AlphaVantageProvider(av_settings, Meter())
    metered.bars("IBM", "daily")
    metered.bars("IBM", "5min")
    assert reserved == [("IBM", DAILY), ("IBM", "5min")]


@pytest.mark.parametrize("month", [None, "2026-10"])
def test_intraday_query_asks_regular_hours_full_csv_and_passes_the_month(
    alphavantage, av_settings, month
):
    alphavantage.route("intraday_5min.csv", function=INTRADAY, interval="5min")
    provider(av_settings).bars("IBM", "5min", month=month)
    expected = {
        "function": INTRADAY, "symbol": "IBM", "interval": "5min", "datatype": "csv",
        "outputsize": "full", "extended_hours": "false", "apikey": API_KEY,
    }  # fmt: skip
    if month:
        expected["month"] = month
    assert alphavantage.queries == [expected]


def test_a_month_of_daily_bars_is_refused_without_asking(alphavantage, av_settings):
    with pytest.raises(Unprocessable) as caught:
        provider(av_settings).bars("IBM", "daily", month="2026-10")
    assert caught.value.status == 422 and "month" in caught.value.message
    assert alphavantage.queries == []


# -- failures ----------------------------------------------------------------------------------


def seconds_to_utc_midnight() -> float:
    now = pd.Timestamp.now(tz=UTC)
    return (now.normalize() + pd.Timedelta(days=1) - now).total_seconds()


@pytest.mark.parametrize(
    ("fixture", "interval", "error", "words"),
    [
        ("invalid_call.json", "daily", Unprocessable, "invalid"),
        ("invalid_key.json", "daily", ProviderFailed, "API key as invalid"),
        ("demo_key.json", "5min", ProviderFailed, "API key as invalid"),
        ("premium_outputsize.json", "daily", Unprocessable, "outputsize=full on TIME_SERIES_DAILY"),
        ("premium_endpoint.json", "5min", Unprocessable, "the TIME_SERIES_INTRADAY endpoint only"),
        ("limit_minute.json", "daily", RateLimited, "per-minute"),
        ("limit_burst.json", "5min", RateLimited, "per-minute"),
        ("limit_daily.json", "daily", RateLimited, "daily request limit"),
        ("limit_daily_thanks.json", "5min", RateLimited, "daily request limit"),
        ("unknown_message.json", "daily", ProviderFailed, "paused for scheduled maintenance"),
        ("maintenance.html", "daily", ProviderFailed, "HTML"),
        ("empty.txt", "daily", ProviderFailed, "empty"),
        ("truncated.csv", "5min", ProviderFailed, "truncated"),
        ("truncated.json", "daily", ProviderFailed, "truncated"),
        (b"Internal Server Error", "daily", ProviderFailed, "neither CSV nor JSON"),
        (b"[]", "daily", ProviderFailed, "neither CSV nor JSON"),
        (b'{"Time Series (Daily)": []}', "daily", ProviderFailed, "malformed time series"),
    ],
)  # fmt: skip
def test_each_answer_maps_to_its_typed_error_without_the_key(
    alphavantage, av_settings, fixture, interval, error, words
):
    alphavantage.route(fixture, symbol="IBM")
    with pytest.raises(StocksError) as caught:
        provider(av_settings).bars("IBM", interval)
    assert type(caught.value) is error
    assert words in caught.value.message
    assert_no_key(caught.value)


def intraday_json(meta: object, volumes: tuple[object, ...] = ("100",)) -> bytes:
    """A 5min time series with `meta` as its "Meta Data", a bar a volume from 10:00 on."""
    prices = {"1. open": "10", "2. high": "10", "3. low": "10", "4. close": "10"}
    series = {
        f"2026-11-02 10:{5 * n:02d}:00": {**prices, "5. volume": volume}
        for n, volume in enumerate(volumes)
    }
    return json.dumps({"Meta Data": meta, "Time Series (5min)": series}).encode()


@pytest.mark.parametrize("meta", [None, "IBM", ["6. Time Zone"]])
def test_metadata_that_is_not_an_object_means_new_york(meta):
    rows = read_bars(intraday_json(meta), "5min")
    assert rows.bars.index.tolist() == [pd.Timestamp("2026-11-02 15:00", tz=UTC)]  # 10:00 EST


def test_a_19_digit_json_volume_beside_a_missing_one_stays_exact():
    body = intraday_json({"6. Time Zone": "US/Eastern"}, (2**62 + 1, None))
    checked = check(read_bars(body, "5min"), None)
    assert checked.bars["volume"].tolist() == [2**62 + 1]


def av_csv(*rows: str, header: str = "timestamp,open,high,low,close,volume") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_of_rows_of_one_time_the_first_sent_is_kept_whatever_order_they_came_in():
    stamps = pd.date_range("2026-11-02 09:30", periods=78, freq="5min").append(
        pd.date_range("2026-11-03 09:30", periods=78, freq="5min")
    )
    shuffled = stamps[np.random.default_rng(1).permutation(len(stamps))]
    first = [f"{t:%Y-%m-%d %H:%M:%S},10,10,10,10,1" for t in shuffled]
    second = [f"{t:%Y-%m-%d %H:%M:%S},20,20,20,20,1" for t in shuffled]
    checked = check(read_bars(av_csv(*first, *second), "5min"), None)
    assert len(checked.bars) == len(stamps) and (checked.bars["close"] == 10.0).all()


def test_a_stamp_in_another_spelling_is_dropped_not_guessed():
    rows = ("11/02/2026,1,1,1,1,1", "2026-11-03,2,2,2,2,1")
    checked = check(read_bars(av_csv(*rows), "daily"), None)
    assert checked.bars.index.tolist() == [pd.Timestamp("2026-11-03", tz=UTC)]


def test_an_unreadable_intraday_stamp_is_counted_as_dropped():
    rows = ("2026-11-02 10:00:00,1,1,1,1,1", "soon,1,1,1,1,1")
    checked = check(read_bars(av_csv(*rows), "5min"), None)
    assert len(checked.bars) == 1 and "readable date" in checked.dropped.summary()


@pytest.mark.parametrize(
    "stamps",
    [("2026-11-02 10:00:00+00:00",), ("2026-11-02 10:00:00", "2026-11-02 10:05:00+00:00")],
    ids=["an offset", "with and without"],
)
def test_stamps_with_an_offset_are_refused_in_words(stamps):
    rows = [f"{stamp},1,1,1,1,1" for stamp in stamps]
    with pytest.raises(ProviderFailed, match="times it does not state clearly"):
        read_bars(av_csv(*rows), "5min")


def test_csv_cells_are_read_as_texts_so_a_large_volume_beside_a_bad_one_stays_exact():
    rows = ("2026-11-02,1,1,1,1,9007199254740993", "2026-11-03,1,1,1,1,1.5")
    checked = check(read_bars(av_csv(*rows), "daily"), None)
    assert checked.bars["volume"].tolist() == [9007199254740993]


def test_a_csv_with_an_unclosed_quote_is_malformed():
    with pytest.raises(ProviderFailed, match="malformed CSV"):
        read_bars(av_csv('2026-11-02,"1,1,1,1,1'), "daily")


def test_a_whole_csv_whose_last_row_lacks_a_value_is_read_and_only_that_row_dropped():
    rows = ("2026-11-02,1,1,1,1,100", "2026-11-03,1,1,1,1,")
    checked = check(read_bars(b"  \n" + av_csv(*rows), "daily"), None)  # leading blanks too
    assert len(checked.bars) == 1 and len(checked.dropped) == 1


def test_an_invalid_call_names_the_symbol(alphavantage, av_settings):
    alphavantage.route("invalid_call.json", symbol="IBM")
    with pytest.raises(Unprocessable, match=r"for IBM as invalid .*IBM is probably an unknown"):
        provider(av_settings).bars("IBM", "daily")


@pytest.mark.parametrize(
    ("document", "error", "words"),
    [
        ({"Error Message": "the parameter apikey is invalid."}, ProviderFailed, "API key"),
        ({}, ProviderFailed, "JSON without a time series"),
        ({"Information": "y" * 200}, ProviderFailed, ": " + "y" * 200),
        ({"Information": "z" * 300}, ProviderFailed, ": " + "z" * 199 + "\u2026"),
        ({"Note": f"key {API_KEY} paused"}, ProviderFailed, ": key *** paused"),
    ],
    ids=["apikey alone", "no time series", "200 kept", "300 cut", "key as stars"],
)
def test_a_refusal_reads_its_words_and_quotes_at_most_200_characters(document, error, words):
    refused = refusal(document, "daily", API_KEY, "IBM")
    assert type(refused) is error and words in refused.message


def test_the_daily_limit_resets_at_utc_midnight_whatever_the_local_zone(far_east):
    before = seconds_to_utc_midnight()
    limited = refusal({"Information": "25 requests per day"}, "daily", API_KEY, "IBM")
    after = seconds_to_utc_midnight()
    assert isinstance(limited, RateLimited) and after - 1 <= limited.retry_after <= before + 1


def test_rate_limit_retry_after_is_a_minute_or_until_utc_midnight(alphavantage, av_settings):
    alphavantage.route("limit_minute.json", symbol="MIN")
    alphavantage.route("limit_daily.json", symbol="DAY")
    av = provider(av_settings)
    with pytest.raises(RateLimited) as per_minute:
        av.bars("MIN", "daily")
    assert per_minute.value.status == 429 and per_minute.value.retry_after == 60
    before = seconds_to_utc_midnight()
    with pytest.raises(RateLimited) as per_day:
        av.bars("DAY", "daily")
    after = seconds_to_utc_midnight()
    assert after - 1 <= per_day.value.retry_after <= before + 1


@pytest.mark.parametrize("status", [500, 503, 404])
def test_http_errors_are_provider_failures(alphavantage, av_settings, status):
    alphavantage.route("daily.csv", symbol="IBM", status=status)
    with pytest.raises(ProviderFailed) as caught:
        provider(av_settings).bars("IBM", "daily")
    assert caught.value.status == 502 and str(status) in caught.value.message
    assert_no_key(caught.value)


def test_a_body_cut_short_of_its_content_length_is_a_provider_failure(alphavantage, av_settings):
    alphavantage.route("daily.csv", symbol="IBM", declared_length=10_000)
    with pytest.raises(ProviderFailed) as caught:
        provider(av_settings).bars("IBM", "daily")
    assert_no_key(caught.value)


def test_a_server_slower_than_the_timeout_is_a_provider_failure(alphavantage, av_settings):
    alphavantage.route("daily.csv", symbol="IBM", delay=30)
    with pytest.raises(ProviderFailed) as caught:
        provider(av_settings, timeout_seconds=0.3).bars("IBM", "daily")
    assert "did not answer within 0.3 s" in caught.value.message
    assert_no_key(caught.value)


def test_a_refused_connection_is_a_provider_failure(av_settings):
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(ProviderFailed) as caught:
        provider(av_settings, alphavantage_url=url).bars("IBM", "daily")
    assert caught.value.message.startswith("Alpha Vantage could not be reached")
    assert_no_key(caught.value)


def assert_no_key(error: StocksError) -> None:
    """Neither the message nor the whole printed traceback (causes included) shows the key."""
    assert API_KEY not in error.message
    assert API_KEY not in str(error)
    assert API_KEY not in "".join(traceback.format_exception(error))
