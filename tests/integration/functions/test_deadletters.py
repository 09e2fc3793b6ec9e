"""deadletters records what Knative gave up delivering, with the reason Knative attached."""

from __future__ import annotations

import base64

import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from shared.contract.schema import DEAD_LETTERS


def test_a_dead_letter_is_recorded_with_its_reason(serve, storage, bucket):
    deadletters = serve("deadletters")
    event = CloudEvent(
        {
            "type": "io.stocksmanager.fetch.requested",
            "source": "/stocks-manager/watchlist",
            "id": "e-1",
            "datacontenttype": "application/json",
            "knativeerrordest": "http://fetch.stocks.svc.cluster.local/",
            "knativeerrorcode": "503",
            "knativeerrordata": base64.b64encode(b'{"error": "InfluxDB is unreachable"}').decode(),
        },
        {"symbol": "IBM", "interval": "daily", "bucket": "stocks"},
    )
    headers, body = to_binary(event)
    response = requests.post(deadletters.url, data=body, headers=headers, timeout=30)
    assert response.status_code == 200 and response.content == b""
    rows = storage.query(bucket, 'SELECT * FROM "dead_letters"', DEAD_LETTERS)
    row = rows.iloc[0]
    assert (row["type"], row["trigger"], row["event_id"], row["code"]) == (
        "io.stocksmanager.fetch.requested",
        "fetch",
        "e-1",
        503,
    )
    assert "InfluxDB is unreachable" in row["error"]
    assert '"symbol": "IBM"' in row["data"]


def test_plain_json_is_refused(serve, storage, bucket):
    deadletters = serve("deadletters")
    assert requests.post(deadletters.url, json={"x": 1}, timeout=30).status_code == 400
    assert requests.get(deadletters.url, timeout=30).status_code == 400
    assert storage.query(bucket, 'SELECT * FROM "dead_letters"').empty
