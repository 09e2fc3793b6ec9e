"""Alpha Vantage's corporate actions: `function=SPLITS` and `function=DIVIDENDS`, one request each.

Both answer `{"symbol": ..., "data": [...]}`: splits as `effective_date` and `split_factor`,
dividends as `ex_dividend_date` and `amount` (other dates may read "None"). A symbol without
actions has an empty `data`; an unknown symbol gets `{}`. Refusals (limits, premium, bad key) come
as HTTP 200 with `Information`, `Note` or `Error Message`, as for bars. Listed actions are read,
not checked: the provider boundary (`rows.check_actions`) drops impossible ones.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from shared.contract.config import ProviderSettings
from shared.contract.errors import ProviderFailed, StocksError, Unprocessable
from shared.market.actions import empty_actions
from shared.market.providers import transport
from shared.market.providers.alphavantage import (
    PER_MINUTE_HINTS,
    RATE_HINTS,
    AlphaVantageProvider,
    refusal,
)
from shared.market.providers.rows import numbers, read_actions

SPLITS = "SPLITS"
DIVIDENDS = "DIVIDENDS"
FIELDS = {SPLITS: ("effective_date", "split_factor"), DIVIDENDS: ("ex_dividend_date", "amount")}


class AlphaVantageActions:
    """Splits and dividends of a symbol from Alpha Vantage: two requests of the daily budget."""

    requests_per_symbol = 2

    def __init__(self, settings: ProviderSettings, meter: transport.Meter | None = None) -> None:
        self.provider = AlphaVantageProvider(settings, meter)  # its session, key, transport

    def actions(self, symbol: str) -> pd.DataFrame:
        """Every split and dividend Alpha Vantage lists for `symbol`, read but not checked."""
        return pd.concat([self.splits(symbol), self.dividends(symbol)])

    def splits(self, symbol: str) -> pd.DataFrame:
        """Splits of `symbol` (one request)."""
        return parse_actions(self._ask(SPLITS, symbol), SPLITS, self._secret, symbol)

    def dividends(self, symbol: str) -> pd.DataFrame:
        """Cash dividends of `symbol` (one request)."""
        return parse_actions(self._ask(DIVIDENDS, symbol), DIVIDENDS, self._secret, symbol)

    @property
    def _secret(self) -> str | None:
        return self.provider.settings.alphavantage_api_key

    def _ask(self, function: str, symbol: str) -> bytes:
        return self.provider._get({"function": function, "symbol": symbol}, symbol)


def parse_actions(
    body: bytes, function: str, secret: str | None = None, symbol: str = "the symbol"
) -> pd.DataFrame:
    """Actions from a SPLITS or DIVIDENDS answer, or the typed error a refusal stands for."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ProviderFailed(f"Alpha Vantage answered {function} with malformed JSON.") from None
    if not isinstance(document, dict):
        raise ProviderFailed(f"Alpha Vantage answered {function} with JSON that is not an object.")
    if not document:
        return empty_actions()  # Alpha Vantage's answer for a symbol it has nothing on
    if "data" not in document:
        raise _refusal(document, function, secret, symbol)
    rows = document["data"]
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ProviderFailed(f"Alpha Vantage answered {function} with malformed data.")
    date_field, value_field = FIELDS[function]
    dates = pd.Series([row.get(date_field) for row in rows], dtype=object)
    dates = dates.where(dates.map(lambda v: isinstance(v, str)), None)
    times = pd.DatetimeIndex(pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce"))
    values = numbers(pd.Series([row.get(value_field) for row in rows], dtype=object))
    if function == SPLITS:
        return read_actions(split=(times, values))
    listed = values != 0  # a zero amount lists no dividend
    return read_actions(dividend=(times[listed], values[listed]))


def _refusal(
    document: dict[str, Any], function: str, secret: str | None, symbol: str
) -> StocksError:
    """Limits and key problems read as for bars; premium and invalid calls name `function`."""
    text = " ".join(
        str(document[k]) for k in ("Error Message", "Note", "Information") if k in document
    ).lower()
    limited = any(hint in text for hint in RATE_HINTS + PER_MINUTE_HINTS)
    if "premium" in text and not limited:
        return Unprocessable(
            f"Alpha Vantage serves {function} only to premium API keys; this key is not premium."
        )
    if "Error Message" in document and not limited and "apikey" not in text:
        return Unprocessable(
            f"Alpha Vantage refused {function} for {symbol} as invalid: "
            f"{symbol} is probably an unknown symbol."
        )
    return refusal(document, "daily", secret, symbol)
