"""Market-data providers: Alpha Vantage or Tiingo over HTTP, or the offline demo.

`provider_for` imports only the provider it builds, so a function never loads `requests` for a
provider it does not call: a cold start pays for its own provider, not for the other two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.contract.config import ProviderSettings
from shared.contract.errors import ConfigError

if TYPE_CHECKING:
    from shared.market.providers.base import Provider
    from shared.market.providers.transport import Meter

__all__ = ["provider_for"]


def provider_for(settings: ProviderSettings, meter: Meter | None = None) -> Provider:
    """The provider `settings.name` names; `meter` counts its requests (the demo makes none)."""
    if settings.name == "alphavantage":
        from shared.market.providers.alphavantage import AlphaVantageProvider

        return AlphaVantageProvider(settings, meter)
    if settings.name == "tiingo":
        from shared.market.providers.tiingo import TiingoProvider

        return TiingoProvider(settings, meter)
    if settings.name == "demo":
        from shared.market.providers.demo import DemoProvider

        return DemoProvider()
    raise ConfigError(
        f"STOCKS_PROVIDER must be alphavantage, tiingo or demo, not {settings.name!r}."
    )
