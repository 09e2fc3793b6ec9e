"""The long-lived clients a function uses: settings, InfluxDB, an HTTP session, the provider."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from shared.contract.config import Settings
from shared.influx.client import InfluxClient

if TYPE_CHECKING:
    import requests

    from shared.market.providers.base import Provider
    from shared.market.sourcing import ActionLister
    from shared.usecases.ledger import Ledger


@dataclass
class Services:
    """The long-lived clients a function uses: settings, storage and the market-data provider.

    They hold connections, never data: every call reads its state from InfluxDB.
    """

    settings: Settings

    @cached_property
    def influx(self) -> InfluxClient:
        return InfluxClient(self.settings.influx)

    @cached_property
    def http(self) -> requests.Session:
        """A session for event sinks, apart from storage's (which carries InfluxDB credentials).

        `requests` is imported here, on first use: functions that send nothing start without it.
        """
        import requests

        return requests.Session()

    @cached_property
    def provider(self) -> Provider:
        from shared.market.providers import provider_for

        return provider_for(self.settings.provider, self.ledger)

    @cached_property
    def ledger(self) -> Ledger | None:
        """Where the provider's requests are reserved and counted; None when nothing is limited."""
        from shared.market.budget import limits_for
        from shared.usecases.ledger import ledger_for

        provider = self.settings.provider
        return ledger_for(
            self.influx, self.settings.meta_bucket, provider.name, limits_for(provider)
        )

    @cached_property
    def action_lister(self) -> ActionLister | None:
        """Who lists splits and dividends when the provider's bars carry none (Alpha Vantage)."""
        if self.settings.provider.name != "alphavantage":
            return None
        from shared.market.providers.alphavantage_actions import AlphaVantageActions

        return AlphaVantageActions(self.settings.provider, self.ledger)

    @property
    def secrets(self) -> tuple[str | None, ...]:
        return (
            self.settings.influx.token,
            self.settings.influx.password,
            self.settings.provider.alphavantage_api_key,
            self.settings.provider.tiingo_api_key,
            self.settings.api_token,
            self.settings.webhook.url,
            self.settings.webhook.signing_secret,
        )
