"""predict's storage on a real influxd, counted by influxd itself (tests/support/requests_count):
in the pipeline, one request reads the bars and their actions and clears the stored forecast's
stale points, and one writes the run and the new forecast; with no new bar and a current
forecast, one read. Called directly, or when something is left to delete, `replace` reads the
runs and deletes after writing, as `store/forecasts.py` says."""

from __future__ import annotations

import pandas as pd

from shared.contract.payloads import Fetched
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.contract.timefmt import rfc3339
from shared.influx.frames import rows_frame
from shared.market.actions import dividends
from shared.store import forecasts, prices
from shared.store.actions import write_actions
from shared.usecases.predict import PredictRequest, predict
from tests.support.prices import seed_walk
from tests.support.requests_count import requests_made


def request(bucket: str, horizon: int = 10, target: str | None = None) -> PredictRequest:
    return PredictRequest(
        symbol="RQS",
        bucket=bucket,
        target=target or bucket,
        interval="daily",
        field="close",
        horizon=horizon,
        model="auto",
        interval_width=0.8,
    )


def fetched(bucket: str, points: int, last: pd.Timestamp) -> Fetched:
    return Fetched("RQS", bucket, "daily", points, None, rfc3339(last), "demo", False, "auto")


def stored(storage, bucket: str) -> pd.DataFrame:
    return storage.query(bucket, 'SELECT * FROM "forecast"', FORECAST)


def yesterday_and_today(storage, bucket: str) -> pd.DataFrame:
    """Bars up to yesterday with yesterday's forecast; then today's bar arrives."""
    history = seed_walk(storage, bucket, "RQS")
    storage.execute(bucket, f'DELETE FROM "prices" WHERE time >= {history.index[-1].value}')
    write_actions(storage, bucket, "RQS", dividends([history.index[-5]], [0.1]))
    predict(storage, request(bucket))
    prices.write_bars(
        storage, bucket, "RQS", "daily", history.iloc[-1:].drop(columns=["symbol", "interval"])
    )
    assert storage.generation == 1  # asked once per client, before the requests counted
    return history


def test_a_new_bar_costs_two_requests_and_keeping_the_forecast_one(storage, bucket):
    history = yesterday_and_today(storage, bucket)
    done: list = []
    today = fetched(bucket, 1, history.index[-1])

    assert (
        requests_made(storage, lambda: done.append(predict(storage, request(bucket), today))) == 2
    )
    current = forecasts.latest(storage, bucket, "RQS", "daily")
    assert len(current) == 10 and current.index.min() > history.index[-1]
    assert list(stored(storage, bucket).index) == list(current.index)  # yesterday's first: gone

    again = fetched(bucket, 0, history.index[-1])
    assert (
        requests_made(storage, lambda: done.append(predict(storage, request(bucket), again))) == 1
    )
    assert not done[-1].refit and done[-1].metrics == done[0].metrics


def test_a_shorter_forecast_deletes_the_longer_ones_tail_after_writing(storage, bucket):
    history = yesterday_and_today(storage, bucket)
    predict(storage, request(bucket, horizon=15), fetched(bucket, 1, history.index[-1]))
    shorter = fetched(bucket, 0, history.index[-1])

    made = requests_made(storage, lambda: predict(storage, request(bucket), shorter))

    assert made == 5  # the no-refit check, the read, the write, the runs, the deletes
    current = forecasts.latest(storage, bucket, "RQS", "daily")
    assert len(current) == 10 and list(stored(storage, bucket).index) == list(current.index)


def test_a_first_forecast_into_a_new_target_reads_the_bars_alone(storage, bucket):
    history = seed_walk(storage, bucket, "RQS")
    target = bucket + "_new"
    result = predict(
        storage, request(bucket, target=target), fetched(bucket, 300, history.index[-1])
    )
    assert result.refit and len(forecasts.latest(storage, target, "RQS", "daily")) == 10


def test_rows_read_as_json_are_typed_as_the_csv_reader_types_them(storage, bucket):
    history = seed_walk(storage, bucket, "RQS")
    predict(storage, request(bucket), fetched(bucket, 1, history.index[-1]))
    for measurement in (FORECAST, FORECAST_RUNS):
        query = f'SELECT * FROM "{measurement.name}"'
        by_csv = storage.query(bucket, query, measurement)
        by_json = rows_frame(storage.select(bucket, [query])[0], measurement)
        pd.testing.assert_frame_equal(
            by_json[sorted(by_json.columns)], by_csv[sorted(by_csv.columns)]
        )
