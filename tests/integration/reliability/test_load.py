"""Load through the local mesh: 1,000 fetch requests for 100 symbols at once, none lost; and
concurrent predictions in one process that do not interfere."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.functions import ROOT
from devstack.mesh.mesh import Mesh
from shared.contract.events import FETCH_REQUESTED, FETCHED
from shared.contract.schema import DEAD_LETTERS, FORECAST, PRICES
from shared.market.providers.demo import DemoProvider
from tests.support.receiver import EventReceiver
from tests.support.stack import count

pytestmark = pytest.mark.slow
SYMBOLS = [f"DEMO{n}" for n in range(1, 101)]  # the demo's synthetic family
PER_SYMBOL = 10
MAX_DEAD_LETTERED = 10  # of 1,000


def test_a_thousand_fetch_requests_at_once_lose_nothing(serve, storage, bucket, tmp_path):
    fetch, deadletters = serve("fetch"), serve("deadletters")
    with EventReceiver(status=200) as predict_stand_in:
        subscribers = {
            "fetch": fetch.url,
            "deadletters": deadletters.url,
            "predict": predict_stand_in.url,
            "watchlist": predict_stand_in.url,
            "alerts": predict_stand_in.url,
            "notifier": predict_stand_in.url,
        }
        with Mesh.from_manifests(
            ROOT / "knative",
            subscribers,
            backoff_scale=0.01,
            dead_letter_file=tmp_path / "dead.jsonl",
            schedule_pings=False,
        ) as mesh:
            events = [
                CloudEvent(
                    {
                        "type": FETCH_REQUESTED,
                        "source": "/load",
                        "id": f"{s}-{i}",
                        "datacontenttype": "application/json",
                    },
                    {"symbol": s, "bucket": bucket},
                )
                for i in range(PER_SYMBOL)
                for s in SYMBOLS
            ]
            started = time.perf_counter()
            with ThreadPoolExecutor(32) as senders:
                statuses = list(senders.map(lambda e: _post(mesh.broker_url(), e), events))
            assert statuses == [202] * len(events)
            assert mesh.wait_idle(600)
            wall = time.perf_counter() - started
            fetches = [d for d in mesh.deliveries() if d.event_type == FETCH_REQUESTED]
            replies = [r for r in mesh.received() if r.event_type == FETCHED]
            predicted = [d for d in mesh.deliveries() if d.trigger == "predict-on-fetched"]

    assert sorted(d.event_id for d in fetches) == sorted(
        e["id"] for e in events
    )  # each accounted for
    outcomes = pd.Series([d.outcome for d in fetches]).value_counts().to_dict()
    assert set(outcomes) <= {"delivered", "dead-lettered"}
    delivered = outcomes.get("delivered", 0)
    # 0 measured (docs/reliability.md); 1% leaves room for a slow shared machine, not for losses
    assert len(events) - delivered <= MAX_DEAD_LETTERED, outcomes
    assert len(replies) == delivered  # every success replied io.stocksmanager.fetched
    # predict is woken by the replies that stored bars (forecastdue=yes): each symbol's first
    # fetch, and any that raced it before its bars were stored; never by the rest
    assert len(SYMBOLS) <= len(predicted) <= delivered
    # each dead-lettered delivery is in the dead-letter file and was recorded by deadletters
    lettered = sorted(d.event_id for d in fetches if d.outcome == "dead-lettered")
    letters = dead_letter_file(tmp_path / "dead.jsonl")
    assert sorted(letter["event"]["id"] for letter in letters) == lettered
    for letter in letters:
        assert letter["trigger"] == "fetch-on-fetch-requested"
        assert letter["event"]["type"] == FETCH_REQUESTED
        assert letter["event"]["knativeerrordest"] == fetch.url
        assert letter["event"]["data"]["bucket"] == bucket
    assert recorded_dead_letters(storage, bucket) == lettered
    expected = len(DemoProvider().bars(SYMBOLS[0], "daily"))
    stored = {s: count(storage, bucket, "prices", s) for s in SYMBOLS}
    assert all(n == len(DemoProvider().bars(s, "daily")) for s, n in stored.items()), stored
    seconds = np.array([d.seconds for d in fetches])
    attempts = np.array([d.attempts for d in fetches])
    print(
        f"\nload: {len(events)} events, {len(SYMBOLS)} symbols, outcomes {outcomes}, "
        f"retried {(attempts > 1).sum()}, delivery seconds p50 {np.percentile(seconds, 50):.3f} "
        f"p99 {np.percentile(seconds, 99):.3f} max {seconds.max():.3f}; {expected} bars a symbol; "
        f"all done in {wall:.1f} s"
    )


def dead_letter_file(path: Path) -> list[dict]:
    """The mesh's dead letters, one JSON object a line (no file: none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def recorded_dead_letters(storage, bucket: str) -> list[str]:
    """The event ids the deadletters function stored in the meta bucket, sorted."""
    if bucket not in storage.list_buckets():
        return []
    letters = storage.query(bucket, 'SELECT * FROM "dead_letters"', DEAD_LETTERS)
    return sorted(letters["event_id"].tolist()) if len(letters) else []


def _post(url: str, event: CloudEvent) -> int:
    headers, body = to_binary(event)
    return requests.post(url, data=body, headers=headers, timeout=60).status_code


def test_concurrent_predictions_in_one_process_do_not_interfere(serve, storage, bucket):
    for seed, symbol in enumerate(("PA", "PB", "PC")):
        days = pd.DatetimeIndex(pd.bdate_range("2023-01-02", periods=400, tz="UTC"), name="time")
        close = 50 + np.cumsum(np.random.default_rng(seed).normal(0.05, 1, 400))
        storage.write(
            bucket,
            pd.DataFrame({"symbol": symbol, "interval": "daily", "close": close}, index=days),
            PRICES,
        )
    predict = serve("predict")
    requests_ = [
        {"symbol": s, "bucket": bucket, "target": bucket, "horizon": 15, "model": m}
        for s, m in (("PA", "prophet"), ("PB", "prophet"), ("PC", "drift"))
    ]

    def run(fields: dict) -> pd.DataFrame:
        response = requests.post(predict.url, json=fields, timeout=300)
        assert response.status_code == 200, response.text
        query = f'SELECT * FROM "forecast" WHERE "symbol" = \'{fields["symbol"]}\''
        return storage.query(bucket, query, FORECAST)

    sequential = [run(fields) for fields in requests_]
    with ThreadPoolExecutor(len(requests_)) as pool:
        concurrent = list(pool.map(run, requests_))
    for alone, together in zip(sequential, concurrent, strict=True):
        assert together.index.equals(alone.index)
        for column in ("yhat", "yhat_lower", "yhat_upper"):
            assert np.allclose(together[column], alone[column], rtol=1e-9), column
