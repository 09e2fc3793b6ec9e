"""The Tiingo provider against a local HTTP server answering in Tiingo's documented formats."""

from __future__ import annotations

import dataclasses
import json
import traceback

import numpy as np
import pandas as pd
import pytest

from devstack.ports import free_port
from shared.contract.config import ProviderSettings, Settings
from shared.contract.errors import (
    ConfigError,
    ProviderFailed,
    RateLimited,
    StocksError,
    Unprocessable,
)
from shared.market.actions import adjusted
from shared.market.providers import provider_for
from shared.market.providers.tiingo import (
    NAME_LIMIT,
    TiingoProvider,
    parse_daily,
    read_daily,
    refusal,
)
from shared.runtime.services import Services
from tests.support.fakes.alphavantage import assert_bars
from tests.support.fakes.tiingo import API_KEY, Answer, body

UTC = "UTC"
SPLIT_DAY = pd.Timestamp("2024-06-10", tz=UTC)
DIVIDEND_DAY = pd.Timestamp("2024-06-11", tz=UTC)


def provider(settings: ProviderSettings, **changes) -> TiingoProvider:
    return TiingoProvider(dataclasses.replace(settings, **changes))


def documented_rows() -> pd.DataFrame:
    """The JSON fixture's rows as Tiingo lists them, raw and adjusted, indexed by date."""
    rows = pd.DataFrame(json.loads(body("daily.json")))
    return rows.set_index(pd.DatetimeIndex(pd.to_datetime(rows.pop("date")), name="time"))


# -- data --------------------------------------------------------------------------------------


def test_daily_bars_are_raw_and_stamped_at_utc_midnight(tiingo, tiingo_settings):
    tiingo.route("nvda", "daily.csv")
    checked = provider(tiingo_settings).checked("NVDA", "daily")
    bars, actions = checked.bars, checked.actions
    assert_bars(bars)
    assert len(bars) == 10 and bars.index[0] == pd.Timestamp("2024-06-03", tz=UTC)
    assert bars.loc[pd.Timestamp("2024-06-07", tz=UTC)].to_dict() == {
        "open": 1197.7, "high": 1216.92, "low": 1180.22, "close": 1208.88, "volume": 41238600
    }  # fmt: skip
    assert bars.loc[SPLIT_DAY, "close"] == 121.79  # raw: the split's drop is kept
    assert actions.index.tolist() == [SPLIT_DAY, DIVIDEND_DAY]
    assert actions["kind"].tolist() == ["split", "dividend"]
    assert actions.loc[SPLIT_DAY, "ratio"] == 10.0
    assert actions.loc[DIVIDEND_DAY, "amount"] == 0.01


def test_the_token_travels_in_the_header_and_the_whole_history_is_asked_once(
    tiingo, tiingo_settings
):
    tiingo.route("nvda", "daily.csv")
    provider(tiingo_settings).bars("NVDA", "daily")
    [request] = tiingo.requests
    assert request.authorization == f"Token {API_KEY}"
    assert "token" not in request.query
    assert request.query == {"startDate": "1950-01-01", "format": "csv"}


def test_json_and_csv_answers_give_the_same_bars_and_actions():
    from_csv = parse_daily(200, body("daily.csv"))
    from_json = parse_daily(200, body("daily.json"))
    pd.testing.assert_frame_equal(from_csv.bars, from_json.bars)
    pd.testing.assert_frame_equal(from_csv.actions, from_json.actions)


def test_adjusting_the_raw_bars_by_their_actions_gives_tiingos_adjusted_columns():
    daily = parse_daily(200, body("daily.json"))
    ours = adjusted(daily.bars, daily.actions)
    theirs = documented_rows()
    for column in ("open", "high", "low", "close"):
        adjusted_column = "adj" + column.capitalize()
        np.testing.assert_allclose(ours[column], theirs[adjusted_column], rtol=1e-9)
    np.testing.assert_array_equal(ours["volume"], theirs["adjVolume"])


def test_only_the_days_after_the_newest_stored_bar_are_asked_for(tiingo, tiingo_settings):
    tiingo.route("nvda", "daily.csv")
    since = pd.Timestamp("2024-06-10", tz=UTC)
    checked = provider(tiingo_settings).checked("NVDA", "daily", since=since)
    bars, actions = checked.bars, checked.actions
    assert tiingo.requests[0].query["startDate"] == "2024-06-11"
    assert bars.index.min() == DIVIDEND_DAY and len(bars) == 4
    assert actions.index.tolist() == [DIVIDEND_DAY]  # the split belongs to a bar already stored


def test_today_is_asked_for_once_yesterday_is_stored_and_not_once_today_is(tiingo, tiingo_settings):
    tiingo.route("nvda", "empty.csv")
    today = pd.Timestamp.now(tz=UTC).normalize()
    tiingo_provider = provider(tiingo_settings)
    tiingo_provider.bars("NVDA", "daily", since=today - pd.Timedelta(days=1))
    assert [r.query["startDate"] for r in tiingo.requests] == [f"{today:%Y-%m-%d}"]
    checked = tiingo_provider.checked("NVDA", "daily", since=today)
    assert_bars(checked.bars)
    assert checked.bars.empty and checked.actions.empty and len(tiingo.requests) == 1


def test_a_month_is_refused_for_daily_bars_and_intraday_is_refused_as_iex_s():
    settings = ProviderSettings(name="tiingo", tiingo_api_key=API_KEY, tiingo_url="http://x")
    with pytest.raises(Unprocessable, match="month"):
        TiingoProvider(settings).bars("NVDA", "daily", month="2024-06")
    with pytest.raises(Unprocessable, match="IEX"):
        TiingoProvider(settings).bars("NVDA", "5min", month="2024-06")


HEADER = (
    "date,close,high,low,open,volume,adjClose,adjHigh,adjLow,adjOpen,adjVolume,divCash,splitFactor"
)


def csv_rows(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_split_without_a_dividend_is_an_action():
    row = "2024-06-10,1,1,1,1,100,1,1,1,1,100,0.0,10.0"
    checked = parse_daily(200, csv_rows(row))
    assert checked.actions["kind"].tolist() == ["split"]


def test_csv_cells_are_read_as_texts_so_a_large_volume_beside_a_bad_one_stays_exact():
    big = "2024-06-10,1,1,1,1,9007199254740993,1,1,1,1,1,0.0,1.0"
    bad = "2024-06-11,1,1,1,1,1.5,1,1,1,1,1,0.0,1.0"
    assert parse_daily(200, csv_rows(big, bad)).bars["volume"].tolist() == [9007199254740993]


def test_a_date_in_another_spelling_is_dropped_not_guessed():
    other = "06/10/2024,1,1,1,1,100,1,1,1,1,100,0.0,1.0"
    iso = "2024-06-11,2,2,2,2,100,2,2,2,2,100,0.0,1.0"
    checked = parse_daily(200, csv_rows(other, iso))
    assert checked.bars.index.tolist() == [pd.Timestamp("2024-06-11", tz=UTC)]
    assert "readable date" in checked.dropped.summary()


def test_a_csv_without_a_column_tiingo_always_sends_is_malformed():
    header = HEADER.removesuffix(",divCash,splitFactor")
    with pytest.raises(ProviderFailed, match="malformed CSV"):
        read_daily(200, csv_rows("2024-06-10,1,1,1,1,100,1,1,1,1,100", header=header))


@pytest.mark.parametrize("fixture", ["empty.json", "empty.csv"])
def test_no_new_rows_are_no_bars_and_no_actions(tiingo, tiingo_settings, fixture):
    tiingo.route("nvda", fixture)
    since = pd.Timestamp("2024-06-14", tz=UTC)
    checked = provider(tiingo_settings).checked("NVDA", "daily", since=since)
    bars, actions = checked.bars, checked.actions
    assert_bars(bars)
    assert bars.empty and actions.empty


def test_a_class_share_symbol_is_asked_for_in_tiingos_spelling(tiingo, tiingo_settings):
    tiingo.route("brk-b", "daily.csv")
    assert len(provider(tiingo_settings).bars("BRK.B", "daily")) == 10
    assert tiingo.requests[0].ticker == "brk-b"


def test_rows_without_a_price_are_dropped_not_fatal():
    text = body("daily.csv").decode().replace("1164.37,1165.81,1145.0,1160.0", ",,,", 1)
    assert len(parse_daily(200, text.encode()).bars) == 9


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "status", "expected", "words"),
    [
        ("limit_hourly.txt", 200, RateLimited, "hourly"),
        ("limit_hourly_429.json", 429, RateLimited, "hourly"),
        ("limit_daily.txt", 200, RateLimited, "daily"),
        ("limit_symbols.txt", 200, RateLimited, "distinct symbols"),
        ("unknown_ticker.json", 404, Unprocessable, "does not know the ticker NVDA"),
        ("invalid_token.json", 401, ProviderFailed, "TIINGO_API_KEY"),
        ("missing_token.json", 401, ProviderFailed, "TIINGO_API_KEY"),
        ("maintenance.html", 502, ProviderFailed, "HTML"),
        ("truncated.csv", 200, ProviderFailed, "malformed CSV"),
        ("truncated.json", 200, ProviderFailed, "malformed JSON"),
        (b"", 200, ProviderFailed, "without rows"),
        (b"", 503, ProviderFailed, "HTTP 503"),
        (b"{}", 200, ProviderFailed, "HTTP 200"),
    ],
)
def test_each_refusal_is_typed_by_the_contract(
    tiingo, tiingo_settings, fixture, status, expected, words
):
    tiingo.route("nvda", fixture, status=status)
    with pytest.raises(expected) as caught:
        provider(tiingo_settings).bars("NVDA", "daily")
    assert words in caught.value.message
    assert (
        caught.value.status == {RateLimited: 429, Unprocessable: 422, ProviderFailed: 502}[expected]
    )


@pytest.mark.parametrize(
    ("status", "text", "expected", "words"),
    [
        (200, b"You have run over your 500 symbol look up.", RateLimited, "distinct symbols"),
        (200, b"Too many symbols requested this month.", RateLimited, "distinct symbols"),
        (200, b"Your monthly plan: upgrade for the hourly allocation", RateLimited, "hourly"),
        (200, b"Rate limit reached.", RateLimited, "hourly"),
        (200, b"Too many requests.", RateLimited, "hourly"),
        (404, b'{"detail": "Not found."}', ProviderFailed, "a message: Not found."),
        (400, b'{"detail": "Ticker symbol malformed"}', ProviderFailed, "Ticker symbol malformed"),
        (401, b"", ProviderFailed, "TIINGO_API_KEY"),
        (403, b"Forbidden", ProviderFailed, "TIINGO_API_KEY"),
        (200, b"Your token is not allowed here", ProviderFailed, "TIINGO_API_KEY"),
        (404, b"No such page", ProviderFailed, "HTTP 404 without rows but a message: No such page"),
        (400, b'{"error": "Something odd"}', ProviderFailed, "a message: Something odd"),
        (400, b'{"detail": "a", "error": "b"}', ProviderFailed, "a message: a b"),
    ],
    ids=[
        "look up alone", "symbols a month", "month alone", "rate limit", "too many",
        "not found without a ticker", "a ticker without not found", "401", "403",
        "token at 200", "404", "error", "detail and error",
    ],
)  # fmt: skip
def test_each_of_tiingos_words_is_read_on_its_own(status, text, expected, words):
    error = refusal(status, text, API_KEY, "NVDA")
    assert isinstance(error, expected) and words in error.message


def test_a_limit_named_after_a_long_preamble_is_still_a_limit():
    text = b"x" * 600 + b" You have run over your daily request allocation."
    error = refusal(200, text, API_KEY, "NVDA")
    assert isinstance(error, RateLimited) and "daily" in error.message


def test_a_quoted_message_is_cut_to_200_characters_and_the_token_shown_as_stars():
    whole = refusal(400, b"y" * 200, API_KEY, "NVDA").message
    assert whole.endswith(": " + "y" * 200)
    cut = refusal(400, b"z" * 300, API_KEY, "NVDA").message
    assert cut.endswith(": " + "z" * 199 + "\u2026")
    echo = refusal(400, f"request {API_KEY} refused".encode(), API_KEY, "NVDA").message
    assert echo.endswith(": request *** refused")


def test_limits_are_retried_when_their_window_resets_in_utc(far_east):
    now = pd.Timestamp.now(tz=UTC)
    to_midnight = (now.normalize() + pd.Timedelta(days=1) - now).total_seconds()
    to_next_month = ((now.normalize() + pd.offsets.MonthBegin(1)).normalize() - now).total_seconds()
    daily = refusal(200, body("limit_daily.txt"), API_KEY, "NVDA")
    monthly = refusal(200, body("limit_symbols.txt"), API_KEY, "NVDA")
    hourly = refusal(200, body("limit_hourly.txt"), API_KEY, "NVDA")
    assert isinstance(daily, RateLimited) and abs(daily.retry_after - to_midnight) <= 2
    assert isinstance(monthly, RateLimited) and abs(monthly.retry_after - to_next_month) <= 2
    assert isinstance(hourly, RateLimited) and hourly.retry_after == 3600


def test_a_list_that_is_not_of_rows_is_refused_in_words():
    with pytest.raises(ProviderFailed, match="a list that is not one of price rows"):
        read_daily(200, b"[1, 2]")


def test_a_19_digit_volume_beside_a_missing_one_stays_exact_in_json():
    rows = [
        {"date": "2024-06-10", "open": 1, "high": 1, "low": 1, "close": 1, "volume": 2**62 + 1},
        {"date": "2024-06-11", "open": 1, "high": 1, "low": 1, "close": 1, "volume": None},
    ]
    checked = parse_daily(200, json.dumps(rows).encode())
    assert checked.bars["volume"].tolist() == [2**62 + 1]


def test_limits_answered_with_http_200_are_read_from_the_body(tiingo, tiingo_settings):
    tiingo.route("nvda", "limit_hourly.txt", status=200)
    with pytest.raises(RateLimited) as caught:
        provider(tiingo_settings).bars("NVDA", "daily")
    assert 0 < caught.value.retry_after <= 3600


def test_the_token_never_appears_in_an_error_or_its_traceback(tiingo, tiingo_settings):
    echo = json.dumps({"detail": f"Error: request {API_KEY} could not be served"}).encode()
    tiingo.route("nvda", echo, status=400)
    with pytest.raises(StocksError) as caught:
        provider(tiingo_settings).bars("NVDA", "daily")
    assert "***" in caught.value.message
    assert API_KEY not in "".join(traceback.format_exception(caught.value))


def test_a_server_slower_than_the_timeout_is_a_provider_failure(tiingo, tiingo_settings):
    tiingo.route("nvda", "daily.csv", delay=5)
    with pytest.raises(ProviderFailed, match=r"did not answer within 0\.3 s"):
        provider(tiingo_settings, timeout_seconds=0.3).bars("NVDA", "daily")


def test_a_refused_connection_is_a_provider_failure(tiingo_settings):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderFailed, match=r"^Tiingo could not be reached") as caught:
        provider(tiingo_settings, tiingo_url=url).bars("NVDA", "daily")
    assert API_KEY not in "".join(traceback.format_exception(caught.value))


def test_intraday_is_refused_without_asking(tiingo, tiingo_settings):
    with pytest.raises(Unprocessable, match="daily bars"):
        provider(tiingo_settings).bars("NVDA", "5min")
    assert tiingo.requests == []


def test_the_provider_needs_its_token(tiingo_settings):
    with pytest.raises(ConfigError, match="TIINGO_API_KEY"):
        provider(tiingo_settings, tiingo_api_key=None)


# -- configuration -----------------------------------------------------------------------------


def test_a_tiingo_key_means_tiingo_at_the_configured_url_with_its_free_limits(tiingo):
    tiingo.route("nvda", "daily.csv")
    settings = Settings.from_env({"TIINGO_API_KEY": API_KEY, "TIINGO_URL": tiingo.url + "/"})
    assert settings.provider.name == "tiingo"
    assert (settings.provider.daily_limit, settings.provider.hourly_limit) == (1000, 50)
    assert settings.provider.monthly_symbols == 500
    assert API_KEY not in repr(settings)
    provider = provider_for(settings.provider)
    assert isinstance(provider, TiingoProvider) and provider.name == "tiingo"
    assert len(provider.bars("NVDA", "daily")) == 10


def test_tiingo_limits_and_timeout_are_configurable():
    env = {
        "STOCKS_PROVIDER": "tiingo",
        "TIINGO_API_KEY": API_KEY,
        "TIINGO_HOURLY_LIMIT": "500",
        "TIINGO_DAILY_LIMIT": "unlimited",
        "TIINGO_MONTHLY_SYMBOLS": "10000",
        "TIINGO_TIMEOUT_SECONDS": "7",
    }
    provider = Settings.from_env(env).provider
    assert (provider.hourly_limit, provider.daily_limit, provider.monthly_symbols) == (
        500,
        None,
        10000,
    )
    assert provider.timeout_seconds == 7


def test_tiingo_named_without_its_key_is_a_configuration_error():
    with pytest.raises(ConfigError, match="TIINGO_API_KEY is not set"):
        Settings.from_env({"STOCKS_PROVIDER": "tiingo", "ALPHAVANTAGE_API_KEY": "x"})


def test_the_tiingo_token_is_among_the_secrets_every_log_line_masks():
    settings = Settings.from_env({"TIINGO_API_KEY": API_KEY})
    assert API_KEY in Services(settings).secrets


# -- company names -----------------------------------------------------------------------------


def test_the_company_name_comes_from_the_tickers_metadata_in_one_request(tiingo, tiingo_settings):
    tiingo.route_meta("nvda", "meta.json")
    assert provider(tiingo_settings).company_name("NVDA") == "NVIDIA Corp"
    [request] = tiingo.requests
    assert (request.kind, request.ticker) == ("meta", "nvda")
    assert request.authorization == f"Token {API_KEY}" and "token" not in request.query


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (body("unknown_ticker.json"), 404),
        (body("invalid_token.json"), 401),
        (body("maintenance.html"), 502),
        (body("limit_hourly_429.json"), 429),
        (b'{"ticker": "nvda", "name": null}', 200),
        (b'{"ticker": "nvda"}', 200),
        (b'{"name": 42}', 200),
        (b'{"name": " \\n\\t "}', 200),
        (b'[{"name": "NVIDIA Corp"}]', 200),
        (b'{"name": "NVIDIA', 200),
        (b"[" * 50_000 + b"]" * 50_000, 200),
        (b"\xff\xfe", 200),
    ],
)
def test_an_answer_without_a_usable_name_gives_none(tiingo, tiingo_settings, answer, status):
    tiingo.route_meta("nvda", answer, status)
    assert provider(tiingo_settings).company_name("NVDA") is None


def test_the_company_name_request_is_metered_and_bounded_like_any(tiingo, tiingo_settings):
    tiingo.route_meta("nvda", "meta.json")
    reserved: list[tuple[str, str]] = []

    class Meter:
        def reserve(self, symbol: str, kind: str):
            reserved.append((symbol, kind))
            return lambda status: None

    assert TiingoProvider(tiingo_settings, Meter()).company_name("NVDA") == "NVIDIA Corp"
    assert reserved == [("NVDA", "meta")]
    tiingo.meta["nvda"] = Answer(body("meta.json"), delay=5)
    with pytest.raises(ProviderFailed, match=r"^Tiingo did not answer within 0\.3 s"):
        provider(tiingo_settings, timeout_seconds=0.3).company_name("NVDA")
    dead = provider(tiingo_settings, tiingo_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderFailed, match=r"^Tiingo could not be reached"):
        dead.company_name("NVDA")


def test_a_name_is_kept_as_one_short_line(tiingo, tiingo_settings):
    tiingo.route_meta("nvda", json.dumps({"name": "  NVIDIA\n\tCorp  " + "x" * 500}).encode())
    name = provider(tiingo_settings).company_name("NVDA")
    assert name is not None and name.startswith("NVIDIA Corp x") and len(name) == NAME_LIMIT
