"""`provider_for`: the provider the settings name, configured from the environment."""

from __future__ import annotations

import pytest

from shared.contract.config import ProviderSettings, Settings
from shared.contract.errors import ConfigError
from shared.market.providers import AlphaVantageProvider, DemoProvider, provider_for
from tests.support.fakes.alphavantage import API_KEY, FakeAlphaVantage


def test_no_key_means_the_demo_provider():
    provider = provider_for(Settings.from_env({}).provider)
    assert isinstance(provider, DemoProvider) and provider.name == "demo"


def test_a_key_means_alpha_vantage_at_the_configured_url(alphavantage: FakeAlphaVantage):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    env = {"ALPHAVANTAGE_API_KEY": API_KEY, "ALPHAVANTAGE_URL": alphavantage.url}
    provider = provider_for(Settings.from_env(env).provider)
    assert isinstance(provider, AlphaVantageProvider) and provider.name == "alphavantage"
    assert len(provider.bars("IBM", "daily")) == 5
    assert [q["apikey"] for q in alphavantage.queries] == [API_KEY]


def test_alpha_vantage_without_a_key_is_a_configuration_error():
    with pytest.raises(ConfigError, match="ALPHAVANTAGE_API_KEY"):
        provider_for(ProviderSettings(name="alphavantage"))


def test_an_unknown_provider_is_a_configuration_error():
    with pytest.raises(ConfigError, match="STOCKS_PROVIDER"):
        provider_for(ProviderSettings(name="yahoo"))
