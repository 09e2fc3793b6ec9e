"""RFC 3339 UTC timestamps as the contract writes them."""

from __future__ import annotations

import pandas as pd


def rfc3339(moment: pd.Timestamp | None) -> str | None:
    """`2026-11-25T14:30:00Z`, or None."""
    if moment is None or pd.isna(moment):
        return None
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(moment: pd.Timestamp) -> str:
    """`2026-11-25T14:30:00.000000001Z`: every nanosecond kept, for time-range bounds."""
    moment = pd.Timestamp(moment).tz_convert("UTC")
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.value % 1_000_000_000:09d}Z"
