"""RFC 3339 UTC timestamps as the contract writes them."""

from __future__ import annotations

import pandas as pd


def rfc3339(moment: pd.Timestamp | None) -> str | None:
    """`2026-11-25T14:30:00Z`, or None."""
    if moment is None or pd.isna(moment):
        return None
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
