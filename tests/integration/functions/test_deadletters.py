"""deadletters records what Knative gave up delivering, with the reason Knative attached."""

from __future__ import annotations

import base64

import pandas as pd
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


def post_binary(url: str, attributes: dict[str, str], body: bytes, content_type: str | None):
    """A binary-mode CloudEvent built by hand, so data and attributes can be anything."""
    headers = {f"ce-{name}": value for name, value in attributes.items()}
    headers |= {"ce-specversion": "1.0", "ce-source": "/test"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(url, data=body, headers=headers, timeout=30)


LETTERS = [
    # (attributes beyond specversion and source, body, content type)
    ({"type": "io.x.text"}, b"plain text, not JSON", "text/plain"),
    ({"type": "io.x.array"}, b"[1, 2, 3]", "application/json"),
    ({"type": "io.x.xml"}, b"<a><b>1</b></a>", "application/xml"),
    ({"type": "io.x.octets"}, bytes(range(256)), "application/octet-stream"),
    ({"type": "io.x.broken"}, b'{"cut": ', "application/json"),
    ({"type": "io.x.none"}, b"", None),
    ({"type": "io.x\\"}, b"{}", "application/json"),
    ({"type": "io.x.code", "knativeerrorcode": "18446744073709551616"}, b"{}", "application/json"),
    ({"type": "io.x.code", "knativeerrorcode": "\u00b2"}, b"{}", "application/json"),
    ({"type": "io.x.code", "knativeerrorcode": "9" * 5000}, b"{}", "application/json"),
    ({"type": "io.x.code", "knativeerrorcode": "Bad Gateway"}, b"{}", "application/json"),
    ({"type": "io.x.dest", "knativeerrordest": "http://.x/"}, b"{}", "application/json"),
    ({"type": "io.x.dest", "knativeerrordest": "http://[::1"}, b"{}", "application/json"),
    ({"type": "io.x.dest", "knativeerrordest": "not a url"}, b"{}", "application/json"),
    ({"type": "io.x.long" + "y" * 5000}, b"{}", "application/json"),
]


def test_every_well_formed_cloudevent_is_recorded(serve, storage, bucket):
    """Legal CloudEvents that are no JSON object, or carry attributes line protocol or an int
    field cannot hold, are all recorded (a 400 loses the letter: Knative never retries it)."""
    deadletters = serve("deadletters")
    for number, (attributes, body, content_type) in enumerate(LETTERS):
        answer = post_binary(
            deadletters.url, {**attributes, "id": f"L{number}"}, body, content_type
        )
        assert answer.status_code == 200, (attributes["type"][:20], answer.text)
    # a normal dead letter is still taken: `code` is still an integer field
    normal = {"type": "io.x.normal", "id": "N", "knativeerrorcode": "503"}
    assert post_binary(deadletters.url, normal, b"{}", "application/json").status_code == 200

    rows = storage.query(bucket, 'SELECT * FROM "dead_letters"', DEAD_LETTERS)
    by_id = {row.event_id: row for row in rows.itertuples()}
    assert set(by_id) == {f"L{n}" for n in range(len(LETTERS))} | {"N"}
    assert by_id["N"].code == 503
    assert by_id["L0"].data == "plain text, not JSON"
    assert by_id["L1"].data == "[1, 2, 3]"
    assert by_id["L2"].data == "<a><b>1</b></a>"
    assert by_id["L4"].data == '{"cut": '
    assert by_id["L6"].type == "io.x\u29f5"
    for number in (7, 8, 9, 10):
        assert pd.isna(by_id[f"L{number}"].code)
        assert "is not a status code" in by_id[f"L{number}"].error
    assert by_id["L11"].trigger == "x"
    assert by_id["L12"].trigger == "http://[::1"
    assert by_id["L13"].trigger == "not a url"
    assert all(isinstance(row.trigger, str) and row.trigger for row in rows.itertuples())
    series = storage.execute(bucket, "SHOW FIELD KEYS FROM dead_letters")["series"][0]
    assert dict(series["values"])["code"] == "integer"
