"""The NYSE regular session: 09:30 to 16:00 New York time, and intraday bars laid on it."""

from __future__ import annotations

import math

import pandas as pd

MARKET_TZ = "America/New_York"
SESSION_OPEN = pd.Timedelta(hours=9, minutes=30)
SESSION = pd.Timedelta(hours=6, minutes=30)
SESSION_MINUTES = int(SESSION / pd.Timedelta(minutes=1))


def bar_minutes(interval: str) -> int:
    """Minutes between intraday bars ('5min' -> 5)."""
    return int(interval.removesuffix("min"))


def bars_per_session(interval: str) -> int:
    """Intraday bars in one 09:30-16:00 session (a last, shorter bar counts)."""
    return math.ceil(SESSION / pd.Timedelta(minutes=bar_minutes(interval)))
