"""Typed data of the events between functions: what fetch asks for, and what it replies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shared.contract import validation
from shared.contract.errors import BadInput
from shared.contract.schema import DEFAULT_EXCHANGE, MODELS


@dataclass(frozen=True)
class FetchRequest:
    """`io.stocksmanager.fetch.requested`: which bars to fetch and where to keep them."""

    symbol: str
    interval: str
    bucket: str
    month: str | None = None
    model: str | None = None
    """The model the watchlist entry names, which fetch's reply carries on to predict."""
    exchange: str | None = None
    """The exchange (ISO MIC) whose sessions the bars follow; None: the symbol's own."""
    forecast: bool = False
    """Wake predict even when nothing new is stored (tracking, refreshing): see `forecast_due`."""

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> FetchRequest:
        """Parse and check the caller's fields (a `BadInput` names the first one at fault)."""
        interval = validation.interval(fields)
        return cls(
            symbol=validation.symbol(fields),
            interval=interval,
            bucket=validation.bucket(fields),
            month=validation.month(fields, interval),
            model=_optional_model(fields),
            exchange=validation.exchange(fields),
            forecast=validation.boolean(fields, "forecast", False),
        )


@dataclass(frozen=True)
class Fetched:
    """`io.stocksmanager.fetched`, fetch's reply: what it stored."""

    symbol: str
    bucket: str
    interval: str
    points: int
    first: str | None
    last: str | None
    provider: str
    bucket_created: bool
    model: str | None = None
    """The model predict is to use (the request's), when the request named one."""
    dropped: int = 0
    """Provider rows and corporate actions left out as impossible (`market.providers.rows`)."""
    dropped_examples: list[str] = field(default_factory=list)
    """The first few of them, each 'YYYY-MM-DD: why'."""
    exchange: str | None = None
    """The exchange (ISO MIC) whose sessions the bars follow (fetch always says it)."""
    actions: int = 0
    """Corporate actions stored with the bars (new or stored again)."""

    def as_data(self) -> dict[str, Any]:
        """The event data (and fetch's JSON answer); `model` only when the request named one."""
        data = asdict(self)
        for optional in ("model", "exchange"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Fetched:
        """Parse fetch's reply as predict receives it; a `BadInput` names the field at fault."""
        return cls(
            symbol=validation.symbol(fields),
            bucket=validation.bucket(fields),
            interval=validation.interval(fields),
            points=validation.integer(fields, "points", 0, 0, 10**9),
            first=validation.moment(fields, "first"),
            last=validation.moment(fields, "last"),
            provider=_optional_text(fields, "provider") or "",
            bucket_created=validation.boolean(fields, "bucket_created", False),
            model=_optional_model(fields),
            dropped=validation.integer(fields, "dropped", 0, 0, 10**9),
            dropped_examples=_texts(fields, "dropped_examples"),
            exchange=validation.exchange(fields),
            actions=validation.integer(fields, "actions", 0, 0, 10**9),
        )


def _texts(fields: dict[str, Any], name: str) -> list[str]:
    value = fields.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"The field '{name}' must be a list of strings.")
    return value


FORECAST_DUE = "forecastdue"
"""The extension attribute of `io.stocksmanager.fetched` that says whether predict has work:
"yes" when fetch stored bars or corporate actions or the request asked for a forecast, else "no".
The predict Trigger takes "yes" only, so a tick that found nothing new wakes no predict."""


ALERT_RULES_ATTRIBUTE = "alertrules"
"""The extension attribute of `io.stocksmanager.fetched` and `io.stocksmanager.predicted` that
says whether the symbol has alert rules in force: "yes" (or when fetch could not tell) or "no".
fetch reads it with the stored bars; predict passes on what fetch said. alerts' Triggers on both
take "yes" only, so a symbol nobody set a rule on costs alerts nothing."""


def alert_rules_attribute(watched: bool) -> dict[str, str]:
    """The reply event's `alertrules` attribute."""
    return {ALERT_RULES_ATTRIBUTE: "yes" if watched else "no"}


def forecast_due(request: FetchRequest, fetched: Fetched) -> dict[str, str]:
    """The reply event's `forecastdue` attribute for this fetch."""
    due = request.forecast or fetched.points > 0 or fetched.actions > 0
    return {FORECAST_DUE: "yes" if due else "no"}


def _optional_model(fields: dict[str, Any]) -> str | None:
    return validation.choice(fields, "model", MODELS, "auto") if "model" in fields else None


def _optional_text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"The field '{name}' must be a string or null.")
    return value


@dataclass(frozen=True)
class Predicted:
    """`io.stocksmanager.predicted`, predict's reply: the forecast it made, or kept (`refit`)."""

    symbol: str
    bucket: str
    target: str
    interval: str
    field: str
    horizon: int
    model: str
    points: int
    first: str | None
    last: str | None
    fit_seconds: float
    train_points: int
    metrics: dict[str, float | None]
    naive_metrics: dict[str, float]
    """The naive forecast's scores on the same windows: the bar `metrics` must clear."""
    selection: dict[str, dict[str, float]]
    """Each candidate model's cross-validation scores (for `auto`; else the model's own)."""
    reason: str
    """Why `model` drew the forecast, in a sentence."""
    refit: bool
    exchange: str = DEFAULT_EXCHANGE
    """The exchange (ISO MIC) whose sessions the forecast's times follow."""

    def as_data(self) -> dict[str, Any]:
        """The event data (and predict's JSON answer)."""
        return asdict(self)


@dataclass(frozen=True)
class AlertFired:
    """`io.stocksmanager.alert.fired`: an alert the alerts function sent, as the notifier reads it.

    `data` is the event's data as it came, for the webhook's structured part.
    """

    alert: str
    rule: str
    symbol: str
    at: str
    message: str
    data: dict[str, Any]

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> AlertFired:
        """Parse the event's data; a `BadInput` names the field at fault."""
        texts = {}
        for name in ("alert", "rule", "at", "message"):
            value = fields.get(name)
            if not isinstance(value, str) or not value or len(value) > 2_000:
                raise BadInput(f"The field '{name}' must be a non-empty string.")
            texts[name] = value
        validation.moment(fields, "at")  # checked, not rounded: it identifies the alert
        return cls(symbol=validation.symbol(fields), data=dict(fields), **texts)
