"""RFC 3339 UTC timestamps as the contract writes them, from any zone, to the nanosecond."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from shared.contract.timefmt import epoch_ns, rfc3339, rfc3339_ms, rfc3339_nano


def test_rfc3339_in_utc_from_any_zone():
    assert rfc3339(pd.Timestamp("2026-11-25T14:30:00Z")) == "2026-11-25T14:30:00Z"
    assert rfc3339(pd.Timestamp("2026-11-25T09:30:00", tz="America/New_York")) == (
        "2026-11-25T14:30:00Z"
    )
    plus_two = datetime(2026, 11, 25, 16, 30, 59, 999_999, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339(plus_two) == "2026-11-25T14:30:59Z"  # seconds, not rounded up


def test_rfc3339_of_nothing():
    assert rfc3339(None) is None
    assert rfc3339(pd.NaT) is None


def test_rfc3339_nano_keeps_every_nanosecond():
    moment = pd.Timestamp("2026-11-25T09:30:00.123456789", tz="America/New_York")
    assert rfc3339_nano(moment) == "2026-11-25T14:30:00.123456789Z"
    assert rfc3339_nano(pd.Timestamp("2026-11-25T14:30:00.000000001Z")) == (
        "2026-11-25T14:30:00.000000001Z"
    )


def test_rfc3339_nano_of_a_plain_datetime():
    moment = datetime(2026, 11, 25, 15, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339_nano(moment) == "2026-11-25T14:30:00.000005000Z"
    assert rfc3339_nano(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000000Z"


def test_the_machines_own_zone_plays_no_part(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        moment = pd.Timestamp("2026-11-25T14:30:00.5Z")
        assert rfc3339(moment) == "2026-11-25T14:30:00Z"
        assert rfc3339_nano(moment) == "2026-11-25T14:30:00.500000000Z"
        plain = datetime(2026, 11, 25, 14, 30, 0, 7, tzinfo=UTC)
        assert rfc3339(plain) == "2026-11-25T14:30:00Z"
        assert rfc3339_nano(plain) == "2026-11-25T14:30:00.000007000Z"
        assert rfc3339_ms(moment) == "2026-11-25T14:30:00.500Z"
        assert rfc3339_ms(plain) == "2026-11-25T14:30:00.000Z"
        assert epoch_ns(datetime(2026, 11, 25, 14, 30)) == moment.value - 500_000_000
    finally:
        monkeypatch.undo()
        time.tzset()


def test_epoch_nanoseconds_of_a_time_in_any_zone_and_of_a_naive_one_read_as_utc():
    moment = pd.Timestamp("2026-11-25T09:30:00.123456789", tz="America/New_York")
    assert epoch_ns(moment) == moment.value == 1_795_617_000_123_456_789
    assert epoch_ns(moment.to_pydatetime(warn=False)) == 1_795_617_000_123_456_000
    assert epoch_ns(datetime(2026, 11, 25, 14, 30)) == 1_795_617_000_000_000_000
    assert epoch_ns(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1_000
