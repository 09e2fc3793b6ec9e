"""Listings the project knows: symbol, company name and exchange (the demo provider's universe).

A few dozen real tickers (Alpha Vantage's spelling: `.LON`, `.TRT` and `.DEX` for London,
Toronto and Xetra) and the synthetic family DEMO1 to DEMO999 for tests and benchmarks that need
many symbols. The demo provider serves these and refuses any other symbol; `exchanges.exchange_of`
reads the exchange of a known one. Names are the companies' own, never guessed.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from shared.contract.errors import Unprocessable


class Listing(NamedTuple):
    """One known symbol."""

    symbol: str
    name: str
    exchange: str  # ISO 10383 MIC


_REAL = (
    ("IBM", "International Business Machines Corporation", "XNYS"),
    ("KO", "The Coca-Cola Company", "XNYS"),
    ("UNH", "UnitedHealth Group Incorporated", "XNYS"),
    ("BRK.B", "Berkshire Hathaway Inc. Class B", "XNYS"),
    ("JPM", "JPMorgan Chase & Co.", "XNYS"),
    ("JNJ", "Johnson & Johnson", "XNYS"),
    ("V", "Visa Inc.", "XNYS"),
    ("WMT", "Walmart Inc.", "XNYS"),
    ("XOM", "Exxon Mobil Corporation", "XNYS"),
    ("DIS", "The Walt Disney Company", "XNYS"),
    ("BA", "The Boeing Company", "XNYS"),
    ("MCD", "McDonald's Corporation", "XNYS"),
    ("PG", "The Procter & Gamble Company", "XNYS"),
    ("NKE", "NIKE, Inc.", "XNYS"),
    ("CVX", "Chevron Corporation", "XNYS"),
    ("GS", "The Goldman Sachs Group, Inc.", "XNYS"),
    ("HD", "The Home Depot, Inc.", "XNYS"),
    ("F", "Ford Motor Company", "XNYS"),
    ("AAPL", "Apple Inc.", "XNAS"),
    ("MSFT", "Microsoft Corporation", "XNAS"),
    ("NVDA", "NVIDIA Corporation", "XNAS"),
    ("TSLA", "Tesla, Inc.", "XNAS"),
    ("AMD", "Advanced Micro Devices, Inc.", "XNAS"),
    ("GOOG", "Alphabet Inc. Class C", "XNAS"),
    ("GOOGL", "Alphabet Inc. Class A", "XNAS"),
    ("AMZN", "Amazon.com, Inc.", "XNAS"),
    ("ABNB", "Airbnb, Inc.", "XNAS"),
    ("META", "Meta Platforms, Inc.", "XNAS"),
    ("NFLX", "Netflix, Inc.", "XNAS"),
    ("INTC", "Intel Corporation", "XNAS"),
    ("CSCO", "Cisco Systems, Inc.", "XNAS"),
    ("PEP", "PepsiCo, Inc.", "XNAS"),
    ("COST", "Costco Wholesale Corporation", "XNAS"),
    ("ADBE", "Adobe Inc.", "XNAS"),
    ("BP.LON", "BP p.l.c.", "XLON"),
    ("HSBA.LON", "HSBC Holdings plc", "XLON"),
    ("VOD.LON", "Vodafone Group Plc", "XLON"),
    ("SHEL.LON", "Shell plc", "XLON"),
    ("AZN.LON", "AstraZeneca PLC", "XLON"),
    ("SHOP.TRT", "Shopify Inc.", "XTSE"),
    ("RY.TRT", "Royal Bank of Canada", "XTSE"),
    ("TD.TRT", "The Toronto-Dominion Bank", "XTSE"),
    ("ENB.TRT", "Enbridge Inc.", "XTSE"),
    ("SAP.DEX", "SAP SE", "XETR"),
    ("SIE.DEX", "Siemens Aktiengesellschaft", "XETR"),
    ("BMW.DEX", "Bayerische Motoren Werke Aktiengesellschaft", "XETR"),
    ("DTE.DEX", "Deutsche Telekom AG", "XETR"),
    ("ALV.DEX", "Allianz SE", "XETR"),
)
REAL: dict[str, Listing] = {symbol: Listing(symbol, *rest) for symbol, *rest in _REAL}
"""The real tickers, by symbol."""
EXAMPLES = ("IBM", "AAPL", "MSFT", "NVDA", "KO", "TSLA", "AMZN", "BP.LON", "SHOP.TRT", "SAP.DEX")
SYNTHETIC = re.compile(r"DEMO([1-9][0-9]{0,2})")
"""DEMO1 to DEMO999: synthetic stocks on XNYS."""
SYNTHETIC_EXCHANGE = "XNYS"


def listing(symbol: str) -> Listing | None:
    """The known listing of `symbol` (as spelt, upper case), None if it is not one."""
    known = REAL.get(symbol)
    if known is not None:
        return known
    synthetic = SYNTHETIC.fullmatch(symbol)
    if synthetic is None:
        return None
    return Listing(symbol, f"Demo stock {synthetic[1]} (synthetic)", SYNTHETIC_EXCHANGE)


def served(symbol: str) -> Listing:
    """The listing of a symbol the demo provider serves; Unprocessable naming some otherwise."""
    known = listing(symbol)
    if known is None:
        raise Unprocessable(f"The demo provider has no symbol {symbol!r}: it serves {examples()}.")
    return known


def name(symbol: str) -> str | None:
    """The company name of a known symbol."""
    known = listing(symbol)
    return known.name if known else None


def exchange(symbol: str) -> str | None:
    """The exchange (MIC) of a known symbol."""
    known = listing(symbol)
    return known.exchange if known else None


def examples() -> str:
    """Some known symbols, for a message that refuses an unknown one."""
    return f"{', '.join(EXAMPLES)} (and {len(REAL) - len(EXAMPLES)} more) or DEMO1 to DEMO999"
