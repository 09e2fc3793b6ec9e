"""The Kafka broker component: knative/ rendered with it switches the Broker to the Kafka class
with its configuration and orders each symbol's fetches and predictions; without it nothing
changes. Both renderings pass Knative's CRD schemas and run in the local mesh."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devstack.mesh import Topology
from shared.contract.events import FETCH_REQUESTED, new_event

ROOT = Path(__file__).resolve().parents[3]
KNATIVE = ROOT / "knative"
COMPONENT = KNATIVE / "components" / "kafka-broker"
VALIDATE = ROOT.parent / "shared" / "knative-schemas" / "validate.py"
ORDERED = "kafka.eventing.knative.dev/delivery.order"
CLASS = "eventing.knative.dev/broker.class"
pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "kubectl"], capture_output=True).returncode != 0,
    reason="kubectl renders the kustomizations",
)


def with_component(directory: Path) -> Path:
    """A copy of knative/ with the component added to its kustomization, as the docs say."""
    copy_of = directory / "knative"
    shutil.copytree(KNATIVE, copy_of)
    kustomization = copy_of / "kustomization.yaml"
    spec = yaml.safe_load(kustomization.read_text())
    spec["components"] = ["components/kafka-broker"]
    kustomization.write_text(yaml.safe_dump(spec, sort_keys=False))
    return copy_of


def render(path: Path) -> list[dict]:
    done = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[dict], Path]:
    path = with_component(tmp_path_factory.mktemp("kafka"))
    return render(KNATIVE), render(path), path


def by_key(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def test_both_renderings_are_valid_against_knatives_crd_schemas(renderings):
    for path in (KNATIVE, renderings[2]):
        done = subprocess.run(
            [sys.executable, str(VALIDATE), str(path)], capture_output=True, text=True
        )
        assert done.returncode == 0 and " 0 invalid" in done.stdout, done.stdout + done.stderr


def test_the_default_broker_is_the_channel_based_one_with_nothing_of_kafka(renderings):
    default, _, _ = renderings
    broker = by_key(default)[("Broker", "default")]
    assert broker["metadata"]["annotations"][CLASS] == "MTChannelBasedBroker"
    assert "config" not in broker["spec"]
    assert not any(ORDERED in (o["metadata"].get("annotations") or {}) for o in default)
    assert ("ConfigMap", "kafka-broker-config") not in by_key(default)


def test_the_component_switches_the_broker_to_kafka_and_orders_fetch_and_predict(renderings):
    default, kafka = (by_key(objects) for objects in renderings[:2])
    broker = kafka[("Broker", "default")]
    assert broker["metadata"]["annotations"][CLASS] == "Kafka"
    assert broker["spec"]["config"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "kafka-broker-config",
    }
    assert broker["spec"]["delivery"] == default[("Broker", "default")]["spec"]["delivery"]
    config = kafka[("ConfigMap", "kafka-broker-config")]
    assert config["metadata"]["namespace"] == broker["metadata"]["namespace"]
    assert {
        "bootstrap.servers",
        "default.topic.partitions",
        "default.topic.replication.factor",
    } == (set(config["data"]))
    ordered = {
        name for (kind, name), o in kafka.items()
        if kind == "Trigger" and (o["metadata"].get("annotations") or {}).get(ORDERED) == "ordered"
    }  # fmt: skip
    assert ordered == {"fetch-on-fetch-requested", "predict-on-fetched"}


def test_nothing_else_changes(renderings):
    default, kafka = (by_key(objects) for objects in renderings[:2])
    assert set(kafka) - set(default) == {("ConfigMap", "kafka-broker-config")}
    for key, obj in default.items():
        changed = copy.deepcopy(kafka[key])
        changed["metadata"].get("annotations", {}).pop(ORDERED, None)
        if key == ("Broker", "default"):
            changed["metadata"]["annotations"][CLASS] = "MTChannelBasedBroker"
            del changed["spec"]["config"]
        if changed["metadata"].get("annotations") == {} and "annotations" not in obj["metadata"]:
            del changed["metadata"]["annotations"]
        assert changed == obj, key


def test_the_local_mesh_runs_the_kafka_rendering_too(renderings):
    topology = Topology.from_objects(renderings[1])
    assert {t.name for t in topology.triggers} == {
        t.name for t in Topology.from_objects(renderings[0]).triggers
    }


def test_each_symbols_events_carry_it_as_their_partition_key():
    event = new_event(FETCH_REQUESTED, "watchlist", {"symbol": "IBM"}, subject="IBM")
    assert (event["subject"], event["partitionkey"]) == ("IBM", "IBM")
    assert "partitionkey" not in new_event(FETCH_REQUESTED, "x", {}).get_attributes()
