"""Typed failures, each carrying the HTTP status the contract gives it.

Knative's broker retries 404, 408, 409, 429 and 5xx and nothing else, so a failure a retry
cannot fix is 400 or 422, and one that a retry may fix is 429, 502 or 503.
"""

from __future__ import annotations


class StocksError(Exception):
    """A failure with a status and a sentence safe to show a caller."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(StocksError):
    """The request is malformed: a missing, empty or invalid field."""

    status = 400


class Unauthorized(StocksError):
    """A state change without the API token (`Authorization: Bearer <STOCKS_API_TOKEN>`)."""

    status = 401


class Forbidden(StocksError):
    """A request no credential opens: a state change sent by a page of another site."""

    status = 403


class PayloadTooLarge(StocksError):
    """The request body is larger than the function accepts."""

    status = 413


class UnsupportedMediaType(StocksError):
    """A direct POST whose body is not declared JSON (`Content-Type: application/json`)."""

    status = 415


class Unprocessable(StocksError):
    """Valid input that cannot succeed: unknown symbol, no data, a premium-only feature."""

    status = 422


class BucketNotFound(Unprocessable):
    """The named bucket does not exist."""


class WriteRefused(BadInput):
    """InfluxDB refused the points written (bad line protocol, type conflict)."""


class RateLimited(StocksError):
    """The provider's rate limit is reached; retry after `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderFailed(StocksError):
    """The market-data provider failed or answered something unusable."""

    status = 502


class WebhookFailed(StocksError):
    """An alert's webhook failed, hung or answered anything but 2xx; the retry may reach it."""

    status = 502


class StorageUnavailable(StocksError):
    """InfluxDB is unreachable, timing out or failing."""

    status = 503


class QueryRefused(StocksError):
    """InfluxDB refused an InfluxQL statement: a defect in the statement, not in the caller."""

    status = 500


class SinkFailed(StocksError):
    """The event sink refused or failed an event; a retry may fix it."""

    status = 503


class SinkMissing(StocksError):
    """K_SINK is unset: the SinkBinding that should set it is missing."""

    status = 503


class ConfigError(Exception):
    """A missing or malformed environment setting, named in the message."""
