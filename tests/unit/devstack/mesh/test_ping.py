"""PingSources and SinkBindings in the mesh: ping events, schedules in a time zone, firing now."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
import requests

from devstack.mesh import MeshConfigError
from devstack.mesh.ping import PING_TYPE, PingScheduler, next_fire, ping_event
from devstack.mesh.topology import Destination, PingSource, Ref, Topology
from tests.support.mesh import broker, trigger

BROKER = {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": "default"}


def ping_source(name: str = "tick", namespace: str | None = "market", **spec: object) -> dict:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "PingSource",
        "metadata": metadata,
        "spec": {
            "schedule": "30 16 * * 1-5",
            "timezone": "America/New_York",
            "contentType": "application/json",
            "data": '{"reason": "market-close"}',
            "sink": {"ref": BROKER},
            **spec,
        },
    }


def in_namespace(obj: dict, namespace: str) -> dict:
    return {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}


def market_close(timezone: str = "America/New_York") -> PingSource:
    return PingSource(
        namespace="default",
        name="tick",
        schedule="30 16 * * 1-5",
        timezone=timezone,
        sink=Destination(ref=Ref("Broker", "default", "default")),
    )


def test_firing_a_pingsource_delivers_the_ping_event_with_its_source_and_data(stand_in, mesh_for):
    watchlist = stand_in()
    mesh = mesh_for(
        [
            in_namespace(broker(), "market"),
            ping_source(),
            in_namespace(trigger("on-ping", "watchlist", type=PING_TYPE), "market"),
        ],
        {"watchlist": watchlist.url},
    )

    fired = mesh.fire_ping("tick")

    assert mesh.wait_idle(30)
    (request,) = watchlist.requests
    assert request.headers["ce-type"] == "dev.knative.sources.ping"
    assert request.headers["ce-source"] == "/apis/v1/namespaces/market/pingsources/tick"
    assert request.headers["ce-id"] == fired["id"]
    assert request.headers["content-type"] == "application/json"
    assert request.body == b'{"reason": "market-close"}'
    assert [r.origin for r in mesh.received()] == ["ping:tick"]


def test_a_pingsource_without_a_namespace_is_in_default():
    topology = Topology.from_objects([broker(), ping_source(namespace=None)])

    (ping,) = topology.ping_sources

    assert ping.source == "/apis/v1/namespaces/default/pingsources/tick"


def test_data_base64_and_ce_overrides_shape_the_event():
    topology = Topology.from_objects(
        [
            broker(),
            ping_source(
                namespace=None,
                data=None,
                dataBase64="AAEC",
                contentType="application/octet-stream",
                ceOverrides={"extensions": {"market": "nyse"}},
            ),
        ]
    )

    event = ping_event(topology.ping_sources[0])

    assert event.get_data() == b"\x00\x01\x02"
    assert event["datacontenttype"] == "application/octet-stream"
    assert event["market"] == "nyse"


def test_the_fire_endpoint_and_the_command_line_fire_pingsources(stand_in, mesh_for):
    watchlist = stand_in()
    mesh = mesh_for(
        [
            in_namespace(broker(), "market"),
            ping_source(),
            in_namespace(trigger("on-ping", "watchlist", type=PING_TYPE), "market"),
        ],
        {"watchlist": watchlist.url},
    )

    answer = requests.post(f"{mesh.url}/pingsources/tick/fire", timeout=10)
    done = subprocess.run(
        [sys.executable, "-m", "devstack.mesh", "fire", "--url", mesh.url],
        capture_output=True,
        text=True,
        check=False,
    )
    unknown = requests.post(f"{mesh.url}/pingsources/nope/fire", timeout=10)
    failed = subprocess.run(
        [sys.executable, "-m", "devstack.mesh", "fire", "nope", "--url", mesh.url],
        capture_output=True,
        text=True,
        check=False,
    )

    assert answer.status_code == 202
    assert [f["name"] for f in answer.json()["fired"]] == ["tick"]
    assert done.returncode == 0, done.stderr
    assert "fired PingSource tick" in done.stdout
    assert unknown.status_code == 404
    assert failed.returncode == 1
    assert mesh.wait_idle(30)
    assert len(watchlist.requests) == 2
    ids = {r.headers["ce-id"] for r in watchlist.requests}
    assert answer.json()["fired"][0]["id"] in ids


def test_next_fire_is_in_the_pingsources_time_zone_across_the_spring_dst_change():
    ping = market_close()
    # US clocks went forward on Sunday 2026-03-08: 16:30 New York is 21:30 UTC before, 20:30 after.
    before = next_fire(ping, datetime(2026, 3, 5, 22, 0, tzinfo=UTC))
    after = next_fire(ping, datetime(2026, 3, 6, 22, 0, tzinfo=UTC))

    assert before.astimezone(UTC) == datetime(2026, 3, 6, 21, 30, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 9, 20, 30, tzinfo=UTC)
    assert (after.hour, after.minute, after.weekday()) == (16, 30, 0)


def test_next_fire_across_the_autumn_dst_change_and_in_another_zone():
    # Back to standard time on Sunday 2026-11-01: Monday's 16:30 is 21:30 UTC again.
    monday = next_fire(market_close(), datetime(2026, 10, 30, 21, 0, tzinfo=UTC))
    london = next_fire(market_close("Europe/London"), datetime(2026, 10, 30, 21, 0, tzinfo=UTC))

    assert monday.astimezone(UTC) == datetime(2026, 11, 2, 21, 30, tzinfo=UTC)
    assert london.astimezone(UTC) == datetime(2026, 11, 2, 16, 30, tzinfo=UTC)


def test_the_scheduler_fires_a_due_pingsource():
    every_second = PingSource(
        namespace="default",
        name="fast",
        schedule="* * * * * *",  # croniter's seconds field: due within a second
        timezone="UTC",
        sink=Destination(ref=Ref("Broker", "default", "default")),
    )
    fired = threading.Event()
    scheduler = PingScheduler([every_second], lambda ping: fired.set())

    scheduler.start()
    try:
        assert fired.wait(10)
    finally:
        scheduler.stop()


def test_sink_bindings_give_the_subject_the_brokers_ingress_url(stand_in, mesh_for):
    watchlist = stand_in()
    binding = {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "SinkBinding",
        "metadata": {"name": "watchlist-sink"},
        "spec": {
            "subject": {
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "name": "watchlist",
            },
            "sink": {"ref": BROKER},
        },
    }
    mesh = mesh_for(
        [broker(), binding, trigger("t", "watchlist", type="test.x")], {"watchlist": watchlist.url}
    )

    k_sink = mesh.sink_bindings()["watchlist"]
    sent = requests.post(
        k_sink,
        data=json.dumps({"n": 1}),
        headers={
            "ce-specversion": "1.0",
            "ce-id": "1",
            "ce-source": "/w",
            "ce-type": "test.x",
            "content-type": "application/json",
        },
        timeout=10,
    )

    assert k_sink == f"{mesh.url}/default/default"
    described = requests.get(mesh.url, timeout=10).json()
    assert described["brokers"] == [k_sink]
    assert described["sink_bindings"] == {"watchlist": k_sink}
    assert sent.status_code == 202
    assert mesh.wait_idle(30)
    assert [r.headers["ce-id"] for r in watchlist.requests] == ["1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule": "30 25 * * 1-5"}, "not a valid cron"),
        ({"timezone": "America/Nowhere"}, "not an IANA time zone"),
        ({"sink": {"ref": {"kind": "Broker", "name": "elsewhere"}}}, "not in the manifests"),
    ],
)
def test_a_broken_pingsource_is_refused(change, message):
    with pytest.raises(MeshConfigError, match=message):
        Topology.from_objects([broker(), ping_source(namespace=None, **change)])
