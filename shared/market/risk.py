"""Risk and range of one price series in plain figures, from its closes alone (pure: no I/O).

How much it moves now (annualised volatility of the last month's daily returns) and whether that
is calm or wild for this stock (its percentile among every month of its own history), the
largest fall from a peak over the last year, and where the last close stands between the 52-week
high and low. Intraday series are first reduced to one close a day (the last of each UTC day:
the exchanges served trade within one). Each figure is None when the history is too short to
say; `EXPLANATIONS` says each in one line, for the page and the dashboards.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from shared.contract.schema import DAILY

SESSIONS_A_YEAR = 252  # trading sessions: annualising factor and the 52-week window
VOLATILITY_SESSIONS = 21  # about a month of daily returns: "volatility now"
MIN_PERCENTILE_MONTHS = SESSIONS_A_YEAR  # rolling values needed before a percentile means much

FIELDS = (
    "volatility",
    "volatility_percentile",
    "drawdown",
    "high_52w",
    "low_52w",
    "from_high",
    "from_low",
)
EXPLANATIONS = {
    "volatility": "How much the price swings: the typical yearly move implied by the last month's "
    "daily changes (annualised volatility).",
    "volatility_percentile": "Calmer or wilder than usual: the share of the stock's own past "
    "months that were calmer than this one, 50 being usual (volatility percentile).",
    "drawdown": "The largest fall from a high point to a later low over the last year "
    "(maximum drawdown).",
    "from_high": "How far the last close is below the highest close of the last 52 weeks.",
    "from_low": "How far the last close is above the lowest close of the last 52 weeks.",
    "range": "Where the forecast expects the price at its horizon, with the stated probability "
    "(the forecast interval).",
}


def daily(closes: pd.Series, interval: str) -> pd.Series:
    """One close a day, oldest first, positive and finite only: intraday bars' last of each day."""
    clean = closes[np.isfinite(closes) & (closes > 0)].sort_index()
    if interval == DAILY or clean.empty:
        return clean
    days = clean.index.floor("D")
    return clean.groupby(days).last()


def volatility(closes: pd.Series) -> float | None:
    """Annualised standard deviation of the last `VOLATILITY_SESSIONS` daily log returns."""
    returns = np.log(closes).diff().dropna()
    if len(returns) < VOLATILITY_SESSIONS:
        return None
    return float(returns.iloc[-VOLATILITY_SESSIONS:].std(ddof=1) * math.sqrt(SESSIONS_A_YEAR))


def volatility_percentile(closes: pd.Series) -> float | None:
    """Where the latest monthly volatility ranks among all of the series' rolling ones, 0-100:
    the percent below it, ties counted half (so a series as steady as ever stands at 50, not
    at the top)."""
    returns = np.log(closes).diff().dropna()
    rolling = returns.rolling(VOLATILITY_SESSIONS).std(ddof=1).dropna().to_numpy()
    if len(rolling) < MIN_PERCENTILE_MONTHS:
        return None
    latest = rolling[-1]
    equal = np.isclose(rolling, latest, rtol=1e-9, atol=1e-15)
    below = np.count_nonzero((rolling < latest) & ~equal)
    return float((below + np.count_nonzero(equal) / 2) / len(rolling) * 100)


def drawdown(closes: pd.Series) -> float | None:
    """The largest fall from a running peak within the last year, as a fraction (<= 0)."""
    year = closes.iloc[-(SESSIONS_A_YEAR + 1) :]  # a year of returns: one close more
    if len(year) < 2:
        return None
    return float((year / year.cummax() - 1).min())


def year_range(closes: pd.Series) -> dict[str, float | None]:
    """The 52-week high and low close, and the last close's distance from each (fractions)."""
    if len(closes) < SESSIONS_A_YEAR:
        return {"high_52w": None, "low_52w": None, "from_high": None, "from_low": None}
    year = closes.iloc[-SESSIONS_A_YEAR:]
    last, high, low = float(year.iloc[-1]), float(year.max()), float(year.min())
    return {
        "high_52w": high,
        "low_52w": low,
        "from_high": last / high - 1,
        "from_low": last / low - 1,
    }


def figures(closes: pd.Series, interval: str = DAILY) -> dict[str, float | None]:
    """Every figure of `FIELDS` for a series of closes (any interval), None where too short."""
    days = daily(closes.astype("float64"), interval)
    return {
        "volatility": volatility(days),
        "volatility_percentile": volatility_percentile(days),
        "drawdown": drawdown(days),
        **year_range(days),
    }


def forecast_range(
    close: float | None, lower: float | None, upper: float | None
) -> dict[str, float | None] | None:
    """The forecast interval at its horizon and its edges as changes from the last close (%)."""
    if close is None or lower is None or upper is None or close <= 0:
        return None
    return {
        "lower": lower,
        "upper": upper,
        "lower_pct": (lower / close - 1) * 100,
        "upper_pct": (upper / close - 1) * 100,
    }
