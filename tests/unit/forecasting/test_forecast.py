"""forecast() with the cheap models: argument checks, output shape, backtest, calibration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.contract.errors import BadInput, Unprocessable
from shared.forecasting import MODELS, Forecast, calendar, forecast, minimum_points

NEW_YORK = "America/New_York"


def daily(values: np.ndarray, start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values), tz="UTC"))


def test_models_are_the_contract_ones() -> None:
    assert MODELS == ("prophet", "naive", "drift", "auto")


@pytest.mark.parametrize(
    ("interval", "horizon", "expected"),
    [("daily", 30, 60), ("daily", 1, 21), ("5min", 78, 156), ("1min", 10, 400), ("60min", 3, 23)],
)
def test_minimum_points(interval: str, horizon: int, expected: int) -> None:
    assert minimum_points(interval, horizon) == expected


def test_too_little_history_is_unprocessable_and_says_both_counts() -> None:
    with pytest.raises(Unprocessable) as raised:
        forecast(daily(np.arange(45.0)), "daily", 30, "naive")
    assert "45 points" in raised.value.message and "at least 60" in raised.value.message
    assert raised.value.status == 422


def test_missing_values_do_not_count_as_history() -> None:
    values = np.arange(61.0)
    values[3] = np.nan
    with pytest.raises(Unprocessable, match="has 60 points"):
        forecast(daily(values), "daily", 31, "drift")


@pytest.mark.parametrize(
    "arguments",
    [
        {"model": "arima"},
        {"interval": "2min"},
        {"horizon": 0},
        {"horizon": True},
        {"interval_width": 1.0},
    ],
)
def test_invalid_arguments_are_bad_input(arguments: dict) -> None:
    call = {"interval": "daily", "horizon": 5, "model": "naive"} | arguments
    with pytest.raises(BadInput):
        forecast(daily(np.arange(100.0)), **call)


def test_daily_forecast_rows_are_future_trading_days() -> None:
    history = daily(np.linspace(10, 20, 80), start="2026-08-03")
    result = forecast(history, "daily", 7, "drift")
    assert isinstance(result, Forecast) and result.model == "drift"
    assert list(result.frame.columns) == ["yhat", "yhat_lower", "yhat_upper"]
    assert (result.frame.dtypes == np.float64).all()
    assert result.frame.index.name == "time" and str(result.frame.index.tz) == "UTC"
    assert history.index[-1] == pd.Timestamp("2026-11-20", tz="UTC")
    expected = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30", "2026-12-01"]
    assert list(result.frame.index) == [
        pd.Timestamp(d, tz="UTC") for d in [*expected, "2026-12-02"]
    ]
    assert result.train_points == 80 and result.fit_seconds >= 0


def test_steady_growth_is_forecast_exactly_by_drift() -> None:
    result = forecast(daily(3.0 * 1.01 ** np.arange(100)), "daily", 10, "drift")
    assert list(result.frame["yhat"]) == pytest.approx(3.0 * 1.01 ** np.arange(100, 110))
    assert result.metrics["mase"] == pytest.approx(0, abs=1e-9)
    assert result.metrics["rel_drift"] == 1.0 and result.metrics["coverage"] == 1.0


def test_a_single_model_reports_naive_beside_it_on_the_same_windows() -> None:
    result = forecast(daily(3.0 * 1.01 ** np.arange(100)), "daily", 10, "drift")
    assert result.naive_metrics["rel_naive"] == 1.0 and result.naive_metrics["mase"] > 1
    assert result.metrics["rel_naive"] == pytest.approx(0, abs=1e-9)
    assert result.selection["drift"]["windows"] == 6 and result.selection["drift"]["wins"] == 1
    assert result.reason == "drift: requested"


def test_intraday_bars_off_the_session_grid_are_unprocessable_and_say_why() -> None:
    # round the clock from Sunday 19:30 New York time; 56 bars of 8 sessions are on the grid
    hours = pd.date_range("2024-03-04 00:30", periods=24 * 10, freq="h", tz="UTC")
    with pytest.raises(Unprocessable) as raised:
        forecast(pd.Series(1.0 + np.arange(len(hours)) % 3, hours), "60min", 7, "naive")
    assert raised.value.status == 422
    assert raised.value.message.startswith("184 of the 240 60min bars lie outside the XNYS ")
    assert "the first at 2024-03-03 19:30 New York time" in raised.value.message


@pytest.mark.parametrize(
    ("wall", "why"),
    [("2024-03-06 08:00", "before the open"), ("2024-03-06 16:00", "at the close"),
     ("2024-03-06 10:02", "between bars"), ("2024-03-09 10:00", "on a Saturday")],
)  # fmt: skip
def test_one_stray_intraday_bar_is_enough_to_refuse(wall: str, why: str) -> None:
    bars = session_bars("2024-03-04", 3, 5)
    stray = pd.Timestamp(wall, tz=NEW_YORK).tz_convert("UTC")
    history = pd.Series(100.0, index=bars.append(pd.DatetimeIndex([stray])))
    with pytest.raises(Unprocessable, match="1 of the 235 5min bars lie outside"):
        forecast(history, "5min", 10, "naive")


def session_bars(first_day: str, days: int, minutes: int) -> pd.DatetimeIndex:
    """UTC starts of every bar of `days` weekday sessions from `first_day` (no holiday in them)."""
    dates = pd.bdate_range(first_day, periods=days)
    slots = pd.timedelta_range(start="09:30:00", periods=390 // minutes, freq=f"{minutes}min")
    wall = pd.DatetimeIndex((dates.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel())
    return wall.tz_localize(NEW_YORK).tz_convert("UTC")


def test_intraday_forecast_stays_in_market_hours() -> None:
    bars = session_bars("2024-03-04", 5, 5)  # Monday to Friday before the DST change
    history = pd.Series(100 + np.cumsum(np.random.default_rng(1).normal(size=len(bars))), bars)
    frame = forecast(history, "5min", 100, "naive").frame
    local = frame.index.tz_convert(NEW_YORK)
    assert frame.index[0] == pd.Timestamp("2024-03-11 13:30", tz="UTC")
    assert set(local.day_name()) == {"Monday", "Tuesday"}
    assert local.strftime("%H:%M").min() == "09:30" and local.strftime("%H:%M").max() == "15:55"
    assert (frame["yhat"] == history.iloc[-1]).all()


@pytest.mark.parametrize(
    ("model", "drift", "width"), [("naive", 0.0, 0.8), ("naive", 0.0, 0.95), ("drift", 0.3, 0.8)]
)
def test_random_walk_intervals_cover_their_nominal_share(
    model: str, drift: float, width: float
) -> None:
    """Backtest coverage of geometric random walks (log step sd 1%), 6 windows of 10 bars each.

    Tolerance 0.035: the mean over 300 walks of 60 correlated outcomes has a standard error
    near 0.01, and the recent (EWMA) volatility estimate, from about 30 effective steps, costs
    about 0.01 of coverage.
    """
    rng = np.random.default_rng(7)
    walks = [
        daily(100 * np.exp(np.cumsum(drift / 100 + rng.normal(0, 0.01, 120)))) for _ in range(300)
    ]
    coverage = [forecast(walk, "daily", 10, model, width).metrics["coverage"] for walk in walks]
    assert np.mean(coverage) == pytest.approx(width, abs=0.035)


@pytest.mark.parametrize(
    "call",
    ["", "import pandas as pd; shared.forecasting.forecast("
     "pd.Series(range(1, 201), pd.bdate_range('2024-01-01', periods=200, tz='UTC')), "
     "'daily', 20, 'auto'); "],
)  # fmt: skip
def test_neither_importing_forecasting_nor_auto_imports_prophet(call: str) -> None:
    check = (
        f"import sys, shared.forecasting; {call}"
        "sys.exit(sorted({'prophet', 'cmdstanpy'} & set(sys.modules)) != [])"
    )
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", check], cwd=root).returncode == 0


def test_a_history_out_of_order_with_a_repeated_time_and_an_infinity_forecasts_as_the_clean_one():
    clean = daily(3.0 * 1.01 ** np.arange(100) + np.sin(np.arange(100)))
    messy = pd.concat(
        [
            clean.iloc[50:],
            pd.Series([np.inf], index=[clean.index[10] - pd.Timedelta(hours=1)]),
            pd.Series([999.0], index=[clean.index[40]]),  # sent first, then corrected
            clean.iloc[:50],
        ]
    ).tz_convert(NEW_YORK)
    expected, got = forecast(clean, "daily", 10, "drift"), forecast(messy, "daily", 10, "drift")
    pd.testing.assert_frame_equal(got.frame, expected.frame)
    assert got.metrics == expected.metrics and got.train_points == expected.train_points == 100


@pytest.mark.parametrize(("width", "valid"), [(0.5, True), (0.99, True), (0.49, False)])
def test_interval_widths_from_half_to_99_percent_are_accepted(width: float, valid: bool) -> None:
    history = daily(np.linspace(10, 20, 80))
    if not valid:
        with pytest.raises(BadInput, match=r"from 0\.5 to 0\.99"):
            forecast(history, "daily", 5, "naive", interval_width=width)
        return
    band = forecast(history, "daily", 5, "naive", interval_width=width).frame
    assert (band["yhat_lower"] <= band["yhat"]).all() and (band["yhat"] <= band["yhat_upper"]).all()


def test_daily_forecasts_fall_on_the_exchange_s_own_trading_days() -> None:
    days = pd.bdate_range(end="2026-11-24", periods=80, tz="UTC")  # up to a Tuesday
    history = pd.Series(np.linspace(10, 20, 80), index=days)
    london = forecast(history, "daily", 3, "naive", exchange="XLON").frame.index
    new_york = forecast(history, "daily", 3, "naive").frame.index
    assert [t.strftime("%m-%d") for t in london] == ["11-25", "11-26", "11-27"]
    assert [t.strftime("%m-%d") for t in new_york] == ["11-25", "11-27", "11-30"]  # Thanksgiving


def london_5min(bars: int) -> pd.Series:
    """`bars` 5-minute bars on London's session grid (102 a session, 08:00 to 16:30)."""
    times = calendar.future_times(pd.Timestamp("2026-11-02", tz="UTC"), "5min", bars, "XLON")
    return pd.Series(100.0 + np.sin(np.arange(bars)), index=times)


def test_intraday_history_grid_and_forecast_times_are_the_exchange_s_sessions() -> None:
    assert minimum_points("5min", 78, "XLON") == 78 + 102  # a whole London session to train on
    with pytest.raises(Unprocessable, match=r"has 170 points.*at least 180"):
        forecast(london_5min(170), "5min", 78, "naive", exchange="XLON")
    history = london_5min(250)
    result = forecast(history, "5min", 12, "drift", exchange="XLON")
    expected = calendar.future_times(history.index[-1], "5min", 12, "XLON")
    assert list(result.frame.index) == list(expected)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"model": "arima"}, "use one of prophet, naive, drift, auto."),
        ({"interval": "2min"}, "use one of daily, 1min, 5min, 15min, 30min, 60min."),
        ({"horizon": 0}, "The horizon must be a whole number of periods from 1 up, not 0."),
    ],
)
def test_invalid_arguments_are_refused_in_a_sentence_naming_what_is_valid(
    arguments: dict, words: str
) -> None:
    call = {"interval": "daily", "horizon": 5, "model": "naive"} | arguments
    with pytest.raises(BadInput) as raised:
        forecast(daily(np.arange(100.0)), **call)
    assert raised.value.message.endswith(words)
