"""State changes from outside the cluster need the API token; reads and broker events do not.

buckets and watchlist run as real processes on a real influxd, once with STOCKS_API_TOKEN set
(as the cluster runs them) and once without (as `make run` may).
"""

from __future__ import annotations

import json
import secrets
import uuid

import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.mesh.ping import PING_TYPE
from tests.support.receiver import EventReceiver

TOKEN = secrets.token_urlsafe(24) + "/+="  # characters a URL or a log encoder would mangle


@pytest.fixture
def guarded(serve):
    """buckets and watchlist with STOCKS_API_TOKEN set."""
    return {name: serve(name, STOCKS_API_TOKEN=TOKEN) for name in ("buckets", "watchlist")}


def bucket_names(storage) -> set[str]:
    return set(storage.list_buckets())


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_a_state_change_without_the_token_is_401_and_changes_nothing(
    guarded, storage, bucket, authorization
):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = bucket_names(storage)
    created = requests.post(
        guarded["buckets"].url, json={"name": f"{bucket}_x"}, headers=headers, timeout=30
    )
    tracked = requests.post(
        guarded["watchlist"].url, json={"symbol": "IBM"}, headers=headers, timeout=30
    )

    for answer in (created, tracked):
        assert answer.status_code == 401
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in answer.json()["error"]
        assert TOKEN not in answer.text
    assert bucket_names(storage) == before
    assert requests.get(guarded["watchlist"].url, timeout=30).json() == {"watchlist": []}


def test_the_token_opens_state_changes_and_reads_need_none(guarded, storage, bucket):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = requests.post(
        guarded["buckets"].url, json={"name": f"{bucket}_x"}, headers=auth, timeout=30
    )
    tracked = requests.post(
        guarded["watchlist"].url, json={"symbol": "IBM"}, headers=auth, timeout=30
    )

    assert created.status_code == 201, created.text
    assert tracked.status_code == 200, tracked.text
    assert f"{bucket}_x" in bucket_names(storage)
    listing = requests.get(guarded["watchlist"].url, timeout=30)
    assert listing.status_code == 200
    assert [e["symbol"] for e in listing.json()["watchlist"]] == ["IBM"]
    assert requests.get(guarded["buckets"].url, timeout=30).status_code == 200


def test_the_brokers_events_need_no_token(serve):
    """The PingSource's tick reaches watchlist through the broker inside the cluster."""
    tick = CloudEvent(
        {"type": PING_TYPE, "source": "/test/ping", "id": str(uuid.uuid4())}, {"tick": True}
    )
    headers, body = to_binary(tick, data_marshaller=json.dumps)
    headers["Content-Type"] = "application/json"
    with EventReceiver() as sink:
        watchlist = serve("watchlist", STOCKS_API_TOKEN=TOKEN, K_SINK=sink.url)
        answer = requests.post(watchlist.url, headers=headers, data=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["ce-type"] == "io.stocksmanager.tick.completed"


def test_the_token_is_never_logged(guarded, bucket):
    for authorization in (f"Bearer {TOKEN}", f"Bearer {TOKEN}x", TOKEN):
        requests.post(
            guarded["buckets"].url,
            json={"name": f"{bucket}_y"},
            headers={"Authorization": authorization},
            timeout=30,
        )
    for process in guarded.values():
        process.stop()
    logs = "".join(process.log_path.read_text() for process in guarded.values())
    assert logs.count("\n") >= 3
    assert TOKEN not in logs and TOKEN[:12] not in logs


def test_without_a_token_set_state_changes_are_open(serve, storage, bucket):
    buckets = serve("buckets")
    created = requests.post(buckets.url, json={"name": f"{bucket}_open"}, timeout=30)
    assert created.status_code == 201, created.text
    assert f"{bucket}_open" in bucket_names(storage)


def test_options_lists_the_methods_and_head_answers_as_get(serve):
    buckets = serve("buckets")
    options = requests.options(buckets.url, timeout=30)
    assert options.status_code == 204 and options.content == b""
    assert {m.strip() for m in options.headers["Allow"].split(",")} >= {"GET", "POST", "OPTIONS"}

    head = requests.head(buckets.url, timeout=30)
    get = requests.get(buckets.url, timeout=30)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"] == "application/json"
