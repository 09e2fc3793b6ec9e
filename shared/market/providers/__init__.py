"""Market-data providers: Alpha Vantage over HTTP, or the offline demo."""

from __future__ import annotations

from shared.contract.config import ProviderSettings
from shared.contract.errors import ConfigError
from shared.market.providers.alphavantage import AlphaVantageProvider
from shared.market.providers.base import Provider
from shared.market.providers.demo import DemoProvider

__all__ = ["AlphaVantageProvider", "DemoProvider", "Provider", "provider_for"]


def provider_for(settings: ProviderSettings) -> Provider:
    """The provider `settings.name` names."""
    if settings.name == "alphavantage":
        return AlphaVantageProvider(settings)
    if settings.name == "demo":
        return DemoProvider()
    raise ConfigError(f"STOCKS_PROVIDER must be alphavantage or demo, not {settings.name!r}.")
