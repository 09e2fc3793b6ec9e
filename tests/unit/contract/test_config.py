"""Settings.from_env: the defaults, each variable read, each error naming its variable."""

from __future__ import annotations

import pytest

from shared.contract.config import (
    ALPHAVANTAGE_FREE_DAILY_LIMIT,
    InfluxSettings,
    ProviderSettings,
    Settings,
)
from shared.contract.errors import ConfigError


def test_an_empty_environment_gives_the_contracts_defaults():
    settings = Settings.from_env({})
    assert settings.influx == InfluxSettings()
    assert settings.influx.url == "http://127.0.0.1:8086" and settings.influx.token is None
    assert settings.provider.name == "demo" and settings.provider.daily_limit is None
    assert settings.provider.timeout_seconds == 20.0
    assert settings.provider.alphavantage_url == "https://www.alphavantage.co/query"
    assert settings.provider.alphavantage_premium is False
    assert settings.function is None and settings.meta_bucket == "stocks"
    assert settings.k_sink is None
    assert settings.influx.batch_seconds == 1.0


def test_every_influx_variable_is_read_and_blank_means_unset():
    settings = Settings.from_env(
        {
            "INFLUX_URL": "https://influx.example:8086/",
            "INFLUX_TOKEN": " tok ",
            "INFLUX_ORG": "acme",
            "INFLUX_USERNAME": "ann",
            "INFLUX_PASSWORD": "pw",
            "STOCKS_META_BUCKET": "meta-1",
            "K_SINK": "http://broker.local/ns/default",
            "STOCKS_FUNCTION": "predict",
            "STOCKS_RUNS_BATCH_SECONDS": "0.05",
        }
    )
    assert settings.influx == InfluxSettings(
        url="https://influx.example:8086",
        token="tok",
        org="acme",
        username="ann",
        password="pw",
        batch_seconds=0.05,
    )
    assert settings.meta_bucket == "meta-1" and settings.function == "predict"
    assert settings.k_sink == "http://broker.local/ns/default"
    assert Settings.from_env({"INFLUX_TOKEN": "   "}).influx.token is None


def test_an_alphavantage_key_chooses_alphavantage_with_the_free_limit():
    settings = Settings.from_env({"ALPHAVANTAGE_API_KEY": "K"})
    assert settings.provider.name == "alphavantage"
    assert settings.provider.alphavantage_api_key == "K"
    assert settings.provider.daily_limit == ALPHAVANTAGE_FREE_DAILY_LIMIT == 25


def test_alphavantage_options():
    settings = Settings.from_env(
        {
            "ALPHAVANTAGE_API_KEY": "K",
            "ALPHAVANTAGE_URL": "http://127.0.0.1:9/query/",
            "ALPHAVANTAGE_PREMIUM": "Yes",
            "ALPHAVANTAGE_DAILY_LIMIT": "75",
            "ALPHAVANTAGE_TIMEOUT_SECONDS": "2.5",
        }
    )
    provider = settings.provider
    assert provider.alphavantage_url == "http://127.0.0.1:9/query"
    assert provider.alphavantage_premium is True
    assert provider.daily_limit == 75 and provider.timeout_seconds == 2.5


@pytest.mark.parametrize("word", ["unlimited", "NONE"])
def test_a_daily_limit_can_be_lifted(word):
    settings = Settings.from_env({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_DAILY_LIMIT": word})
    assert settings.provider.daily_limit is None


def test_a_zero_daily_limit_is_kept():
    settings = Settings.from_env({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_DAILY_LIMIT": "0"})
    assert settings.provider.daily_limit == 0


def test_the_demo_provider_can_be_chosen_despite_a_key():
    settings = Settings.from_env({"ALPHAVANTAGE_API_KEY": "K", "STOCKS_PROVIDER": "demo"})
    assert settings.provider.name == "demo" and settings.provider.daily_limit is None


@pytest.mark.parametrize(
    ("flag", "expected"),
    [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False), ("no", False)],
)
def test_flags(flag, expected):
    env = {"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_PREMIUM": flag}
    assert Settings.from_env(env).provider.alphavantage_premium is expected


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"STOCKS_PROVIDER": "alphavantage"}, "ALPHAVANTAGE_API_KEY"),
        ({"STOCKS_PROVIDER": "yahoo"}, "STOCKS_PROVIDER"),
        ({"STOCKS_FUNCTION": "nope"}, "STOCKS_FUNCTION"),
        ({"INFLUX_URL": "influx:8086"}, "INFLUX_URL"),
        ({"INFLUX_URL": "ftp://influx:8086"}, "INFLUX_URL"),
        ({"INFLUX_URL": "http://"}, "INFLUX_URL"),
        ({"K_SINK": "broker"}, "K_SINK"),
        ({"STOCKS_RUNS_BATCH_SECONDS": "0"}, "STOCKS_RUNS_BATCH_SECONDS"),
        ({"STOCKS_RUNS_BATCH_SECONDS": "later"}, "STOCKS_RUNS_BATCH_SECONDS"),
        ({"STOCKS_META_BUCKET": "_internal"}, "STOCKS_META_BUCKET"),
        ({"STOCKS_META_BUCKET": "a b"}, "STOCKS_META_BUCKET"),
        ({"STOCKS_META_BUCKET": "x" * 65}, "STOCKS_META_BUCKET"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_PREMIUM": "maybe"}, "ALPHAVANTAGE_PREMIUM"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_DAILY_LIMIT": "-1"}, "ALPHAVANTAGE_DAILY"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_DAILY_LIMIT": "2.5"}, "ALPHAVANTAGE_DAILY"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "0"}, "ALPHAVANTAGE_TIME"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "601"}, "ALPHAVANTAGE_TI"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "soon"}, "ALPHAVANTAGE_T"),
        ({"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_URL": "query"}, "ALPHAVANTAGE_URL"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_variable(env, variable):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert str(refused.value).startswith(variable) or variable in str(refused.value)


def test_the_timeout_bounds_are_inclusive_at_600():
    env = {"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "600"}
    assert Settings.from_env(env).provider.timeout_seconds == 600.0


def test_a_bucket_of_64_characters_is_allowed():
    assert Settings.from_env({"STOCKS_META_BUCKET": "m" * 64}).meta_bucket == "m" * 64


def test_secrets_stay_out_of_repr():
    settings = Settings.from_env(
        {"INFLUX_TOKEN": "tok-123", "INFLUX_PASSWORD": "pw-456", "ALPHAVANTAGE_API_KEY": "key-789"}
    )
    shown = repr(settings)
    assert "tok-123" not in shown and "pw-456" not in shown and "key-789" not in shown
    assert "InfluxSettings" in shown


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("STOCKS_META_BUCKET", "from-env")
    monkeypatch.delenv("ALPHAVANTAGE_API_KEY", raising=False)
    monkeypatch.delenv("STOCKS_PROVIDER", raising=False)
    assert Settings.from_env().meta_bucket == "from-env"


def test_provider_defaults_are_the_contracts():
    assert ProviderSettings().name == "demo" and ProviderSettings().timeout_seconds == 20.0


def test_the_api_token_is_read_and_kept_out_of_repr():
    settings = Settings.from_env({"STOCKS_API_TOKEN": "api-tok-1"})
    assert settings.api_token == "api-tok-1" and "api-tok-1" not in repr(settings)
    assert Settings.from_env({}).api_token is None


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_set_but_blank_api_token_is_refused_not_left_open(blank):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"STOCKS_API_TOKEN": blank})
    assert str(refused.value).startswith("STOCKS_API_TOKEN is set but blank")


def test_a_missing_key_says_which_key_and_how_to_do_without():
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"STOCKS_PROVIDER": "alphavantage"})
    assert str(refused.value) == (
        "STOCKS_PROVIDER is 'alphavantage' but ALPHAVANTAGE_API_KEY is not set: "
        "set the key, or STOCKS_PROVIDER=demo."
    )
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"STOCKS_PROVIDER": "tiingo", "ALPHAVANTAGE_API_KEY": "K"})
    assert str(refused.value).startswith("STOCKS_PROVIDER is 'tiingo' but TIINGO_API_KEY is not")


def test_a_choice_lists_the_options():
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"STOCKS_PROVIDER": "yahoo"})
    assert str(refused.value) == (
        "STOCKS_PROVIDER must be one of alphavantage, tiingo, demo, not 'yahoo'."
    )


def test_a_tiingo_key_chooses_tiingo_with_its_free_limits():
    provider = Settings.from_env({"TIINGO_API_KEY": "T", "ALPHAVANTAGE_API_KEY": "K"}).provider
    assert provider.name == "tiingo" and provider.tiingo_api_key == "T"
    assert (provider.daily_limit, provider.hourly_limit, provider.monthly_symbols) == (
        1000,
        50,
        500,
    )
    assert provider.tiingo_url == "https://api.tiingo.com" and provider.timeout_seconds == 20.0


def test_tiingo_options():
    provider = Settings.from_env(
        {
            "TIINGO_API_KEY": "T",
            "TIINGO_URL": "http://127.0.0.1:9/",
            "TIINGO_DAILY_LIMIT": "10",
            "TIINGO_HOURLY_LIMIT": "unlimited",
            "TIINGO_MONTHLY_SYMBOLS": "7",
            "TIINGO_TIMEOUT_SECONDS": "3",
        }
    ).provider
    assert provider.tiingo_url == "http://127.0.0.1:9"
    assert (provider.daily_limit, provider.hourly_limit, provider.monthly_symbols) == (10, None, 7)
    assert provider.timeout_seconds == 3.0


def test_one_providers_limits_do_not_apply_to_another():
    provider = Settings.from_env(
        {"ALPHAVANTAGE_API_KEY": "K", "TIINGO_DAILY_LIMIT": "3", "TIINGO_TIMEOUT_SECONDS": "9"}
    ).provider
    assert provider.daily_limit == 25 and provider.timeout_seconds == 20.0
    assert provider.hourly_limit is None and provider.monthly_symbols is None
    demo = Settings.from_env({"ALPHAVANTAGE_TIMEOUT_SECONDS": "9"}).provider
    assert demo.timeout_seconds == 20.0 and demo.daily_limit is None


def test_a_timeout_that_is_not_a_number_is_named():
    env = {"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "soon"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert str(refused.value) == (
        "ALPHAVANTAGE_TIMEOUT_SECONDS must be a number of seconds from 0 to 600, not 'soon'."
    )


def test_a_timeout_under_a_second_is_allowed():
    env = {"ALPHAVANTAGE_API_KEY": "K", "ALPHAVANTAGE_TIMEOUT_SECONDS": "0.5"}
    assert Settings.from_env(env).provider.timeout_seconds == 0.5
