"""Forecasts of one bar series: naive and drift benchmarks, Prophet, and `auto`, honestly scored.

Pure computation: a pandas series in, a `Forecast` out. Prophet is imported only when a Prophet
model is fitted (see `prophet_model`). Protocol, data and measured results: docs/forecasting.md.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shared.contract.errors import BadInput, Unprocessable
from shared.contract.schema import INTERVALS, MODELS
from shared.forecasting import calendar, selection
from shared.forecasting.backtest import cross_validate, origins
from shared.forecasting.metrics import WindowScore, pooled
from shared.forecasting.models import fit_predict
from shared.market.calendar import calendar as market_calendar

__all__ = ["MODELS", "WIDTH_RANGE", "Forecast", "forecast", "minimum_points"]

MIN_TRAIN_POINTS = 20
WIDTH_RANGE = (0.5, 0.99)
"""The prediction interval widths a caller may ask for (0.8: an 80% interval)."""


@dataclass(frozen=True)
class Forecast:
    """A forecast, how well its model did before, and why that model.

    `frame` holds only future rows: a UTC DatetimeIndex named "time" and float64 columns yhat,
    yhat_lower, yhat_upper. `model` produced `frame` (for 'auto', the one chosen); `fit_seconds`
    is the final fit's duration; `train_points` the points it was fitted on (Prophet: a recent
    window, see `calendar.training_window`; naive and drift: the whole history).

    `metrics` (mape, mase, rel_naive, rel_drift, coverage; finite floats, see `metrics.pooled`)
    measure the model on rolling-origin windows at the end of the history that did not choose
    it: for 'auto', what the choosing rule picked from the data before each window, scored on
    that window (nested cross-validation), so they estimate what this forecast will do.
    `naive_metrics` are the naive forecast's on the same windows. `selection` holds each
    candidate's cross-validation scores (rel_naive, wins, mase, windows; see
    `selection.summary`) and `reason` says in a sentence why `model` was used.
    """

    model: str
    frame: pd.DataFrame
    metrics: dict[str, float]
    fit_seconds: float
    train_points: int
    naive_metrics: dict[str, float] = field(default_factory=dict)
    selection: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str = ""


def minimum_points(interval: str, horizon: int, exchange: str = calendar.DEFAULT_EXCHANGE) -> int:
    """Fewest history points `forecast` accepts: one held-out window plus a training set.

    The training set is at least 20 points, at least `horizon` points and, intraday, at least
    one full session of bars.
    """
    _check(interval, horizon)
    return horizon + _min_train(interval, horizon, exchange)


def forecast(
    history: pd.Series,
    interval: str,
    horizon: int,
    model: str = "prophet",
    interval_width: float = 0.8,
    exchange: str = calendar.DEFAULT_EXCHANGE,
) -> Forecast:
    """Score `model` on past windows, then forecast `horizon` bars ahead.

    `history` is a float series indexed by ascending UTC bar timestamps; missing values are
    dropped. 'auto' cross-validates naive and drift over `selection.windows(horizon)` windows and
    keeps naive unless drift wins clearly and consistently (`selection.choose`). Naive and drift are
    scored on the same windows; Prophet on the last `horizon` points only (a fit per window), in
    a thread beside the final fit. Future times and, intraday, the session grid are those of
    `exchange` (an ISO MIC). Raises Unprocessable when the history is too short or, intraday, has
    bars off the session grid; BadInput for invalid arguments.
    """
    _check(interval, horizon)
    if model not in MODELS:
        raise BadInput(f"The model {model!r} is not valid: use one of {', '.join(MODELS)}.")
    if not WIDTH_RANGE[0] <= interval_width <= WIDTH_RANGE[1]:
        raise BadInput(
            f"The interval width must be from {WIDTH_RANGE[0]} to {WIDTH_RANGE[1]}, "
            f"not {interval_width}."
        )
    series = _prepared(history)
    _check_grid(series.index, interval, exchange)
    needed = minimum_points(interval, horizon, exchange)
    if len(series) < needed:
        raise Unprocessable(
            f"The history has {len(series)} points; forecasting {horizon} periods ahead "
            f"needs at least {needed}."
        )
    future = calendar.future_times(series.index[-1], interval, horizon, exchange)
    min_train = _min_train(interval, horizon, exchange)
    if model == "auto":
        return _auto(series, future, interval, interval_width, min_train, exchange)
    windows = 1 if model == "prophet" else selection.windows(horizon)
    starts = origins(len(series), horizon, windows, min_train)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(
            fit_predict, model, series, future, interval, interval_width, exchange
        )
        scores = cross_validate(model, series, interval, horizon, interval_width, starts, exchange)
        final = pending.result()
    naive = scores
    if model != "naive":
        naive = cross_validate("naive", series, interval, horizon, interval_width, starts)
    return Forecast(
        model=model,
        frame=final.frame,
        metrics=pooled(scores),
        fit_seconds=final.fit_seconds,
        train_points=final.train_points,
        naive_metrics=pooled(naive),
        selection={model: selection.summary(scores, naive)},
        reason=f"{model}: requested",
    )


def _auto(
    series: pd.Series,
    future: pd.DatetimeIndex,
    interval: str,
    width: float,
    min_train: int,
    exchange: str,
) -> Forecast:
    """Choose by cross-validation; report what the same rule achieved on windows it never saw.

    The nested windows (those before each window, on which the rule would have chosen) are
    mostly the outer windows again, so each candidate is scored once per distinct window: a
    window's score depends only on the values before and in it, whatever prefix it is cut from.
    """
    horizon = len(future)
    count = selection.windows(horizon)
    starts = origins(len(series), horizon, count, min_train)
    earlier = {start: origins(start, horizon, count, min_train) for start in starts}
    every = sorted(set(starts).union(*earlier.values()))
    scored = {
        name: dict(
            zip(every, cross_validate(name, series, interval, horizon, width, every), strict=True)
        )
        for name in selection.CANDIDATES
    }

    def cv_on(windows: list[int]) -> dict[str, list[WindowScore]]:
        return {name: [scored[name][start] for start in windows] for name in scored}

    cv = cv_on(starts)
    choice = selection.choose(cv)
    realised = [
        cv[selection.choose(cv_on(earlier[start])).model][position]
        for position, start in enumerate(starts)
    ]
    final = fit_predict(choice.model, series, future, interval, width, exchange)
    return Forecast(
        model=choice.model,
        frame=final.frame,
        metrics=pooled(realised),
        fit_seconds=final.fit_seconds,
        train_points=final.train_points,
        naive_metrics=pooled(cv["naive"]),
        selection=choice.scores,
        reason=choice.reason,
    )


def _min_train(interval: str, horizon: int, exchange: str) -> int:
    session = 0 if interval == calendar.DAILY else calendar.bars_per_session(interval, exchange)
    return max(MIN_TRAIN_POINTS, horizon, session)


def _check(interval: str, horizon: int) -> None:
    if interval not in INTERVALS:
        raise BadInput(
            f"The interval {interval!r} is not valid: use one of {', '.join(INTERVALS)}."
        )
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise BadInput(f"The horizon must be a whole number of periods from 1 up, not {horizon!r}.")


def _check_grid(index: pd.DatetimeIndex, interval: str, exchange: str) -> None:
    """Intraday bars must lie on the session grid the forecast times are laid on."""
    if interval == calendar.DAILY:
        return
    strays = calendar.off_grid(index, interval, exchange)
    if len(strays):
        zone = market_calendar(exchange).tz
        first = strays[0].tz_convert(zone).strftime("%Y-%m-%d %H:%M")
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        raise Unprocessable(
            f"{len(strays)} of the {len(index)} {interval} bars lie outside the {exchange} "
            f"session grid (a bar every {interval} from each session's open to its close, "
            f"early closes included), the first at {first} {city} time: forecasts of a 24-hour "
            f"instrument, of extended hours or of another exchange would be laid on the wrong "
            f"times, so this series is not forecast."
        )


def _prepared(history: pd.Series) -> pd.Series:
    """Finite float64 values on a sorted, unique UTC index."""
    index = history.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise TypeError("history must be indexed by time-zone-aware timestamps")
    series = history.astype(np.float64).set_axis(index.tz_convert("UTC"))
    series = series[np.isfinite(series.to_numpy())]
    return series[~series.index.duplicated(keep="last")].sort_index()
