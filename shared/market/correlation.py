"""Which symbols move together: correlation of their daily returns over the last year (pure).

Each symbol's returns are taken between its own consecutive sessions (exchanges close on
different holidays), then paired by date; a pair needs `MIN_COMMON_SESSIONS` returns on the same
days before its correlation is given, else it is None.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YEAR = pd.Timedelta(days=365)
MIN_COMMON_SESSIONS = 60
EXPLANATION = (
    "How closely two stocks' daily moves went together over the last year: 1 always in step, "
    "0 unrelated, -1 always opposite (correlation of daily returns)."
)


def daily_returns(closes: dict[str, pd.Series]) -> pd.DataFrame:
    """Each symbol's daily log returns over the last year, one column a symbol, rows by date."""
    returns = {
        symbol: np.log(series[np.isfinite(series) & (series > 0)].sort_index()).diff().dropna()
        for symbol, series in closes.items()
    }
    frame = pd.DataFrame(returns)
    if frame.empty:
        return frame
    return frame[frame.index > frame.index.max() - YEAR]


def correlations(closes: dict[str, pd.Series]) -> pd.DataFrame:
    """The symbols' pairwise correlations (NaN where they share too few sessions)."""
    returns = daily_returns(closes)
    return returns.corr(min_periods=MIN_COMMON_SESSIONS).reindex(
        index=list(closes), columns=list(closes)
    )


def pairs(matrix: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Each pair once, most in step first (NaN pairs left out)."""
    symbols = list(matrix.index)
    found = [
        (a, b, float(matrix.loc[a, b]))
        for i, a in enumerate(symbols)
        for b in symbols[i + 1 :]
        if pd.notna(matrix.loc[a, b])
    ]
    return sorted(found, key=lambda pair: -pair[2])
