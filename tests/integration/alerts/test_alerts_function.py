"""The alerts function in process on a real influxd: rules over HTTP, alerts on new bars, each
sent and recorded once whatever is redelivered."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from functions import alerts as alerts_function
from shared.alerting.firing import alert_id
from shared.contract.events import ALERT_FIRED
from shared.contract.schema import ALERT_RULES, ALERTS, FORECAST, FORECASTS_BUCKET
from shared.runtime.services import Services
from tests.integration.alerts.conftest import DAYS, SYMBOL, fetched, predicted, write_closes
from tests.support.inprocess import call

SPEC = alerts_function.SPEC


def create(services, **fields):
    return call(SPEC, services, method="POST", json_body={"symbol": SYMBOL, **fields})


def history(storage, bucket) -> pd.DataFrame:
    return storage.query(bucket, 'SELECT * FROM "alerts"', ALERTS).sort_index()


def test_a_rule_that_holds_on_the_newest_bar_fires_at_once_and_once_only(
    services, storage, bucket, tracked, sink
):
    write_closes(services, bucket, [170, 175, 181])
    made = create(services, kind="above", level=180, note="sell half")
    assert made.status == 201, made.body
    body = made.json()
    rule = body["rule"]["rule"]
    assert body["rule"]["since"] == "2025-03-05T00:00:00Z"  # the newest bar when it was made
    assert [fired["at"] for fired in body["fired"]] == ["2025-03-05T00:00:00Z"]
    assert "It fired at once: DEMO1 (daily) closed at 181.00, above 180.00" in body["message"]
    (sent,) = sink.wait_for(1)
    assert sent["type"] == ALERT_FIRED and sent["source"] == "/stocks-manager/alerts"
    assert sent["id"] == alert_id(rule, DAYS[2]) and sent["subject"] == SYMBOL
    assert sent.data["note"] == "sell half" and sent.data["value"] == 181.0

    for attempt in range(3):  # the same bars told again, and again
        again = call(SPEC, services, event=fetched(bucket, f"f-{attempt}"))
        assert again.status == 200 and again.body == b""
    assert len(sink.events) == 1
    (row,) = history(storage, bucket).itertuples()
    assert (row.Index, row.rule, row.alert_id, row.value) == (DAYS[2], rule, sent["id"], 181.0)


def test_a_new_bar_fires_on_crossing_and_the_rule_re_arms_after_falling_back(
    services, storage, bucket, tracked, sink
):
    write_closes(services, bucket, [170, 175])
    rule = create(services, kind="above", level=180).json()["rule"]["rule"]
    for day, close in enumerate([181, 183, 179, 182, 184], start=2):
        write_closes(services, bucket, [close], start=day)
        assert call(SPEC, services, event=fetched(bucket, f"f{day}")).status == 200
    assert [e["id"] for e in sink.wait_for(2)] == [
        alert_id(rule, DAYS[2]),
        alert_id(rule, DAYS[5]),
    ]
    assert history(storage, bucket)["value"].tolist() == [181.0, 182.0]


def test_bars_a_lost_event_skipped_are_caught_up_by_the_next(services, bucket, tracked, sink):
    write_closes(services, bucket, [100, 100])
    create(services, kind="move", percent=5)
    write_closes(services, bucket, [110, 111, 120], start=2)  # three bars, one event
    call(SPEC, services, event=fetched(bucket))
    assert [e.data["at"][:10] for e in sink.wait_for(2)] == ["2025-03-05", "2025-03-07"]


def test_a_sink_that_fails_gets_the_event_retried_and_nothing_is_recorded_before(
    services, storage, bucket, tracked, sink
):
    write_closes(services, bucket, [170])
    create(services, kind="below", level=150)
    write_closes(services, bucket, [140], start=1)
    sink.status = 500
    failed = call(SPEC, services, event=fetched(bucket))
    assert failed.status == 503 and "retry later" in failed.json()["error"]
    assert history(storage, bucket).empty
    sink.status = 202
    assert call(SPEC, services, event=fetched(bucket)).status == 200
    assert history(storage, bucket)["value"].tolist() == [140.0]
    assert len({e["id"] for e in sink.events}) == 1  # the retry sent the same id


def forecast(storage, days: pd.DatetimeIndex, low: float, high: float) -> None:
    """A forecast of DEMO1's closes over `days`, as predict leaves it (the shared bucket)."""
    rows = pd.DataFrame(
        {"yhat": (low + high) / 2, "yhat_lower": low, "yhat_upper": high},
        index=pd.DatetimeIndex(days, name="time"),
    ).assign(symbol=SYMBOL, interval="daily", field="close", model="naive")
    storage.create_bucket(FORECASTS_BUCKET)
    storage.delete(FORECASTS_BUCKET, "forecast", {"symbol": SYMBOL})
    storage.write(FORECASTS_BUCKET, rows, FORECAST)


def test_the_band_rule_checks_the_band_of_the_forecast_made_before_the_bar(
    services, storage, bucket, tracked, sink
):
    write_closes(services, bucket, [100, 101])
    try:
        forecast(storage, DAYS[2:5], 96.0, 106.0)  # made after day 1, before day 2
        made = create(services, kind="band")  # keeps its points ahead of the newest bar
        assert made.status == 201 and made.json()["fired"] == []
        write_closes(services, bucket, [104], start=2)
        forecast(storage, DAYS[3:6], 80.0, 90.0)  # predict's next forecast, made after day 2
        call(SPEC, services, event=fetched(bucket, "f2"))  # day 2: inside its band
        answer = call(SPEC, services, event=predicted(bucket, "p2"))  # keeps days 3 to 5
        assert answer.status == 200
        write_closes(services, bucket, [95], start=3)  # inside the first band, below the second
        call(SPEC, services, event=fetched(bucket, "f3"))
        call(SPEC, services, event=fetched(bucket, "f3"))  # told twice: still one alert
    finally:  # the bucket is shared by the session's tests
        storage.delete(FORECASTS_BUCKET, "forecast", {"symbol": SYMBOL})
    (sent,) = sink.wait_for(1)
    assert sent.data["at"] == "2025-03-06T00:00:00Z"
    assert "above the 80% band the forecast gave (80.00 to 90.00)" in sent.data["message"]
    assert len(sink.events) == 1


def test_rules_are_listed_and_deleted_and_their_alerts_stay(
    services, storage, bucket, tracked, sink
):
    write_closes(services, bucket, [170, 181])
    above = create(services, kind="above", level=180).json()["rule"]
    stale = create(services, kind="stale").json()["rule"]
    assert stale["minutes"] == 90 and stale["description"].startswith("DEMO1 (daily): no bar")
    same = create(services, kind="above", level=180)
    assert same.status == 200 and same.json()["changed"] is False
    listing = call(SPEC, services, query={"symbol": "demo1"}).json()
    assert [r["rule"] for r in listing["rules"]] == [above["rule"], stale["rule"]]
    assert [a["rule"] for a in listing["alerts"]] == [above["rule"]]

    gone = call(SPEC, services, method="POST", json_body={"delete": above["rule"]})
    assert gone.status == 200 and gone.json()["message"].startswith("Deleted the rule DEMO1")
    again = call(SPEC, services, method="POST", json_body={"delete": above["rule"]})
    assert again.status == 422 and "no rule" in again.json()["error"]
    listing = call(SPEC, services).json()
    assert [r["rule"] for r in listing["rules"]] == [stale["rule"]]
    assert len(listing["alerts"]) == 1


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"symbol": "IBM", "kind": "above", "level": 1}, 422, "IBM (daily) is not on the watch"),
        ({"kind": "above", "level": 1, "interval": "5min"}, 422, "DEMO1 (5min) is not on"),
        ({"kind": "sideways"}, 400, "The kind 'sideways' is not valid"),
        ({"kind": "above", "level": "NaN"}, 400, "finite number"),
        ({"kind": "above", "level": 1, "note": "n" * 201}, 400, "longer than 200"),
        ({"kind": "above", "level": 1, "webhook": "file:///etc/passwd"}, 400, "http(s) URL"),
        ({"kind": "above", "level": 1, "delete": "r0123456789ab"}, 400, "a rule deletion"),
    ],
)
def test_bad_rules_are_refused_with_a_sentence_and_nothing_is_stored(
    services, storage, bucket, tracked, fields, status, words
):
    answer = call(SPEC, services, method="POST", json_body={"symbol": SYMBOL, **fields})
    assert answer.status == status and words in answer.json()["error"], answer.body
    assert storage.query(bucket, 'SELECT * FROM "alert_rules"', ALERT_RULES).empty


def test_changing_rules_needs_the_api_token_when_one_is_set(services, bucket, tracked):
    guarded = Services(replace(services.settings, api_token="t0ken"))
    refused = create(guarded, kind="stale")
    assert refused.status == 401
    allowed = call(
        SPEC,
        guarded,
        method="POST",
        json_body={"symbol": SYMBOL, "kind": "stale"},
        headers={"Authorization": "Bearer t0ken"},
    )
    assert allowed.status == 201
    assert call(SPEC, guarded).status == 200  # reading is open
