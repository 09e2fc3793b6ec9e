"""predict's storage on a real influxd: one read of the bars and their actions, then three
requests to replace the forecast (write, read the runs and models, delete); with no new bar and
a current forecast, one read. Counted by influxd itself (tests/support/requests_count.py)."""

from __future__ import annotations

import pandas as pd

from shared.contract.payloads import Fetched
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.contract.timefmt import rfc3339
from shared.influx.frames import rows_frame
from shared.market.actions import dividends
from shared.store.actions import write_actions
from shared.usecases.predict import PredictRequest, predict
from tests.support.prices import seed_walk
from tests.support.requests_count import requests_made


def request(bucket: str) -> PredictRequest:
    return PredictRequest(
        symbol="RQS",
        bucket=bucket,
        target=bucket,
        interval="daily",
        field="close",
        horizon=10,
        model="auto",
        interval_width=0.8,
    )


def fetched(bucket: str, points: int, last: pd.Timestamp) -> Fetched:
    return Fetched("RQS", bucket, "daily", points, None, rfc3339(last), "demo", False, "auto")


def test_a_forecast_costs_four_requests_and_keeping_it_one(storage, bucket):
    history = seed_walk(storage, bucket, "RQS")
    write_actions(storage, bucket, "RQS", dividends([history.index[-5]], [0.1]))
    done: list = []

    made = requests_made(
        storage,
        lambda: done.append(
            predict(storage, request(bucket), fetched(bucket, 1, history.index[-1]))
        ),
    )
    assert made == 4 and done[-1].refit

    made = requests_made(
        storage,
        lambda: done.append(
            predict(storage, request(bucket), fetched(bucket, 0, history.index[-1]))
        ),
    )
    assert made == 1 and not done[-1].refit
    assert done[-1].metrics == done[0].metrics and done[-1].reason == done[0].reason


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
