"""Configuration: every environment setting of the contract, read and validated in one place.

`Settings.from_env()` fails with a `ConfigError` whose sentence names the variable at fault, so a
misconfigured function stops at start rather than on its first request. Secrets are kept out of
`repr()`, so a logged or printed `Settings` never shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import overload
from urllib.parse import urlparse

from shared.contract.errors import ConfigError
from shared.contract.schema import DEFAULT_BUCKET
from shared.contract.validation import BUCKET_PATTERN

FUNCTIONS = (
    "fetch",
    "predict",
    "buckets",
    "watchlist",
    "chart",
    "deadletters",
    "ui",
    "alerts",
    "notifier",
)
PROVIDERS = ("alphavantage", "tiingo", "demo")
ALPHAVANTAGE_FREE_DAILY_LIMIT = 25
TIINGO_FREE_DAILY_LIMIT = 1000  # Tiingo's free plan as published in 2025-26
TIINGO_FREE_HOURLY_LIMIT = 50
TIINGO_FREE_MONTHLY_SYMBOLS = 500


@dataclass(frozen=True)
class InfluxSettings:
    """Where InfluxDB is and how to authenticate to it."""

    url: str = "http://127.0.0.1:8086"
    token: str | None = field(default=None, repr=False)
    org: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 10.0
    batch_seconds: float = 1.0
    """STOCKS_RUNS_BATCH_SECONDS: how long a `runs` point waits for others to be written with
    (`shared.influx.deferred`)."""


@dataclass(frozen=True)
class ProviderSettings:
    """Which market-data provider to use and how."""

    name: str = "demo"
    alphavantage_api_key: str | None = field(default=None, repr=False)
    alphavantage_url: str = "https://www.alphavantage.co/query"
    alphavantage_premium: bool = False
    tiingo_api_key: str | None = field(default=None, repr=False)
    tiingo_url: str = "https://api.tiingo.com"
    daily_limit: int | None = None
    hourly_limit: int | None = None
    monthly_symbols: int | None = None  # distinct symbols a month
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class WebhookSettings:
    """Where the notifier posts alerts and how it signs them (both from Secrets in the cluster)."""

    url: str | None = field(default=None, repr=False)
    """STOCKS_ALERT_WEBHOOK_URL: the default receiver; None: alerts are recorded, not posted."""
    signing_secret: str | None = field(default=None, repr=False)
    """STOCKS_ALERT_WEBHOOK_SECRET: the key of the body's HMAC-SHA256 (`X-Signature`)."""
    timeout_seconds: float = 5.0
    inbox_url: str | None = None
    """STOCKS_ALERT_INBOX_URL: a page where delivered alerts can be read (the page links to it)."""


@dataclass(frozen=True)
class Settings:
    """Everything a function reads from its environment."""

    influx: InfluxSettings = field(default_factory=InfluxSettings)
    provider: ProviderSettings = field(default_factory=ProviderSettings)
    function: str | None = None
    meta_bucket: str = DEFAULT_BUCKET
    k_sink: str | None = None
    api_token: str | None = field(default=None, repr=False)
    """STOCKS_API_TOKEN: what state changes from outside the cluster must present; None (unset,
    never blank) leaves them open (the local stack only)."""
    webhook: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the contract's environment variables."""
        env = _Env(os.environ if environ is None else environ)
        return cls(
            influx=InfluxSettings(
                url=env.url("INFLUX_URL", InfluxSettings.url),
                token=env.text("INFLUX_TOKEN"),
                org=env.text("INFLUX_ORG"),
                username=env.text("INFLUX_USERNAME"),
                password=env.text("INFLUX_PASSWORD"),
                batch_seconds=env.seconds(
                    "STOCKS_RUNS_BATCH_SECONDS", InfluxSettings.batch_seconds
                ),
            ),
            provider=_provider_settings(env),
            function=env.choice("STOCKS_FUNCTION", FUNCTIONS, None),
            meta_bucket=env.bucket("STOCKS_META_BUCKET", DEFAULT_BUCKET),
            k_sink=env.optional_url("K_SINK"),
            api_token=env.guard("STOCKS_API_TOKEN", "state changes"),
            webhook=WebhookSettings(
                url=env.optional_url("STOCKS_ALERT_WEBHOOK_URL", secret=True),
                signing_secret=env.text("STOCKS_ALERT_WEBHOOK_SECRET"),
                timeout_seconds=env.seconds(
                    "STOCKS_ALERT_WEBHOOK_TIMEOUT_SECONDS", WebhookSettings.timeout_seconds
                ),
                inbox_url=env.optional_url("STOCKS_ALERT_INBOX_URL"),
            ),
        )


def _provider_settings(env: _Env) -> ProviderSettings:
    """The provider STOCKS_PROVIDER names (else the one whose key is set), its key and limits."""
    av_key, tiingo_key = env.text("ALPHAVANTAGE_API_KEY"), env.text("TIINGO_API_KEY")
    name = env.choice(
        "STOCKS_PROVIDER",
        PROVIDERS,
        "tiingo" if tiingo_key else "alphavantage" if av_key else "demo",
    )
    for provider, variable, key in (
        ("alphavantage", "ALPHAVANTAGE_API_KEY", av_key),
        ("tiingo", "TIINGO_API_KEY", tiingo_key),
    ):
        if name == provider and not key:
            raise ConfigError(
                f"STOCKS_PROVIDER is {provider!r} but {variable} is not set: "
                "set the key, or STOCKS_PROVIDER=demo."
            )
    daily = hourly = monthly = None
    timeout = ProviderSettings.timeout_seconds
    if name == "alphavantage":
        daily = env.count("ALPHAVANTAGE_DAILY_LIMIT", ALPHAVANTAGE_FREE_DAILY_LIMIT)
        timeout = env.seconds("ALPHAVANTAGE_TIMEOUT_SECONDS", timeout)
    elif name == "tiingo":
        daily = env.count("TIINGO_DAILY_LIMIT", TIINGO_FREE_DAILY_LIMIT)
        hourly = env.count("TIINGO_HOURLY_LIMIT", TIINGO_FREE_HOURLY_LIMIT)
        monthly = env.count("TIINGO_MONTHLY_SYMBOLS", TIINGO_FREE_MONTHLY_SYMBOLS)
        timeout = env.seconds("TIINGO_TIMEOUT_SECONDS", timeout)
    return ProviderSettings(
        name=name,
        alphavantage_api_key=av_key,
        alphavantage_url=env.url("ALPHAVANTAGE_URL", ProviderSettings.alphavantage_url),
        alphavantage_premium=env.flag("ALPHAVANTAGE_PREMIUM", False),
        tiingo_api_key=tiingo_key,
        tiingo_url=env.url("TIINGO_URL", ProviderSettings.tiingo_url),
        daily_limit=daily,
        hourly_limit=hourly,
        monthly_symbols=monthly,
        timeout_seconds=timeout,
    )


class _Env:
    """Typed readers over an environment mapping; each error names its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def guard(self, name: str, opens: str) -> str | None:
        """A secret whose absence opens something (`opens`): None when unset. Set but blank (an
        empty Secret, a stray space) is refused rather than read as unset, which fails open."""
        if name not in self.environ:
            return None
        value = self.environ[name].strip()
        if not value:
            raise ConfigError(
                f"{name} is set but blank: set it to the token, or unset it to leave {opens} "
                "open (local use only)."
            )
        return value

    @overload
    def choice(self, name: str, options: tuple[str, ...], default: str) -> str: ...
    @overload
    def choice(self, name: str, options: tuple[str, ...], default: None) -> str | None: ...
    def choice(self, name: str, options: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(name)
        if value is None:
            return default
        if value not in options:
            raise ConfigError(f"{name} must be one of {', '.join(options)}, not {value!r}.")
        return value

    def url(self, name: str, default: str) -> str:
        """An http(s) URL without a trailing slash, or `default` when unset."""
        return (self.optional_url(name) or default).rstrip("/")

    def optional_url(self, name: str, secret: bool = False) -> str | None:
        """An http(s) URL as given, or None when unset; a `secret` one is not quoted back (a
        webhook URL carries its receiver's token in its path)."""
        value = self.text(name)
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            shown = "the value given" if secret else repr(value)
            raise ConfigError(
                f"{name} must be an http(s) URL such as http://host:port, not {shown}."
            )
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"{name} must be true or false, not {value!r}.")
        return value.lower() in ("true", "1", "yes")

    def count(self, name: str, default: int | None) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in ("unlimited", "none"):
            return None
        if not value.isdigit():
            raise ConfigError(
                f"{name} must be a whole number of requests (or 'unlimited'), not {value!r}."
            )
        return int(value)

    def seconds(self, name: str, default: float) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 600:
            raise ConfigError(f"{name} must be a number of seconds from 0 to 600, not {value!r}.")
        return seconds

    def bucket(self, name: str, default: str) -> str:
        value = self.text(name) or default
        if not BUCKET_PATTERN.fullmatch(value):
            raise ConfigError(
                f"{name} must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-', not {value!r}."
            )
        return value
