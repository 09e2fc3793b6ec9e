"""Prophet set up for bar data: imported lazily, quiet, reproducible and safe to run in threads.

Daily bars: a linear trend in calendar time, no weekly or daily seasonality, yearly seasonality
only with two years of data or more. Intraday bars: a linear trend on the gap-free trading-time
axis of `calendar.model_times` (nights and weekends removed) plus a one-session seasonality,
fitted on a window of recent trading days so a fit takes well under a second.

Each fit writes CmdStan's files to its own temporary directory, removed afterwards, and uses a
fixed optimizer seed. Prophet draws its uncertainty samples from NumPy's global generator; a
prediction takes a lock, seeds that generator and restores its previous state afterwards, so
concurrent predictions neither disturb each other nor change other users' random streams.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from shared.forecasting import calendar

UNCERTAINTY_SAMPLES = 500
SESSION_FOURIER_ORDER = 3
SEED = 20240101
_numpy_global_random = threading.Lock()


@functools.cache
def prophet_class() -> type:
    """Prophet's model class, imported on first use with its and CmdStanPy's INFO logs off.

    Only the 'prophet' and 'cmdstanpy' loggers change. 'prophet.plot' reports at import that
    plotly is missing; plotting is never used here, so that logger is silenced.
    """
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    from cmdstanpy.utils import get_logger
    from prophet import Prophet

    get_logger()  # CmdStanPy sets its logger to DEBUG on first use; quiet it after that
    for name in ("prophet", "cmdstanpy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return Prophet


def fit_predict(
    train: pd.Series, times: pd.DatetimeIndex, interval: str, width: float
) -> tuple[pd.DataFrame, float, int]:
    """Fit on the recent window of `train`; the forecast at `times`, fit seconds, points fitted."""
    window = calendar.training_window(train, interval, len(times))
    model = _model(window.index, interval, width)
    history = pd.DataFrame(
        {"ds": calendar.model_times(window.index, interval), "y": window.to_numpy()}
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prophet-") as output_dir:
        model.fit(history, seed=SEED, output_dir=output_dir)
    fit_seconds = time.perf_counter() - started
    future = pd.DataFrame({"ds": calendar.model_times(times, interval)})
    with _seeded_numpy():
        predicted = model.predict(future)
    columns = ("yhat", "yhat_lower", "yhat_upper")
    frame = pd.DataFrame({c: predicted[c].to_numpy(dtype=np.float64) for c in columns}, index=times)
    return frame, fit_seconds, len(window)


def _model(index: pd.DatetimeIndex, interval: str, width: float) -> Any:
    """An unfitted Prophet with settings for this interval and this much data."""
    daily = interval == calendar.DAILY
    model = prophet_class()(
        growth="linear",
        yearly_seasonality=daily and index[-1] - index[0] >= pd.Timedelta(days=730),
        weekly_seasonality=False,
        daily_seasonality=False,
        interval_width=width,
        mcmc_samples=0,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
    )
    if not daily and calendar.sessions(index) >= 2:
        model.add_seasonality("session", period=1, fourier_order=SESSION_FOURIER_ORDER)
    return model


@contextmanager
def _seeded_numpy() -> Iterator[None]:
    """NumPy's global generator seeded with SEED for one caller at a time, then restored."""
    with _numpy_global_random:
        state = np.random.get_state()
        np.random.seed(SEED)
        try:
            yield
        finally:
            np.random.set_state(state)
