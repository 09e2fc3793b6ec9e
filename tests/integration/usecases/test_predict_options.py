"""predict in process on a real influxd: the caller's `interval_width` and `field` are honoured.

Each test reads the stored forecast back, so a predict that ignored the option (forecasting the
default instead) fails here, whichever layer dropped it: function, use case or forecasting.
"""

from __future__ import annotations

import pandas as pd
import pytest

from functions.predict import SPEC
from shared.contract.schema import FORECAST, PRICES
from shared.runtime.services import Services
from tests.support.inprocess import call
from tests.support.prices import seed_walk

SYMBOL = "OPT"


@pytest.fixture
def services(settings) -> Services:
    return Services(settings)


def seed(storage, bucket: str) -> pd.DataFrame:
    return seed_walk(storage, bucket, SYMBOL)


def stored_forecast(storage, bucket: str, field: str) -> pd.DataFrame:
    query = f'SELECT * FROM "forecast" WHERE "symbol" = \'{SYMBOL}\' AND "field" = \'{field}\''
    return storage.query(bucket, query, FORECAST)


def predict(services: Services, bucket: str, target: str, **fields) -> dict:
    answer = call(
        SPEC,
        services,
        method="POST",
        json_body={
            "symbol": SYMBOL,
            "bucket": bucket,
            "target": target,
            "model": "naive",
            **fields,
        },
    )
    assert answer.status == 200, answer.body
    return answer.json()


def test_a_wider_interval_width_gives_a_wider_band(services, storage, bucket):
    seed(storage, bucket)
    bands = {}
    for width in (0.5, 0.95):
        target = f"{bucket}_w{int(width * 100)}"
        predict(services, bucket, target, interval_width=width, horizon=10)
        rows = stored_forecast(storage, target, "close")
        assert len(rows) == 10
        bands[width] = (rows["yhat_upper"] - rows["yhat_lower"]).to_numpy()
    # same model, same history: only the width differs, so every row's band must widen
    assert (bands[0.95] > bands[0.5] * 1.5).all(), bands


def test_the_default_width_lies_between_the_extremes(services, storage, bucket):
    seed(storage, bucket)
    widths = {}
    for width in (0.5, None, 0.99):
        target = f"{bucket}_d{width}".replace(".", "")
        predict(
            services,
            bucket,
            target,
            horizon=5,
            **({} if width is None else {"interval_width": width}),
        )
        rows = stored_forecast(storage, target, "close")
        widths[width] = float((rows["yhat_upper"] - rows["yhat_lower"]).mean())
    assert widths[0.5] < widths[None] < widths[0.99]


def test_the_field_named_is_the_one_forecast(services, storage, bucket):
    history = seed(storage, bucket)
    body = predict(services, bucket, bucket, field="open", horizon=5)
    assert body["field"] == "open"
    rows = stored_forecast(storage, bucket, "open")
    assert len(rows) == 5
    assert stored_forecast(storage, bucket, "close").empty
    # naive repeats the last value of the series it was given: the last open, not the last close
    assert rows["yhat"].to_numpy() == pytest.approx(history["open"].iloc[-1])
    assert (rows["yhat_lower"] < rows["yhat"]).all() and (rows["yhat"] < rows["yhat_upper"]).all()


def test_another_symbol_in_the_bucket_plays_no_part(services, storage, bucket):
    history = seed(storage, bucket)
    storage.write(
        bucket,
        history.assign(symbol="OTHER", close=history["close"] * 100),
        PRICES,
    )
    predict(services, bucket, bucket, horizon=3)
    rows = stored_forecast(storage, bucket, "close")
    assert rows["yhat"].to_numpy() == pytest.approx(history["close"].iloc[-1])


@pytest.mark.parametrize(("horizon", "status"), [(1, 200), (150, 200), (0, 400), (366, 400)])
def test_the_horizon_runs_from_1_to_365(services, storage, bucket, horizon, status):
    """(365 itself needs 730 bars of history, more than the seed has.)"""
    seed(storage, bucket)
    fields = {"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "naive"}
    answer = call(SPEC, services, method="POST", json_body={**fields, "horizon": horizon})
    assert answer.status == status, answer.body
    if status == 200:
        assert answer.json()["points"] == horizon


def test_the_default_horizon_is_30(services, storage, bucket):
    seed(storage, bucket)
    fields = {"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "naive"}
    assert call(SPEC, services, method="POST", json_body=fields).json()["horizon"] == 30
