"""Fixtures of the alerts tests: services on the test's bucket with a K_SINK that records, a
tracked entry whose bars the test writes itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pandas as pd
import pytest
from cloudevents.http import CloudEvent

from shared.contract.config import Settings, WebhookSettings
from shared.contract.events import FETCHED, PING, PREDICTED
from shared.influx.client import InfluxClient
from shared.runtime.services import Services
from shared.store import prices
from shared.store.watchlist import Entry, Watchlist
from tests.support.mesh import stand_in  # noqa: F401  (fixture)
from tests.support.receiver import EventReceiver

SYMBOL = "DEMO1"
DAYS = pd.bdate_range("2025-03-03", periods=40, tz="UTC")


@pytest.fixture
def sink() -> Iterator[EventReceiver]:
    with EventReceiver() as receiver:
        yield receiver


@pytest.fixture
def services(settings: Settings, storage: InfluxClient, sink: EventReceiver) -> Services:
    """The alerts function's services: the test's bucket holds watchlist, rules, history, bars."""
    return Services(replace(settings, k_sink=sink.url, webhook=WebhookSettings(timeout_seconds=1)))


@pytest.fixture
def tracked(services: Services, bucket: str) -> Entry:
    entry = Entry(SYMBOL, bucket=bucket)
    Watchlist(services.influx, bucket).save(entry, tracked=True)
    return entry


def write_closes(services: Services, bucket: str, closes: list[float], start: int = 0) -> None:
    """Daily bars of DEMO1 with these closes, from DAYS[start] on."""
    index = DAYS[start : start + len(closes)]
    frame = pd.DataFrame(
        {"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1000},
        index=pd.DatetimeIndex(index, name="time"),
    ).astype({"volume": "int64"})
    prices.write_bars(services.influx, bucket, SYMBOL, "daily", frame)
    prices.refresh_adjusted(services.influx, bucket, SYMBOL, "daily", None)  # as fetch does


def fetched(bucket: str, event_id: str = "f-1", symbol: str = SYMBOL) -> CloudEvent:
    """fetch's reply after it stored bars (the fields alerts reads of it)."""
    data = {"symbol": symbol, "bucket": bucket, "interval": "daily", "points": 1}
    return CloudEvent({"type": FETCHED, "source": "/stocks-manager/fetch", "id": event_id}, data)


def predicted(bucket: str, event_id: str = "p-1", symbol: str = SYMBOL) -> CloudEvent:
    """predict's reply after it made a forecast (into the default forecasts bucket)."""
    data = {"symbol": symbol, "bucket": bucket, "interval": "daily"}
    return CloudEvent(
        {"type": PREDICTED, "source": "/stocks-manager/predict", "id": event_id}, data
    )


def ping(at: pd.Timestamp, event_id: str = "ping-1") -> CloudEvent:
    attributes = {"type": PING, "source": "/apis/v1/namespaces/x/pingsources/alerts-check"}
    return CloudEvent({**attributes, "id": event_id, "time": at.isoformat()}, {})
