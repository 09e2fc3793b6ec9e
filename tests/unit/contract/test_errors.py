"""Typed errors carry the contract's statuses: retryable ones 429 and 5xx, the rest 400 or 422."""

from __future__ import annotations

from shared.contract import errors


def test_each_error_has_its_status():
    assert errors.BadInput("x").status == 400
    assert errors.WriteRefused("x").status == 400
    assert errors.PayloadTooLarge("x").status == 413
    assert errors.Unprocessable("x").status == 422
    assert errors.BucketNotFound("x").status == 422
    assert errors.RateLimited("x").status == 429
    assert errors.ProviderFailed("x").status == 502
    assert errors.StorageUnavailable("x").status == 503
    assert errors.SinkFailed("x").status == 503
    assert errors.SinkMissing("x").status == 503


def test_a_rate_limit_says_when_to_retry():
    assert errors.RateLimited("slow").retry_after == 60
    assert errors.RateLimited("slow", retry_after=5).retry_after == 5
    assert errors.RateLimited("slow").message == "slow"
