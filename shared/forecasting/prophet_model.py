"""Prophet set up for prices: imported lazily, quiet, reproducible, continuous with the last price.

Prophet fits log prices (prices of a series with a value at or below zero as they are) on a
recent training window. Daily bars: a linear trend in calendar time with few changepoints and no
seasonality (yearly seasonality made forecasts of real prices worse). Intraday bars: a linear
trend on the gap-free trading-time axis of `calendar.model_times` (nights and weekends removed)
plus a one-session seasonality.

Prophet treats what its curve misses as independent noise, but prices wander like a random walk:
the curve rarely passes through the last price. The forecast therefore keeps only the curve's
movement after the last bar, added to the last observed (log) price, and its bands come from
recent volatility (`volatility`) widened by that movement (`spread`), not from Prophet's noise
model, so Prophet draws no uncertainty samples. Each fit writes CmdStan's files to its own
temporary directory, removed afterwards, and uses a fixed optimizer seed.
"""

from __future__ import annotations

import functools
import logging
import sys
import tempfile
import time
import types
from typing import Any

import numpy as np
import pandas as pd

from shared.forecasting import calendar
from shared.forecasting.volatility import bands, volatility

UNCERTAINTY_SAMPLES = 0  # bands come from `volatility`
SESSION_FOURIER_ORDER = 3
CHANGEPOINT_PRIOR_SCALE = 0.01  # a stiffer trend than Prophet's 0.05: see docs/forecasting.md
SEED = 20240101


@functools.cache
def prophet_class() -> type:
    """Prophet's model class, imported on first use with its and CmdStanPy's INFO logs off and
    without its plotting module (`without_plotting`).

    Only the 'prophet' and 'cmdstanpy' loggers change.
    """
    without_plotting()
    from cmdstanpy.utils import get_logger
    from prophet import Prophet

    get_logger()  # CmdStanPy sets its logger to DEBUG on first use; quiet it after that
    for name in ("prophet", "cmdstanpy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return Prophet


def without_plotting() -> None:
    """Give Prophet a plotting module that draws nothing, unless Prophet is loaded already.

    Prophet 1.5's model module imports `prophet.plot` for its `plot` methods, and that module
    imports matplotlib's pyplot and tries plotly: about half of importing Prophet (0.3 to 0.6 CPU
    s of predict's first Prophet forecast, docs/benchmarks.md), for drawing nothing here ever
    asks. Its two functions then refuse in a sentence.
    """
    if "prophet" in sys.modules:
        return
    stub = types.ModuleType("prophet.plot", "Prophet's plotting, not loaded by Stocks Manager.")

    def refused(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "Prophet's plotting is not loaded here (shared.forecasting.prophet_model): the "
            "chart function draws forecasts."
        )

    stub.plot = stub.plot_components = refused  # type: ignore[attr-defined]
    sys.modules.setdefault("prophet.plot", stub)


def fit_predict(
    train: pd.Series,
    times: pd.DatetimeIndex,
    interval: str,
    width: float,
    exchange: str = calendar.DEFAULT_EXCHANGE,
) -> tuple[pd.DataFrame, float, int]:
    """Fit on the recent window of `train`; the forecast at `times`, fit seconds, points fitted.

    Intraday bars lie on the session grid of `exchange`."""
    window = calendar.training_window(train, interval, len(times), exchange)
    values = train.to_numpy(dtype=np.float64)
    vol = volatility(values)
    scaled = np.log(window.to_numpy()) if vol.multiplicative else window.to_numpy()
    model = _model(window.index, interval, exchange)
    axis = calendar.model_times(window.index, interval, exchange)
    history = pd.DataFrame({"ds": axis, "y": scaled})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prophet-") as output_dir:
        model.fit(history, seed=SEED, output_dir=output_dir)
    fit_seconds = time.perf_counter() - started
    ahead = calendar.model_times(times.insert(0, window.index[-1]), interval, exchange)
    future = pd.DataFrame({"ds": ahead})
    curve = model.predict(future)["yhat"].to_numpy(dtype=np.float64)
    moves = curve[1:] - curve[0]  # the curve's movement after the last bar
    yhat = values[-1] * np.exp(moves) if vol.multiplicative else values[-1] + moves
    lower, upper = bands(yhat, spread(vol.sigma, moves), width, vol)
    frame = pd.DataFrame({"yhat": yhat, "yhat_lower": lower, "yhat_upper": upper}, index=times)
    return frame, fit_seconds, len(window)


def spread(sigma: float, moves: np.ndarray) -> np.ndarray:
    """Standard deviations 1..len(moves) steps ahead: sqrt(sigma^2 * h + move_h^2).

    A random walk's spread (naive's) plus the curve's own move as a second, independent
    uncertainty as large as the move: an extrapolated trend may not be there at all, so the band
    keeps the no-trend outcome within about one standard deviation.
    """
    h = np.arange(1, len(moves) + 1, dtype=np.float64)
    return np.sqrt(sigma**2 * h + moves**2)


def _model(index: pd.DatetimeIndex, interval: str, exchange: str) -> Any:
    """An unfitted Prophet with settings for this interval and this much data."""
    daily = interval == calendar.DAILY
    model = prophet_class()(
        growth="linear",
        changepoint_prior_scale=CHANGEPOINT_PRIOR_SCALE,
        yearly_seasonality=False,
        weekly_seasonality=False,
        daily_seasonality=False,
        mcmc_samples=0,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
    )
    if not daily and calendar.sessions(index, exchange) >= 2:
        model.add_seasonality("session", period=1, fourier_order=SESSION_FOURIER_ORDER)
    return model
