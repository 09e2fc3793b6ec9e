"""predict as a real process on a real influxd: forecasts, supersession, errors, events."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from shared.contract.events import FETCHED, PREDICTED
from shared.contract.schema import FORECAST, FORECAST_RUNS, PRICES
from shared.forecasting import calendar
from shared.store import forecasts

TREND = 0.2  # price units a business day


def seed_trend(storage, bucket: str, symbol: str = "SYN", days: int = 500) -> pd.DataFrame:
    """A linear trend with small Gaussian noise, on business days."""
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-01", periods=days, tz="UTC"), name="time")
    noise = np.random.default_rng(3).normal(0, 0.5, days)
    close = 100 + TREND * np.arange(days) + noise
    frame = pd.DataFrame(
        {
            "symbol": symbol,
            "interval": "daily",
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 1000,
        },
        index=index,
    )
    storage.write(bucket, frame, PRICES)
    return frame


def forecast_rows(storage, bucket: str, symbol: str = "SYN") -> pd.DataFrame:
    return storage.query(
        bucket, f'SELECT * FROM "forecast" WHERE "symbol" = \'{symbol}\'', FORECAST
    )


@pytest.fixture
def predict(serve):
    return serve("predict")


@pytest.fixture(scope="module")
def predict_once(serve_once):
    """One predict for the refusals, which store nothing in its meta bucket or elsewhere."""
    return serve_once("predict")


def test_prophet_forecast_of_a_trend_is_within_tolerance(predict, storage, bucket):
    history = seed_trend(storage, bucket)
    response = requests.post(
        predict.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "horizon": 20},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "prophet" and body["points"] == 20 and body["target"] == bucket
    rows = forecast_rows(storage, bucket)
    assert len(rows) == 20
    assert (rows.index > history.index.max()).all()  # only future rows
    assert (rows.index.day_of_week < 5).all()  # business days
    expected = 100 + TREND * (len(history) - 1 + np.arange(1, 21))
    assert np.abs(rows["yhat"].to_numpy() - expected).max() < 3.0  # stated tolerance: 3 price units
    assert (rows["yhat_lower"] < rows["yhat"]).all() and (rows["yhat"] < rows["yhat_upper"]).all()
    assert set(rows["model"]) == {"prophet"} and set(rows["field"]) == {"close"}
    runs = storage.query(bucket, 'SELECT * FROM "forecast_runs"', FORECAST_RUNS)
    assert len(runs) == 1 and runs["horizon"].iloc[0] == 20
    for metric in ("mape", "mase", "rel_naive", "rel_drift", "coverage"):
        assert runs[metric].iloc[0] == pytest.approx(body["metrics"][metric], rel=1e-4)
    assert body["first"] == rows.index.min().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_shorter_newer_forecast_is_read_without_stale_points(predict, storage, bucket):
    seed_trend(storage, bucket)
    first = requests.post(
        predict.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "horizon": 30, "model": "drift"},
        timeout=120,
    ).json()
    second = requests.post(
        predict.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "horizon": 5, "model": "naive"},
        timeout=120,
    ).json()
    assert (first["points"], second["points"]) == (30, 5)
    rows = forecasts.latest(storage, bucket, "SYN", "daily")  # drift's older one may stay stored
    assert len(rows) == 5 and set(rows["model"]) == {"naive"}
    assert rows.index.max().strftime("%Y-%m-%dT%H:%M:%SZ") == second["last"]


def test_auto_reports_the_model_that_produced_the_points(predict, storage, bucket):
    seed_trend(storage, bucket)
    body = requests.post(
        predict.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "horizon": 10, "model": "auto"},
        timeout=180,
    ).json()
    assert body["model"] in ("prophet", "naive", "drift")
    assert set(forecast_rows(storage, bucket)["model"]) == {body["model"]}
    # why: every candidate's cross-validation scores, naive's own beside the winner's, a sentence
    assert {"naive", "drift"} <= set(body["selection"]) and body["reason"].startswith(body["model"])
    assert set(body["naive_metrics"]) == {"mape", "mase", "coverage"}
    (run,) = runs_of(storage, bucket).itertuples()
    assert json.loads(run.selection) == body["selection"] and run.reason == body["reason"]
    assert run.naive_mase == pytest.approx(body["naive_metrics"]["mase"], rel=1e-5)


def test_a_misspelled_field_is_400_naming_it_and_the_valid_ones(predict_once, storage, bucket):
    seed_trend(storage, bucket, "SYN", days=60)
    response = requests.post(
        predict_once.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "modle": "naive"},
        timeout=60,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "'modle'" in error and "model" in error and "interval_width" in error
    assert forecast_rows(storage, bucket, "SYN").empty


def test_no_data_is_422_and_writes_nothing(predict, storage, bucket):
    seed_trend(storage, bucket, "SYN", days=5)
    response = requests.post(
        predict.url, json={"symbol": "NODATA", "bucket": bucket, "target": bucket}, timeout=60
    )
    assert response.status_code == 422
    assert "NODATA" in response.json()["error"]
    short = requests.post(
        predict.url,
        json={"symbol": "SYN", "bucket": bucket, "target": bucket, "horizon": 30, "model": "naive"},
        timeout=60,
    )
    assert short.status_code == 422
    assert "5" in short.json()["error"]  # says how much it has
    assert (
        forecast_rows(storage, bucket, "SYN").empty
        and forecast_rows(storage, bucket, "NODATA").empty
    )


def seed_five_minutes(storage, bucket: str, times: pd.DatetimeIndex) -> None:
    close = 50 + np.sin(np.arange(len(times)) / 7)
    frame = pd.DataFrame(
        {"symbol": "IBM", "interval": "5min", "open": close, "high": close + 0.1},
        index=pd.DatetimeIndex(times, name="time"),
    ).assign(low=close - 0.1, close=close, volume=100)
    storage.write(bucket, frame, PRICES)


def grid_from(wall: str, bars: int) -> pd.DatetimeIndex:
    """XNYS's 5-minute bar starts after the New York wall time `wall`."""
    start = pd.Timestamp(wall, tz="America/New_York").tz_convert("UTC")
    return calendar.future_times(start, "5min", bars)


def test_five_minute_bars_after_an_early_close_are_off_the_grid_and_refused(
    predict, storage, bucket
):
    # the 26th whole, then the 28th as if it had closed at 16:00: 13:00 to 15:55 are strays
    regular = pd.timedelta_range("09:30:00", periods=78, freq="5min")
    wall = pd.DatetimeIndex(pd.Timestamp("2025-11-28") + regular)
    strays_included = wall.tz_localize("America/New_York").tz_convert("UTC")
    seed_five_minutes(storage, bucket, grid_from("2025-11-26 09:00", 78).append(strays_included))
    response = requests.post(
        predict.url,
        json={"symbol": "IBM", "bucket": bucket, "target": bucket, "interval": "5min",
              "horizon": 12, "model": "naive"},
        timeout=60,
    )  # fmt: skip
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error.startswith("36 of the 156 5min bars lie outside the XNYS session grid")
    assert "the first at 2025-11-28 13:00 New York time" in error
    assert forecast_rows(storage, bucket, "IBM").empty


def test_an_intraday_forecast_made_on_an_early_close_morning_stops_at_the_close(
    predict, storage, bucket
):
    history = grid_from("2025-11-24 09:00", 3 * 78 + 7)  # to 10:00 on 2025-11-28
    assert history[-1] == pd.Timestamp("2025-11-28 10:00", tz="America/New_York")
    seed_five_minutes(storage, bucket, history)
    response = requests.post(
        predict.url,
        json={"symbol": "IBM", "bucket": bucket, "target": bucket, "interval": "5min",
              "horizon": 40, "model": "naive"},
        timeout=60,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    times = forecast_rows(storage, bucket, "IBM").index.tz_convert("America/New_York")
    assert len(times) == 40
    assert times[34] == pd.Timestamp("2025-11-28 12:55", tz="America/New_York")
    assert times[35] == pd.Timestamp("2025-12-01 09:30", tz="America/New_York")


@pytest.mark.parametrize(
    "fields",
    [
        {"horizon": 0},
        {"horizon": 366},
        {"horizon": "ten"},
        {"model": "arima"},
        {"field": "price"},
        {"target": "a b"},
        {"interval_width": 1.5},
    ],
)
def test_bad_input_is_400(predict_once, storage, bucket, fields):
    seed_trend(storage, bucket, days=60)
    response = requests.post(
        predict_once.url, json={"symbol": "SYN", "bucket": bucket, **fields}, timeout=60
    )
    assert response.status_code == 400 and response.json()["error"]
    assert forecast_rows(storage, bucket, "SYN").empty


def test_event_round_trip_replies_with_a_predicted_cloudevent(predict, storage, bucket):
    seed_trend(storage, bucket, days=120)
    event = CloudEvent(
        {"type": FETCHED, "source": "/stocks-manager/fetch", "datacontenttype": "application/json"},
        {
            "symbol": "SYN",
            "bucket": bucket,
            "interval": "daily",
            "points": 120,
            "first": "2024-01-01T00:00:00Z",
            "last": "2024-06-14T00:00:00Z",
            "provider": "demo",
        },
    )
    headers, data = to_binary(event)
    reply = requests.post(predict.url, data=data, headers=headers, timeout=120)
    assert reply.status_code == 200, reply.text
    assert reply.headers["ce-type"] == PREDICTED
    assert reply.headers["ce-alertrules"] == "yes"  # fetch did not say: alerts is woken
    assert reply.headers["Content-Type"] == "application/json"
    body = json.loads(reply.content)
    assert body["symbol"] == "SYN" and body["target"] == "forecasts" and body["points"] == 30
    assert len(forecast_rows(storage, "forecasts")) == 30


def fetched_event(bucket: str, points: int, last: str, **extra: object) -> tuple[dict, bytes]:
    """fetch's reply as predict receives it through the broker."""
    event = CloudEvent(
        {"type": FETCHED, "source": "/stocks-manager/fetch", "datacontenttype": "application/json"},
        {
            "symbol": "SYN",
            "bucket": bucket,
            "interval": "daily",
            "points": points,
            "first": None,
            "last": last,
            "provider": "demo",
            "bucket_created": False,
            **extra,
        },
    )
    headers, data = to_binary(event)
    return dict(headers), data


def runs_of(storage, bucket: str) -> pd.DataFrame:
    return storage.query(bucket, 'SELECT * FROM "forecast_runs"', FORECAST_RUNS)


def test_a_tick_without_new_bars_answers_from_the_current_forecast(predict, storage, bucket):
    frame = seed_trend(storage, bucket, days=120)
    last = frame.index[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    options = {"target": bucket, "model": "naive", "horizon": 10}
    headers, data = fetched_event(bucket, 5, last, **options)
    first = requests.post(predict.url, data=data, headers=headers, timeout=120)
    assert json.loads(first.content)["refit"] is True and len(runs_of(storage, bucket)) == 1
    headers, data = fetched_event(bucket, 0, last, **options)
    headers["ce-alertrules"] = "no"  # the symbol has no alert rule, fetch said
    again = requests.post(predict.url, data=data, headers=headers, timeout=120)
    assert again.status_code == 200 and again.headers["ce-type"] == PREDICTED
    assert again.headers["ce-alertrules"] == "no"  # what fetch said, passed on to alerts
    body = json.loads(again.content)
    assert body["refit"] is False and body["model"] == "naive" and body["points"] == 10
    assert body["fit_seconds"] == 0.0 and set(body["metrics"]) >= {"rel_naive", "mase"}
    assert body["reason"] == json.loads(first.content)["reason"]
    assert body["naive_metrics"] == json.loads(first.content)["naive_metrics"]
    assert len(runs_of(storage, bucket)) == 1  # nothing fitted, nothing recorded


@pytest.mark.parametrize(
    ("points", "options"),
    [
        (1, {}),  # a new bar arrived
        (0, {"model": "drift"}),  # the entry now names another model
        (0, {"horizon": 12}),  # another horizon
    ],
)
def test_new_bars_or_other_options_still_refit(predict, storage, bucket, points, options):
    frame = seed_trend(storage, bucket, days=120)
    last = frame.index[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    base = {"target": bucket, "model": "naive", "horizon": 10}
    for step in (base, {**base, **options}):
        headers, data = fetched_event(bucket, points if step is not base else 5, last, **step)
        reply = requests.post(predict.url, data=data, headers=headers, timeout=120)
        assert reply.status_code == 200, reply.text
    assert json.loads(reply.content)["refit"] is True
    assert len(runs_of(storage, bucket)) == 2


def test_an_explicit_request_always_refits(predict, storage, bucket):
    seed_trend(storage, bucket, days=120)
    fields = {"symbol": "SYN", "bucket": bucket, "target": bucket, "model": "naive"}
    for _ in range(2):
        reply = requests.post(predict.url, json=fields, timeout=120)
        assert reply.json()["refit"] is True
    assert len(runs_of(storage, bucket)) == 2


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"last": "2026-11-01T00:00:00"}, "'last'"),  # no zone
        ({"last": "not a time"}, "'last'"),
        ({"last": "2026-11-01"}, "'last'"),
        ({"last": "9999-01-01T00:00:00Z"}, "'last'"),  # past pandas' end of time
        ({"last": "1600-01-01T00:00:00Z"}, "'last'"),
        ({"last": 20261101}, "'last'"),
        ({"first": "yesterday"}, "'first'"),
        ({"points": -1}, "'points'"),
        ({"points": "many"}, "'points'"),
        ({"bucket_created": "perhaps"}, "'bucket_created'"),
        ({"provider": ["demo"]}, "'provider'"),
    ],
)
def test_a_malformed_fetched_event_is_400_like_a_direct_call(
    predict, storage, bucket, fields, words
):
    """The broker drops a 400 at once; a 500 would be retried and dead-lettered for nothing."""
    frame = seed_trend(storage, bucket, days=120)
    last = frame.index[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    options = {"target": bucket, "model": "naive", "horizon": 10}
    headers, data = fetched_event(bucket, 0, last, **options)
    assert requests.post(predict.url, data=data, headers=headers, timeout=120).status_code == 200
    points = fields.pop("points", 0)
    headers, data = fetched_event(bucket, points, fields.pop("last", last), **options, **fields)
    reply = requests.post(predict.url, data=data, headers=headers, timeout=120)
    assert reply.status_code == 400, reply.text
    assert words in reply.json()["error"]
    assert len(runs_of(storage, bucket)) == 1  # nothing more fitted or written
