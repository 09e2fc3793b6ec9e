"""Market-data providers: Alpha Vantage or Tiingo over HTTP, or the offline demo."""

from __future__ import annotations

from shared.contract.config import ProviderSettings
from shared.contract.errors import ConfigError
from shared.market.providers.alphavantage import AlphaVantageProvider
from shared.market.providers.base import Provider
from shared.market.providers.demo import DemoProvider
from shared.market.providers.tiingo import TiingoProvider
from shared.market.providers.transport import Meter

__all__ = ["AlphaVantageProvider", "DemoProvider", "Provider", "TiingoProvider", "provider_for"]


def provider_for(settings: ProviderSettings, meter: Meter | None = None) -> Provider:
    """The provider `settings.name` names; `meter` counts its requests (the demo makes none)."""
    if settings.name == "alphavantage":
        return AlphaVantageProvider(settings, meter)
    if settings.name == "tiingo":
        return TiingoProvider(settings, meter)
    if settings.name == "demo":
        return DemoProvider()
    raise ConfigError(
        f"STOCKS_PROVIDER must be alphavantage, tiingo or demo, not {settings.name!r}."
    )
