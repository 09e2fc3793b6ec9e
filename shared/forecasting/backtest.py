"""Rolling-origin cross-validation: forecast from several past origins and score each window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.forecasting.calendar import DEFAULT_EXCHANGE
from shared.forecasting.metrics import WindowScore, window_score
from shared.forecasting.models import COLUMNS, fit_predict, random_walk_paths


def origins(size: int, horizon: int, windows: int, min_train: int) -> list[int]:
    """Where up to `windows` held-out windows of `horizon` points start, the last ending the series.

    Windows follow each other without overlap when the history allows; a shorter history packs
    them closer (down to one bar apart), and only then are there fewer than `windows`. Every
    window leaves at least `min_train` points before it.
    """
    room = size - horizon - min_train  # how far before the last window the first may start
    if room < 0:
        return []
    last = size - horizon
    if windows == 1 or room == 0:
        return [last]
    step = max(1, min(horizon, room // (windows - 1)))
    count = min(windows, room // step + 1)
    return [last - k * step for k in range(count - 1, -1, -1)]


def cross_validate(
    model: str,
    series: pd.Series,
    interval: str,
    horizon: int,
    width: float,
    starts: list[int],
    exchange: str = DEFAULT_EXCHANGE,
) -> list[WindowScore]:
    """Scores of `model` fitted on the points before each start and forecasting `horizon` on."""
    values = series.to_numpy(dtype=np.float64)
    scores = []
    for start in starts:
        train, actual = values[:start], values[start : start + horizon]
        if model == "prophet":
            times = series.index[start : start + horizon]
            frame = fit_predict(model, series.iloc[:start], times, interval, width, exchange).frame
            yhat, lower, upper = (frame[column].to_numpy() for column in COLUMNS)
        else:
            yhat, lower, upper = random_walk_paths(train, horizon, width, drift=model == "drift")
        scores.append(window_score(actual, yhat, lower, upper, train))
    return scores
