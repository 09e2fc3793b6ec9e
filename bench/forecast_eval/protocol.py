"""Rolling-origin evaluation: forecasts from many past origins, errors kept per step ahead."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shared.forecasting import forecast

HORIZON = 20  # steps scored; horizon 5 is scored on the first 5 steps (auto: its own call)
SHORT = 5
FIRST_ORIGIN = 100  # bars of history at the earliest origin (Alpha Vantage's compact size)


@dataclass
class Runs:
    """Per model: for each forecast, errors scaled by the last price, and what was reported."""

    errors: dict[str, list[np.ndarray]] = field(default_factory=dict)  # |actual - yhat| / last
    naive: dict[str, list[np.ndarray]] = field(default_factory=dict)  # |actual - last| / last
    inside: dict[str, list[np.ndarray]] = field(default_factory=dict)  # within the band
    reported: dict[str, list[float]] = field(default_factory=dict)  # metrics["rel_naive"]
    chosen: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, **values: object) -> None:
        for name, value in values.items():
            getattr(self, name).setdefault(key, []).append(value)


def origin_indices(size: int, count: int) -> list[int]:
    """`count` evenly spaced origins from FIRST_ORIGIN bars to the last one leaving HORIZON."""
    return sorted({int(i) for i in np.linspace(FIRST_ORIGIN, size - HORIZON, count)})


def evaluate(series: pd.Series, models: list[str], count: int) -> Runs:
    """Forecast `series` from `count` origins with every model and record the errors."""
    runs = Runs()
    values = series.to_numpy()
    for origin in origin_indices(len(series), count):
        history, actual = series.iloc[:origin], values[origin : origin + HORIZON]
        last = values[origin - 1]
        for model in models:
            horizons = (SHORT, HORIZON) if model == "auto" else (HORIZON,)
            for horizon in horizons:
                started = time.perf_counter()
                result = forecast(history, "daily", horizon, model)
                seconds = time.perf_counter() - started
                frame, truth = result.frame, actual[:horizon]
                key = f"{model}@{horizon}"
                runs.add(
                    key,
                    errors=np.abs(truth - frame["yhat"].to_numpy()) / last,
                    naive=np.abs(truth - last) / last,
                    inside=(frame["yhat_lower"].to_numpy() <= truth)
                    & (truth <= frame["yhat_upper"].to_numpy()),
                    reported=result.metrics["rel_naive"],
                    chosen=result.model,
                    seconds=seconds,
                )
    return runs
