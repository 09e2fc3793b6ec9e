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


@pytest.fixture(scope="module")
def guarded_once(serve_once):
    """The same, shared by the refusals: none may change anything, so each sees none before."""
    return {name: serve_once(name, STOCKS_API_TOKEN=TOKEN) for name in ("buckets", "watchlist")}


def bucket_names(storage) -> set[str]:
    return set(storage.list_buckets())


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
    ids=["none", "empty", "scheme-only", "scheme-blank", "wrong", "basic", "longer", "bare"],
)
def test_a_state_change_without_the_token_is_401_and_changes_nothing(
    guarded_once, storage, bucket, authorization
):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = bucket_names(storage)
    created = requests.post(
        guarded_once["buckets"].url, json={"name": f"{bucket}_x"}, headers=headers, timeout=30
    )
    tracked = requests.post(
        guarded_once["watchlist"].url, json={"symbol": "IBM"}, headers=headers, timeout=30
    )

    for answer in (created, tracked):
        assert answer.status_code == 401
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in answer.json()["error"]
        assert TOKEN not in answer.text
    assert bucket_names(storage) == before
    assert requests.get(guarded_once["watchlist"].url, timeout=30).json() == {"watchlist": []}


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


def test_the_token_is_checked_before_any_field(guarded, storage):
    """A caller without the token learns nothing of the fields' rules: 401, not 400."""
    for fields in ({"symbol": "BAD!"}, {"modle": "naive"}, {}):
        answer = requests.post(guarded["watchlist"].url, json=fields, timeout=30)
        assert answer.status_code == 401, answer.text
        assert "symbol" not in answer.text and "modle" not in answer.text
    malformed = requests.post(
        guarded["buckets"].url,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert malformed.status_code == 401


FOREIGN_PAGES = [
    {"Origin": "http://attacker.example"},
    {"Origin": "null"},  # a sandboxed frame, a file
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another port on this host: another program
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:1"},
]


@pytest.mark.parametrize("token", [None, TOKEN], ids=["no-token", "token"])
def test_a_state_change_from_another_sites_page_is_403_token_or_not(serve, storage, bucket, token):
    env = {"STOCKS_API_TOKEN": token} if token else {}
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    functions = {name: serve(name, **env) for name in ("ui", "watchlist", "buckets", "fetch")}
    changes = [
        ("ui", "POST", {"action": "track", "symbol": "IBM"}),
        ("watchlist", "POST", {"symbol": "IBM"}),
        ("buckets", "POST", {"name": f"{bucket}_x"}),
        ("fetch", "POST", {"symbol": "IBM", "bucket": f"{bucket}_x"}),
        ("fetch", "GET", {"symbol": "IBM", "bucket": f"{bucket}_x"}),  # an <img> could send it
    ]
    before = bucket_names(storage)
    for page in FOREIGN_PAGES:
        for name, method, fields in changes:
            url, headers = functions[name].url, {**auth, **page}
            if method == "GET":
                answer = requests.get(url, params=fields, headers=headers, timeout=60)
            else:
                answer = requests.post(url, json=fields, headers=headers, timeout=60)
            assert answer.status_code == 403, (name, method, page, answer.text)
            assert "another site" in answer.json()["error"]
    assert bucket_names(storage) == before
    assert requests.get(functions["watchlist"].url, timeout=30).json() == {"watchlist": []}

    own = functions["ui"].url.rstrip("/")  # the page's own origin, as its browser sends it
    same = {**auth, "Origin": own, "Sec-Fetch-Site": "same-origin"}
    tracked = requests.post(
        functions["ui"].url, json={"action": "track", "symbol": "IBM"}, headers=same, timeout=30
    )
    assert tracked.status_code == 200, tracked.text
    linked = {"Sec-Fetch-Site": "cross-site", "Origin": "http://attacker.example"}
    assert requests.get(functions["ui"].url, headers=linked, timeout=30).status_code == 200
    assert requests.get(functions["watchlist"].url, headers=linked, timeout=30).status_code == 200


def test_a_body_not_declared_json_changes_nothing(serve, storage):
    """The request a page of any site may send without asking first: a text/plain POST."""
    ui = serve("ui")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        answer = requests.post(
            ui.url,
            data=json.dumps({"action": "track", "symbol": "IBM"}),
            headers={"Content-Type": content_type},
            timeout=30,
        )
        assert answer.status_code == 415, answer.text
        assert "Content-Type: application/json" in answer.json()["error"]
    listed = requests.get(ui.url, params={"view": "watchlist"}, timeout=30).json()
    assert listed["watchlist"] == []


@pytest.mark.parametrize("blank", ["", " ", "\t"])
def test_a_set_but_blank_token_stops_the_function_at_start_with_a_sentence(
    influx_server, tmp_path, blank
):
    from devstack.functions import FunctionProcess

    log = tmp_path / "ui.log"
    env = {"INFLUX_URL": influx_server.url, "STOCKS_API_TOKEN": blank}
    with pytest.raises(RuntimeError, match="STOCKS_API_TOKEN is set but blank"):
        FunctionProcess("ui", env, log_path=log).start()
    assert "STOCKS_API_TOKEN is set but blank" in log.read_text()
