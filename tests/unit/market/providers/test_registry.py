"""`provider_for`: the provider the settings name, configured from the environment."""

from __future__ import annotations

import pytest

from shared.contract.config import ProviderSettings, Settings
from shared.contract.errors import ConfigError
from shared.market.providers import provider_for
from shared.market.providers.alphavantage import AlphaVantageProvider
from shared.market.providers.demo import DemoProvider
from tests.support.fakes.alphavantage import API_KEY, FakeAlphaVantage
from tests.support.fakes.tiingo import FakeTiingo


class Meter:
    """Records what is reserved and settled."""

    def __init__(self) -> None:
        self.reserved: list[tuple[str, str]] = []
        self.settled: list[int] = []

    def reserve(self, symbol: str, kind: str):
        self.reserved.append((symbol, kind))
        return self.settled.append


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


def test_the_meter_given_counts_every_alpha_vantage_request(alphavantage, av_settings):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    meter = Meter()
    provider_for(av_settings, meter).bars("IBM", "daily")
    assert meter.reserved == [("IBM", "TIME_SERIES_DAILY")] and meter.settled == [200]


def test_the_meter_given_counts_every_tiingo_request(tiingo: FakeTiingo, tiingo_settings):
    tiingo.route("ibm", "daily.csv")
    meter = Meter()
    provider_for(tiingo_settings, meter).bars("IBM", "daily")
    assert meter.reserved == [("IBM", "daily")] and meter.settled == [200]
