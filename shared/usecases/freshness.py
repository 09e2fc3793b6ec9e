"""How old each watchlist entry's corporate-action data is: what the page shows beside its prices.

With Tiingo and the demo, splits and dividends come with the bars, so they were last checked by
the symbol's last successful fetch. Alpha Vantage lists them apart, when due
(`shared.market.sourcing.actions_due`): they were last checked by that listing, and are checked
again within `MAX_AGE` at most.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from shared.contract.timefmt import rfc3339
from shared.market.sourcing import LISTED_APART, MAX_AGE
from shared.runtime.services import Services
from shared.store import actions, runs
from shared.store.watchlist import Entry

LOOKBACK = pd.Timedelta(days=400)


def actions_checked(services: Services, entries: list[Entry]) -> dict[str, dict[str, Any]]:
    """Per symbol: `checked` (RFC 3339, or None when never), `how` ("with every fetch" or
    "listed apart") and `next_by` (the latest the next check comes, when listed apart)."""
    listed_apart = services.settings.provider.name in LISTED_APART
    times: dict[str, datetime] = {}
    if listed_apart:
        for bucket in sorted({e.bucket for e in entries}):
            times |= actions.checked_times(services.influx, bucket)
    else:
        since = pd.Timestamp.now(tz="UTC") - LOOKBACK
        fetched = runs.last_fetched(services.influx, services.settings.meta_bucket, since)
        for (symbol, _), at in fetched.items():
            times[symbol] = max(times.get(symbol, at), at)
    found = {}
    for entry in entries:
        checked = times.get(entry.symbol)
        found[entry.symbol] = {
            "checked": rfc3339(checked) if checked is not None else None,
            "how": "listed apart" if listed_apart else "with every fetch",
            "next_by": rfc3339(checked + MAX_AGE) if listed_apart and checked is not None else None,
        }
    return found
