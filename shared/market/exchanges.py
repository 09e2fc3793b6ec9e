"""Which exchange a symbol trades on, and where intraday bars are offered: no pandas, no table.

Kept apart from the session calendars so that tracking a stock (watchlist) can answer both
without loading them.
"""

from __future__ import annotations

from shared.contract.errors import Unprocessable
from shared.contract.schema import DAILY, DEFAULT_EXCHANGE
from shared.market import listings

SUFFIXES = {".LON": "XLON", ".TRT": "XTSE", ".DEX": "XETR"}
"""Alpha Vantage's symbol suffixes and the exchanges they name."""
INTRADAY_EXCHANGES = ("XNYS", "XNAS")
"""Where the providers offer intraday bars: Alpha Vantage and Tiingo (IEX), US listings only."""


def check_intraday(interval: str, mic: str) -> None:
    """Unprocessable for intraday bars of an exchange the providers offer none for."""
    if interval != DAILY and mic not in INTRADAY_EXCHANGES:
        raise Unprocessable(
            f"Intraday bars are offered for US listings only ({', '.join(INTRADAY_EXCHANGES)}: "
            f"Alpha Vantage's and Tiingo's intraday data is US-only), not on {mic}: track or "
            "fetch it daily."
        )


def exchange_of(symbol: str) -> str:
    """The exchange a symbol trades on: its Alpha Vantage suffix, a known listing, else XNYS."""
    upper = symbol.upper()
    for suffix, mic in SUFFIXES.items():
        if upper.endswith(suffix):
            return mic
    return listings.exchange(upper) or DEFAULT_EXCHANGE
