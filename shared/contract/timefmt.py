"""RFC 3339 UTC timestamps as the contract writes them.

Plain `datetime` code (a pandas Timestamp is a datetime), so functions that never touch a frame
need not import pandas to answer.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rfc3339(moment: datetime | None) -> str | None:
    """`2026-11-25T14:30:00Z`, or None (also for pandas' NaT, which equals nothing)."""
    if moment is None or moment != moment:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(moment: datetime) -> str:
    """`2026-11-25T14:30:00.000000001Z`: every nanosecond kept, for time-range bounds."""
    utc = moment.astimezone(UTC)
    nanoseconds = utc.microsecond * 1_000 + getattr(utc, "nanosecond", 0)
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{nanoseconds:09d}Z"


def rfc3339_ms(moment: datetime) -> str:
    """`2026-11-25T14:30:00Z`, or `2026-11-25T14:30:00.125Z` when it has milliseconds: exact for
    the times the store reads back (whole milliseconds)."""
    utc = moment.astimezone(UTC)
    if utc.microsecond == 0:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond // 1000:03d}Z"


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one is read as UTC (a pandas Timestamp stays one)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def from_epoch_ms(milliseconds: int) -> datetime:
    """The UTC time of a count of milliseconds since the epoch (how the store's JSON gives
    times), exact."""
    return EPOCH + timedelta(milliseconds=milliseconds)


def epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch (a naive time read as UTC); a pandas Timestamp keeps its
    nanoseconds."""
    utc = in_utc(moment)
    whole_seconds = calendar.timegm(utc.utctimetuple())
    return whole_seconds * 1_000_000_000 + utc.microsecond * 1_000 + getattr(utc, "nanosecond", 0)
