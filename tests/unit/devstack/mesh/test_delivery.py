"""The mesh's broker ingress and Trigger delivery, against real HTTP stand-ins for the functions."""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from devstack.mesh import Chaos, Mesh, MeshConfigError
from devstack.mesh.delivery import backoff_seconds, is_retryable
from devstack.ports import free_port
from tests.support.mesh import Answer, broker, knative_service, trigger, write_manifests

DATA = {"symbol": "AAPL", "interval": "daily"}
RETRY_2 = {"retry": 2, "backoffPolicy": "exponential", "backoffDelay": "PT1S"}


def event(event_type: str = "test.created", source: str = "/test", data: dict = DATA) -> CloudEvent:
    return CloudEvent(
        {
            "type": event_type,
            "source": source,
            "id": str(uuid.uuid4()),
            "datacontenttype": "application/json",
        },
        data,
    )


def post_binary(mesh: Mesh, ce: CloudEvent) -> requests.Response:
    headers, body = to_binary(ce)
    return requests.post(mesh.broker_url(), headers=headers, data=body, timeout=10)


def only_delivery(mesh: Mesh):
    assert mesh.wait_idle(30)
    (delivery,) = mesh.deliveries()
    return delivery


def test_binary_event_is_accepted_with_202_and_delivered_in_binary_mode(stand_in, mesh_for):
    fetch = stand_in()
    mesh = mesh_for([broker(), trigger("t", "fetch", type="test.created")], {"fetch": fetch.url})
    sent = event()

    assert post_binary(mesh, sent).status_code == 202

    delivery = only_delivery(mesh)
    (request,) = fetch.requests
    assert request.headers["ce-id"] == sent["id"]
    assert request.headers["ce-type"] == "test.created"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == DATA
    assert (delivery.outcome, delivery.attempts, delivery.status) == ("delivered", 1, 200)


def test_structured_event_is_accepted_and_delivered_in_binary_mode(stand_in, mesh_for):
    fetch = stand_in()
    mesh = mesh_for([broker(), trigger("t", "fetch", type="test.created")], {"fetch": fetch.url})
    sent = event()
    headers, body = to_structured(sent)
    assert headers["content-type"] == "application/cloudevents+json"

    answer = requests.post(mesh.broker_url(), headers=headers, data=body, timeout=10)

    assert answer.status_code == 202
    assert only_delivery(mesh).outcome == "delivered"
    (request,) = fetch.requests
    assert request.headers["ce-specversion"] == "1.0"
    assert request.headers["ce-id"] == sent["id"]
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == DATA


def test_a_request_that_is_not_a_cloudevent_is_refused_with_400(stand_in, mesh_for):
    fetch = stand_in()
    mesh = mesh_for([broker(), trigger("t", "fetch")], {"fetch": fetch.url})

    answer = requests.post(mesh.broker_url(), json=DATA, timeout=10)

    assert answer.status_code == 400
    assert "CloudEvent" in answer.json()["error"]
    assert mesh.received() == []


def test_a_chunked_request_without_content_length_is_refused_with_411(stand_in, mesh_for):
    mesh = mesh_for([broker()], {})
    headers, body = to_binary(event())

    answer = requests.post(mesh.broker_url(), headers=headers, data=iter([body]), timeout=10)

    assert answer.status_code == 411
    assert mesh.received() == []


def test_an_unknown_broker_path_is_404(stand_in, mesh_for):
    mesh = mesh_for([broker()], {})
    headers, body = to_binary(event())

    answer = requests.post(f"{mesh.url}/test/nobroker", headers=headers, data=body, timeout=10)

    assert answer.status_code == 404


def test_triggers_route_by_exact_attribute_filters(stand_in, mesh_for):
    created, deleted, from_s1 = stand_in(), stand_in(), stand_in()
    mesh = mesh_for(
        [
            broker(),
            trigger("on-created", "created", type="test.created"),
            trigger("on-deleted", "deleted", type="test.deleted"),
            trigger("on-created-s1", "from-s1", type="test.created", source="/s1"),
        ],
        {"created": created.url, "deleted": deleted.url, "from-s1": from_s1.url},
    )
    sent = [event("test.created", "/s1"), event("test.created", "/s2"), event("test.deleted")]
    for ce in [*sent, event("test.unknown")]:
        assert post_binary(mesh, ce).status_code == 202
    assert mesh.wait_idle(30)

    assert {r.headers["ce-id"] for r in created.requests} == {sent[0]["id"], sent[1]["id"]}
    assert [r.headers["ce-id"] for r in deleted.requests] == [sent[2]["id"]]
    assert [r.headers["ce-id"] for r in from_s1.requests] == [sent[0]["id"]]
    unrouted = [r for r in mesh.received() if r.event_type == "test.unknown"]
    assert [(r.triggers, r.final) for r in unrouted] == [(0, False)]


def test_a_reply_cloudevent_reenters_the_broker_and_reaches_the_next_trigger(stand_in, mesh_for):
    fetch = stand_in(then=Answer.event("test.fetched", {"points": 3}))
    predict = stand_in()
    mesh = mesh_for(
        [
            broker(),
            trigger("fetch-t", "fetch", type="test.created"),
            trigger("predict-t", "predict", type="test.fetched"),
        ],
        {"fetch": fetch.url, "predict": predict.url},
    )

    post_binary(mesh, event())

    assert mesh.wait_idle(30)
    (request,) = predict.requests
    assert request.headers["ce-type"] == "test.fetched"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"points": 3}
    assert [r.origin for r in mesh.received()] == ["ingress", "reply:fetch-t"]
    first = next(d for d in mesh.deliveries() if d.trigger == "fetch-t")
    assert first.reply_type == "test.fetched"


def test_a_2xx_with_an_empty_body_ends_delivery(stand_in, mesh_for):
    fetch = stand_in(then=Answer(204))
    mesh = mesh_for([broker(), trigger("t", "fetch", delivery=RETRY_2)], {"fetch": fetch.url})

    post_binary(mesh, event())

    delivery = only_delivery(mesh)
    assert (delivery.outcome, delivery.attempts, delivery.status) == ("delivered", 1, 204)
    assert len(mesh.received()) == 1


def test_a_2xx_whose_body_is_not_a_cloudevent_is_a_502_failure_and_retried(stand_in, mesh_for):
    plain_json = Answer(200, b'{"symbol": "AAPL"}', {"Content-Type": "application/json"})
    fetch = stand_in(plain_json, then=Answer(200))
    mesh = mesh_for([broker(), trigger("t", "fetch", delivery=RETRY_2)], {"fetch": fetch.url})

    post_binary(mesh, event())

    delivery = only_delivery(mesh)
    assert (delivery.outcome, delivery.attempts) == ("delivered", 2)
    assert len(fetch.requests) == 2


def test_a_subscriber_failing_twice_with_503_is_retried_and_the_event_arrives(stand_in, mesh_for):
    fetch = stand_in(Answer(503), Answer(503), then=Answer(200))
    delivery = {"retry": 3, "backoffPolicy": "exponential", "backoffDelay": "PT1S"}
    mesh = mesh_for(
        [broker(), trigger("t", "fetch", delivery=delivery)],
        {"fetch": fetch.url},
        backoff_scale=0.2,
    )
    sent = event()

    post_binary(mesh, sent)

    done = only_delivery(mesh)
    assert (done.outcome, done.attempts, done.status) == ("delivered", 3, 200)
    arrivals = [r.at for r in fetch.requests]
    assert [r.headers["ce-id"] for r in fetch.requests] == [sent["id"]] * 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    # PT1S scaled by 0.2: waits of 0.2 s then 0.4 s; never shorter, and nowhere near unscaled.
    for gap, expected in zip(gaps, [0.2, 0.4], strict=True):
        assert expected <= gap < expected + 0.5


def test_exponential_backoff_doubles_each_wait_across_three_retries(stand_in, mesh_for):
    fetch = stand_in(Answer(503), Answer(429), Answer(500), then=Answer(200))
    delivery = {"retry": 3, "backoffPolicy": "exponential", "backoffDelay": "PT1S"}
    mesh = mesh_for(
        [broker(), trigger("t", "fetch", delivery=delivery)],
        {"fetch": fetch.url},
        backoff_scale=0.2,
    )

    post_binary(mesh, event())

    assert only_delivery(mesh).attempts == 4
    arrivals = [r.at for r in fetch.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    # Linear would wait 0.6 s before the third retry; exponential waits 0.8 s.
    for gap, expected in zip(gaps, [0.2, 0.4, 0.8], strict=True):
        assert expected <= gap < expected + 0.5


@pytest.mark.parametrize(
    ("policy", "waits"),
    [("exponential", [2.0, 4.0, 8.0, 16.0]), ("linear", [2.0, 4.0, 6.0, 8.0])],
)
def test_backoff_policies_wait_as_knative_does(policy, waits):
    assert [backoff_seconds(policy, 2.0, retry) for retry in (1, 2, 3, 4)] == waits


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (None, True),
        (404, True),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (410, False),
        (422, False),
    ],
)
def test_only_knatives_retryable_statuses_are_retried(status, retried):
    assert is_retryable(status) is retried


def test_a_400_is_not_retried(stand_in, mesh_for):
    fetch = stand_in(then=Answer(400, b'{"error": "bad symbol"}'))
    dead = stand_in()
    delivery = {**RETRY_2, "deadLetterSink": {"ref": {"kind": "Service", "name": "dead"}}}
    mesh = mesh_for(
        [broker(), trigger("t", "fetch", delivery=delivery)],
        {"fetch": fetch.url, "dead": dead.url},
    )

    post_binary(mesh, event())

    done = only_delivery(mesh)
    assert (done.attempts, done.status, done.outcome) == (1, 400, "dead-lettered")
    assert done.error == "HTTP 400: bad symbol"  # the subscriber's words, in the mesh's log
    assert len(fetch.requests) == 1
    assert dead.requests[0].headers["ce-knativeerrorcode"] == "400"


def test_an_always_failing_subscriber_ends_in_the_dead_letter_sink_and_file(
    stand_in, mesh_for, tmp_path
):
    fetch = stand_in(then=Answer(500, b"influx is down"))
    dead = stand_in()
    delivery = {**RETRY_2, "deadLetterSink": {"ref": {"kind": "Service", "name": "dead"}}}
    file = tmp_path / "letters" / "dead.jsonl"
    mesh = mesh_for(
        [broker(), trigger("fetch-t", "fetch", delivery=delivery)],
        {"fetch": fetch.url, "dead": dead.url},
        dead_letter_file=file,
    )
    sent = event()

    post_binary(mesh, sent)

    done = only_delivery(mesh)
    assert (done.attempts, done.status, done.outcome) == (3, 500, "dead-lettered")
    (letter,) = dead.requests
    assert letter.headers["ce-id"] == sent["id"]
    assert letter.headers["ce-type"] == "test.created"
    assert letter.headers["ce-knativeerrordest"] == fetch.url
    assert letter.headers["ce-knativeerrorcode"] == "500"
    assert base64.b64decode(letter.headers["ce-knativeerrordata"]) == b"influx is down"
    assert json.loads(letter.body) == DATA
    (line,) = file.read_text().splitlines()
    record = json.loads(line)
    assert record["trigger"] == "fetch-t"
    assert record["dead_letter_sink"] == dead.url
    assert record["event"]["id"] == sent["id"]
    assert record["event"]["knativeerrorcode"] == "500"
    assert record["event"]["data"] == DATA
    assert mesh.dead_letter_count == 1


def test_connection_refused_is_retried_then_dead_lettered_without_a_code(stand_in, mesh_for):
    nobody = f"http://127.0.0.1:{free_port()}/"
    dead = stand_in()
    delivery = {**RETRY_2, "deadLetterSink": {"ref": {"kind": "Service", "name": "dead"}}}
    mesh = mesh_for(
        [broker(), trigger("t", "fetch", delivery=delivery)],
        {"fetch": nobody, "dead": dead.url},
    )

    post_binary(mesh, event())

    done = only_delivery(mesh)
    assert (done.attempts, done.status, done.outcome) == (3, None, "dead-lettered")
    assert "ConnectionError" in done.error
    (letter,) = dead.requests
    assert letter.headers["ce-knativeerrordest"] == nobody
    assert "ce-knativeerrorcode" not in letter.headers


def test_a_timed_out_attempt_is_retried(stand_in, mesh_for):
    fetch = stand_in(Answer(200, delay=2.0), then=Answer(200))
    mesh = mesh_for(
        [broker(), trigger("t", "fetch", delivery=RETRY_2)],
        {"fetch": fetch.url},
        request_timeout=0.3,
    )

    post_binary(mesh, event())

    done = only_delivery(mesh)
    assert (done.attempts, done.outcome) == (2, "delivered")


def test_the_brokers_delivery_applies_to_triggers_without_their_own(stand_in, mesh_for):
    fetch = stand_in(then=Answer(503))
    dead = stand_in()
    defaults = {
        "retry": 1,
        "backoffDelay": "PT1S",
        "deadLetterSink": {"ref": {"kind": "Service", "name": "dead"}},
    }
    mesh = mesh_for(
        [broker(defaults), trigger("t", "fetch")], {"fetch": fetch.url, "dead": dead.url}
    )

    post_binary(mesh, event())

    done = only_delivery(mesh)
    assert (done.attempts, done.outcome) == (2, "dead-lettered")
    assert len(dead.requests) == 1


def test_concurrent_events_are_each_delivered_once(stand_in, mesh_for):
    fetch = stand_in(then=Answer(202, delay=0.01))
    mesh = mesh_for([broker(), trigger("t", "fetch")], {"fetch": fetch.url}, workers=8)
    sent = [event() for _ in range(60)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda ce: post_binary(mesh, ce).status_code, sent))

    assert statuses == [202] * 60
    assert mesh.wait_idle(60)
    assert sorted(r.headers["ce-id"] for r in fetch.requests) == sorted(ce["id"] for ce in sent)
    assert sorted(d.event_id for d in mesh.deliveries()) == sorted(ce["id"] for ce in sent)
    assert {d.outcome for d in mesh.deliveries()} == {"delivered"}


def test_deliveries_are_logged_as_json_lines(stand_in, mesh_for, caplog):
    fetch = stand_in()
    mesh = mesh_for([broker(), trigger("t", "fetch")], {"fetch": fetch.url})
    sent = event()

    with caplog.at_level("INFO", logger="devstack.mesh"):
        post_binary(mesh, sent)
        assert mesh.wait_idle(30)

    records = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage()[:1] == "{"]
    delivery = next(r for r in records if r["record"] == "delivery")
    assert delivery["event_id"] == sent["id"]
    assert delivery["trigger"] == "t"
    assert delivery["outcome"] == "delivered"
    assert delivery["attempts"] == 1


def test_a_trigger_referring_to_a_service_without_a_url_fails_at_start(tmp_path, stand_in):
    path = write_manifests(tmp_path, [knative_service("fetch"), broker(), trigger("t", "fetch")])

    with pytest.raises(MeshConfigError, match="no URL for Service 'fetch'"):
        Mesh.from_manifests(path, {"predict": stand_in().url})


def test_chaos_delivers_every_event_to_each_trigger_three_times(stand_in, mesh_for):
    fetch, other = stand_in(), stand_in()
    mesh = mesh_for(
        [broker(), trigger("t1", "fetch", type="test.created"), trigger("t2", "other")],
        {"fetch": fetch.url, "other": other.url},
        chaos=Chaos(copies=3, reorder=0.05, seed=7),
    )
    sent = [event() for _ in range(4)]
    for each in sent:
        assert post_binary(mesh, each).status_code == 202
    assert mesh.wait_idle(30)

    for server in (fetch, other):
        ids = sorted(r.headers["ce-id"] for r in server.requests)
        assert ids == sorted([e["id"] for e in sent] * 3)
    assert len(mesh.deliveries()) == 24
    assert len(mesh.received()) == 4  # the broker took each event once


def test_chaos_is_read_from_the_environment():
    assert Chaos.from_env({}) == Chaos(1, 0.0, None)
    assert Chaos.from_env(
        {"STOCKS_MESH_COPIES": "3", "STOCKS_MESH_REORDER_SECONDS": "0.5", "STOCKS_MESH_SEED": "4"}
    ) == Chaos(3, 0.5, 4)


def test_a_trigger_filters_on_an_extension_attribute_as_knative_does(stand_in, mesh_for):
    """predict's Trigger takes fetched events whose `forecastdue` extension is "yes" only."""
    due = stand_in()
    mesh = mesh_for(
        [broker(), trigger("on-due", "due", type="test.fetched", forecastdue="yes")],
        {"due": due.url},
    )
    yes, no, without = event("test.fetched"), event("test.fetched"), event("test.fetched")
    yes["forecastdue"], no["forecastdue"] = "yes", "no"
    for ce in (yes, no, without):
        assert post_binary(mesh, ce).status_code == 202
    assert mesh.wait_idle(30)

    assert [r.headers["ce-id"] for r in due.requests] == [yes["id"]]
    assert [r.headers.get("ce-forecastdue") for r in due.requests] == ["yes"]
