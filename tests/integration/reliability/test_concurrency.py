"""Mixed models, mixed functions and redeliveries at once, with the stored state checked after
each round and a reader that must never find the forecast missing.

fetch, predict and chart run as real processes (waitress, 8 threads each) on a real influxd, with
the demo provider. Each round sends at once: predictions of one symbol with three models, the
same `io.stocksmanager.fetched` event twice (a redelivery, same id), the same
`io.stocksmanager.fetch.requested` event twice, and chart requests.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pandas as pd
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from shared.contract.events import FETCH_REQUESTED, FETCHED
from shared.contract.schema import PRICES
from shared.store import forecasts

ROUNDS = 4
SYMBOL = "IBM"
HORIZON = 10


def post_event(url: str, event_type: str, event_id: str, data: dict) -> requests.Response:
    event = CloudEvent({"type": event_type, "source": "/test/concurrency", "id": event_id}, data)
    headers, body = to_binary(event, data_marshaller=json.dumps)
    headers["Content-Type"] = "application/json"
    return requests.post(url, headers=headers, data=body, timeout=300)


def stored_bars(storage, bucket: str) -> pd.DataFrame:
    query = f'SELECT * FROM "prices" WHERE "symbol" = \'{SYMBOL}\''
    return storage.query(bucket, query, PRICES)


def newest_run_time(storage, bucket: str, model: str) -> pd.Timestamp:
    run = forecasts.run_of(storage, bucket, SYMBOL, "daily", "close", model)
    assert run is not None, model
    return run.name


def test_mixed_models_functions_and_redeliveries_at_once(serve, storage, bucket):
    fetch, predict, chart = serve("fetch"), serve("predict"), serve("chart")
    first = requests.post(fetch.url, json={"symbol": SYMBOL, "bucket": bucket}, timeout=120)
    assert first.status_code == 200, first.text
    bars = stored_bars(storage, bucket)
    assert len(bars) == first.json()["points"] > 100
    fetched_data = {**first.json(), "target": bucket, "horizon": HORIZON, "model": "drift"}

    missing: list[str] = []
    seen_forecast = threading.Event()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                current = forecasts.latest(storage, bucket, SYMBOL, "daily")
            except Exception as error:  # a reader that died would see nothing missing
                missing.append(repr(error))
                return
            if len(current):
                seen_forecast.set()
            elif seen_forecast.is_set():
                missing.append("empty")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(10) as pool:
            for round_number in range(ROUNDS):
                redelivered, refetched = str(uuid.uuid4()), str(uuid.uuid4())
                predictions = [
                    partial(
                        requests.post,
                        predict.url,
                        json={"symbol": SYMBOL, "bucket": bucket, "target": bucket,
                              "model": model, "horizon": HORIZON},
                        timeout=300,
                    )
                    for model in ("naive", "drift", "auto")
                ]  # fmt: skip
                redelivery = partial(post_event, predict.url, FETCHED, redelivered, fetched_data)
                refetch = partial(
                    post_event,
                    fetch.url,
                    FETCH_REQUESTED,
                    refetched,
                    {"symbol": SYMBOL, "bucket": bucket},
                )
                charting = partial(
                    requests.get,
                    chart.url,
                    params={"symbol": SYMBOL, "bucket": bucket, "target": bucket},
                    timeout=120,
                )
                calls: list[Callable[[], requests.Response]] = [
                    *predictions,
                    redelivery,
                    redelivery,
                    refetch,
                    refetch,
                    charting,
                    charting,
                ]
                answers = list(pool.map(lambda call: call(), calls))

                assert [a.status_code for a in answers] == [200] * len(calls), [
                    a.text[:200] for a in answers if a.status_code != 200
                ]
                assert_stored_state(storage, bucket, bars, round_number)
    finally:
        done.set()
        reader.join()
    assert missing == []


def assert_stored_state(storage, bucket: str, bars: pd.DataFrame, round_number: int) -> None:
    """Every bar once (redelivered fetches rewrite, never add); the current forecast whole and
    from the model whose run is newest of those stored (other models' older forecasts may stay
    stored beside it, from its first point on)."""
    after = stored_bars(storage, bucket)
    assert len(after) == len(bars), round_number
    pd.testing.assert_index_equal(after.index, bars.index)

    current = forecasts.latest(storage, bucket, SYMBOL, "daily")
    assert len(current) == HORIZON, round_number
    (model,) = set(current["model"])
    assert current.index.min() > bars.index.max()
    stored = storage.query(bucket, f'SELECT * FROM "forecast" WHERE "symbol" = \'{SYMBOL}\'')
    assert (stored.index >= current.index.min()).all(), round_number
    others = set(stored["model"]) - {model}
    for other in others:
        assert newest_run_time(storage, bucket, other) <= newest_run_time(storage, bucket, model)
