"""The backtest run with every forecast: hold out the last `horizon` points, fit on the rest."""

from __future__ import annotations

import pandas as pd

from shared.forecasting.metrics import score
from shared.forecasting.models import fit_predict


def backtest(
    model: str, series: pd.Series, interval: str, horizon: int, width: float
) -> dict[str, float]:
    """Metrics of `model` fitted on all but the last `horizon` points and scored on those."""
    train, held_out = series.iloc[:-horizon], series.iloc[-horizon:]
    prediction = fit_predict(model, train, held_out.index, interval, width)
    return score(held_out.to_numpy(), prediction.frame, train.to_numpy())
