"""predict in process on a real influxd: what it answers and records, and when it does not refit.

fetch's reply (`io.stocksmanager.fetched`) with no new bar leaves the stored forecast standing:
predict answers with it, fitting nothing, as long as it was made from the newest bar.
"""

from __future__ import annotations

import pandas as pd
import pytest
from cloudevents.http import CloudEvent

from functions.predict import SPEC
from shared.contract.events import FETCHED, PREDICTED
from shared.contract.schema import FORECAST, FORECAST_RUNS
from shared.contract.timefmt import rfc3339
from shared.market import risk
from shared.runtime.services import Services
from tests.support.inprocess import call
from tests.support.prices import seed_walk

SYMBOL = "RPL"


def seed(storage, bucket: str) -> pd.DataFrame:
    return seed_walk(storage, bucket, SYMBOL)


@pytest.fixture
def services(settings) -> Services:
    return Services(settings)


def fetched(bucket: str, points: int, last: pd.Timestamp) -> CloudEvent:
    data = {
        "symbol": SYMBOL,
        "bucket": bucket,
        "interval": "daily",
        "points": points,
        "first": None,
        "last": rfc3339(last),
        "provider": "demo",
        "bucket_created": False,
        "target": bucket,
        "model": "naive",
        "horizon": 7,
    }
    attributes = {"type": FETCHED, "source": "/tests", "datacontenttype": "application/json"}
    return CloudEvent(attributes, data)


def runs_of(storage, bucket: str) -> pd.DataFrame:
    return storage.query(bucket, 'SELECT * FROM "forecast_runs"', FORECAST_RUNS)


def test_the_reply_and_the_stored_run_say_what_was_done(services, storage, bucket):
    history = seed(storage, bucket)
    fields = {"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "naive", "horizon": 7}
    answer = call(SPEC, services, method="POST", json_body=fields)
    assert answer.status == 200, answer.body
    body = answer.json()
    rows = storage.query(bucket, 'SELECT * FROM "forecast"', FORECAST)
    assert len(rows) == 7 and set(rows["model"]) == {"naive"} and set(rows["field"]) == {"close"}
    expected = {
        "symbol": SYMBOL,
        "bucket": bucket,
        "target": bucket,
        "interval": "daily",
        "field": "close",
        "horizon": 7,
        "model": "naive",
        "points": 7,
        "first": rfc3339(rows.index.min()),
        "last": rfc3339(rows.index.max()),
        "train_points": len(history),
    }
    assert {k: body[k] for k in expected} == expected
    assert body["fit_seconds"] >= 0 and set(body["metrics"]) >= {"mape", "mase", "coverage"}
    [run] = runs_of(storage, bucket).itertuples()
    assert (run.symbol, run.model, run.horizon, run.train_points) == (
        SYMBOL,
        "naive",
        7,
        len(history),
    )
    assert run.mase == pytest.approx(body["metrics"]["mase"], rel=1e-4)


def test_the_run_records_the_bands_aim_and_the_series_risk_figures(services, storage, bucket):
    history = seed(storage, bucket)  # no corporate actions: adjusted closes are the closes
    fields = {"symbol": SYMBOL, "bucket": bucket, "target": bucket, "model": "naive"}
    assert (
        call(SPEC, services, method="POST", json_body={**fields, "interval_width": 0.9}).status
        == 200
    )
    [run] = runs_of(storage, bucket).to_dict("records")
    assert run["interval_width"] == 0.9
    band = storage.query(bucket, 'SELECT * FROM "forecast"', FORECAST).iloc[-1]
    assert (run["horizon_lower"], run["horizon_upper"]) == (band["yhat_lower"], band["yhat_upper"])
    expected = risk.figures(history["close"])
    assert all(value is not None for value in expected.values())  # 300 sessions: every figure
    assert {name: run[name] for name in risk.FIELDS} == pytest.approx(expected)

    call(SPEC, services, method="POST", json_body={**fields, "field": "open"})
    opens = runs_of(storage, bucket).query("field == 'open'")
    assert opens[list(risk.FIELDS)].isna().all(axis=None)  # risk is of closes only


def test_no_new_bar_answers_with_the_stored_forecast_without_fitting(services, storage, bucket):
    history = seed(storage, bucket)
    first = call(SPEC, services, event=fetched(bucket, 300, history.index.max())).event()
    again = call(SPEC, services, event=fetched(bucket, 0, history.index.max()))
    assert again.status == 200
    reply = again.event()
    assert reply["type"] == PREDICTED
    for key in ("symbol", "target", "interval", "field", "horizon", "model", "points"):
        assert reply.data[key] == first.data[key], key
    assert (reply.data["first"], reply.data["last"]) == (first.data["first"], first.data["last"])
    assert reply.data["train_points"] == first.data["train_points"] == len(history)
    assert reply.data["fit_seconds"] == 0.0 and first.data["fit_seconds"] > 0
    assert reply.data["metrics"]["mase"] == pytest.approx(first.data["metrics"]["mase"], rel=1e-4)
    assert len(runs_of(storage, bucket)) == 1  # nothing fitted, nothing recorded again


def test_a_new_bar_is_forecast_again(services, storage, bucket):
    history = seed(storage, bucket)
    call(SPEC, services, event=fetched(bucket, 300, history.index.max()))
    again = call(SPEC, services, event=fetched(bucket, 1, history.index.max())).event()
    assert again.data["fit_seconds"] > 0


def test_a_new_corporate_action_without_a_new_bar_is_forecast_again(services, storage, bucket):
    """A dividend listed later changes the adjusted history the forecast was drawn from."""
    history = seed(storage, bucket)
    call(SPEC, services, event=fetched(bucket, 300, history.index.max()))
    dividend = fetched(bucket, 0, history.index.max())
    dividend.data["actions"] = 1
    again = call(SPEC, services, event=dividend).event()
    assert again.data["refit"] is True and again.data["fit_seconds"] > 0
    assert len(runs_of(storage, bucket)) == 2


def test_a_stored_forecast_of_another_horizon_is_not_the_answer(services, storage, bucket):
    history = seed(storage, bucket)
    call(SPEC, services, event=fetched(bucket, 300, history.index.max()))
    longer = fetched(bucket, 0, history.index.max())
    longer.data["horizon"] = 9
    reply = call(SPEC, services, event=longer).event()
    assert reply.data["points"] == 9 and reply.data["fit_seconds"] > 0


def test_no_data_is_422_saying_what_to_do(services, storage, bucket):
    seed(storage, bucket)
    fields = {"symbol": "NONE", "bucket": bucket, "target": bucket, "model": "naive"}
    answer = call(SPEC, services, method="POST", json_body=fields)
    assert answer.status == 422
    assert answer.json() == {
        "error": f"There is no daily data for NONE in bucket {bucket!r}: fetch it first."
    }


def test_the_pipeline_forecasts_with_auto_when_the_event_names_no_model(services, storage, bucket):
    history = seed(storage, bucket)
    event = fetched(bucket, 300, history.index.max())
    del event.data["model"]
    reply = call(SPEC, services, event=event).event()
    assert reply.data["model"] in ("naive", "drift")  # auto's choice; a direct call means prophet
