"""Recent volatility of a price series and the prediction bands it implies.

Prices move by multiples, so the spread comes from log returns and bands are log-normal
(multiplicative) around the point forecast; a series with a value at or below zero falls back to
price differences and additive bands. The one-step variance is an exponentially weighted mean of
squared steps (RiskMetrics' EWMA): recent moves count most, so bands widen after a turbulent
spell and narrow in a calm one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

DECAY = 0.94  # RiskMetrics' daily value; tuned on the tuning series (docs/forecasting.md)
NEGLIGIBLE_WEIGHT = 1e-6  # steps older than this weight are left out


@dataclass(frozen=True)
class Volatility:
    """One-step standard deviation of log returns (multiplicative) or of price differences."""

    sigma: float
    multiplicative: bool


def volatility(y: np.ndarray, decay: float = DECAY) -> Volatility:
    """EWMA volatility of the steps of `y` (two values or more): newest weight 1, then decay^k."""
    multiplicative = bool(np.all(y > 0))
    oldest = math.ceil(math.log(NEGLIGIBLE_WEIGHT) / math.log(decay)) + 1
    recent = y[-oldest:]
    steps = np.diff(np.log(recent)) if multiplicative else np.diff(recent)
    weights = decay ** np.arange(len(steps) - 1, -1, -1, dtype=np.float64)
    sigma = math.sqrt(float(np.sum(weights * steps**2) / np.sum(weights)))
    return Volatility(sigma, multiplicative)


def bands(
    yhat: np.ndarray, spread: np.ndarray, width: float, vol: Volatility
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds holding `width` of outcomes, `spread` sds (per step) around `yhat`.

    Multiplicative: yhat * exp(-+z * spread), the normal quantile z of a log-normal outcome whose
    median is yhat. Additive: yhat -+ z * spread.
    """
    z = NormalDist().inv_cdf((1 + width) / 2)
    if vol.multiplicative:
        return yhat * np.exp(-z * spread), yhat * np.exp(z * spread)
    return yhat - z * spread, yhat + z * spread
