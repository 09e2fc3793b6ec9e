"""The alerts function on its PingSource: stale data and failing pipelines, each alert once."""

from __future__ import annotations

import time

import pandas as pd

from functions import alerts as alerts_function
from shared.contract.events import ALERT_FIRED, FETCH_REQUESTED
from shared.store import dead_letters, runs
from tests.integration.alerts.conftest import SYMBOL, ping, write_closes
from tests.support.inprocess import call

SPEC = alerts_function.SPEC


def create(services, **fields) -> str:
    answer = call(SPEC, services, method="POST", json_body={"symbol": SYMBOL, **fields})
    assert answer.status == 201, answer.body
    return answer.json()["rule"]["rule"]


def fetch_run(services, bucket, status: int, error: str = "", interval: str = "daily") -> None:
    runs.record(
        services.influx,
        bucket,
        function="fetch",
        status=status,
        symbol=SYMBOL,
        points=0,
        seconds=0.1,
        error=error,
        interval=interval,
    )
    services.influx.deferred.flush()  # runs points are written soon; the check reads them now


def check(services, at: pd.Timestamp, event_id: str = "ping") -> None:
    answer = call(SPEC, services, event=ping(at, event_id))
    assert answer.status == 200, answer.body


def test_stale_data_fires_once_at_the_sessions_deadline_and_re_arms_with_a_new_bar(
    services, bucket, tracked, sink
):
    write_closes(services, bucket, [100, 101, 102])  # Mon 3 to Wed 5 March 2025
    create(services, kind="stale", minutes=60)
    thursday_close = pd.Timestamp("2025-03-06 16:00", tz="America/New_York").tz_convert("UTC")
    check(services, thursday_close + pd.Timedelta(minutes=59))
    assert sink.events == []
    for minutes in (60, 65, 24 * 60):  # the deadline, and later checks while still stale
        check(services, thursday_close + pd.Timedelta(minutes=minutes), f"p{minutes}")
    (stale,) = sink.wait_for(1)
    assert stale["type"] == ALERT_FIRED
    assert stale.data["at"] == "2025-03-06T22:00:00Z"
    assert stale.data["message"] == (
        "DEMO1 (daily) is stale: no bar for the session of 2025-03-06 by 17:00 EST (60 minutes "
        "after its close); the newest is of 2025-03-05."
    )
    write_closes(services, bucket, [103, 104], start=3)  # Thursday and Friday arrive
    monday_close = pd.Timestamp("2025-03-10 16:00", tz="America/New_York").tz_convert("UTC")
    check(services, monday_close + pd.Timedelta(minutes=61), "monday")  # EDT from the 9th
    assert [e.data["at"] for e in sink.wait_for(2)][1] == "2025-03-10T21:00:00Z"
    assert len(sink.events) == 2


def test_fetch_failing_in_a_row_fires_once_per_run_of_failures(services, bucket, tracked, sink):
    create(services, kind="failing", failures=2)
    fetch_run(services, bucket, 200)
    fetch_run(services, bucket, 502, "The provider answered 500.")
    now = pd.Timestamp.now(tz="UTC")
    check(services, now, "a")
    assert sink.events == []
    fetch_run(services, bucket, 503, "InfluxDB is unreachable; retry later.")
    fetch_run(services, bucket, 502, "of another entry", interval="5min")  # not in this run
    fetch_run(services, bucket, 502, "again")
    check(services, now, "b")
    check(services, now, "c")
    (first,) = sink.wait_for(1)
    assert "failed 2 times in a row" in first.data["message"]
    assert first.data["message"].endswith("the last of them: InfluxDB is unreachable; retry later.")
    fetch_run(services, bucket, 200)
    fetch_run(services, bucket, 429, "limit")
    fetch_run(services, bucket, 429, "limit")
    check(services, pd.Timestamp.now(tz="UTC"), "d")
    assert len(sink.wait_for(2)) == 2 and len(sink.events) == 2


def test_a_dead_letter_about_the_entry_fires_once_but_a_dead_lettered_alert_does_not(
    services, bucket, tracked, sink
):
    create(services, kind="failing")
    for event_type in (FETCH_REQUESTED, ALERT_FIRED):
        letter: dict[str, object] = {
            "type": event_type,
            "trigger": "fetch",
            "event_id": "e1",
            "subscriber": "http://fetch/",
            "code": 502,
            "error": "bad gateway",
            "data": f'{{"symbol": "{SYMBOL}", "interval": "daily"}}',
        }
        dead_letters.record(services.influx, bucket, letter, time.time_ns())
    now = pd.Timestamp.now(tz="UTC")
    check(services, now, "a")
    check(services, now, "b")
    (sent,) = sink.wait_for(1)
    assert sent.data["message"] == (
        f"An event for {SYMBOL} (daily) was dead-lettered: {FETCH_REQUESTED} to fetch "
        "(HTTP 502: bad gateway)."
    )
    assert len(sink.events) == 1


def test_each_check_records_every_tracked_entrys_freshness_for_grafana(
    services, storage, bucket, tracked
):
    from shared.contract.schema import FRESHNESS

    write_closes(services, bucket, [100, 101, 102])  # to Wednesday 5 March 2025
    thursday = pd.Timestamp("2025-03-06 16:00", tz="America/New_York").tz_convert("UTC")
    for minutes in (30, 50, 120):  # two checks in one hour rewrite its point
        check(services, thursday + pd.Timedelta(minutes=minutes), f"p{minutes}")
    rows = storage.query(bucket, 'SELECT * FROM "freshness"', FRESHNESS).sort_index()
    assert rows[["symbol", "interval", "as_of", "state"]].values.tolist() == [
        [SYMBOL, "daily", "2025-03-05", "fresh"],
        [SYMBOL, "daily", "2025-03-05", "stale"],
    ]
    assert rows["checked"].tolist() == ["2025-03-06T21:50:00Z", "2025-03-06T23:00:00Z"]
    assert rows["stale_since"].tolist()[1] == "2025-03-06T22:30:00Z"
