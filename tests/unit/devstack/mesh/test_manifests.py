"""Reading manifests into the mesh's topology: both loaders, and what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from devstack.mesh import MeshConfigError, Topology
from devstack.mesh.durations import parse_duration
from devstack.mesh.manifests import load_objects
from tests.support.mesh import broker, knative_service, trigger, write_manifests

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed: cannot render kustomize"
)


def kustomized(directory: Path) -> Path:
    """A kustomization with a namespace over a file of objects, like knative/."""
    write_manifests(
        directory,
        [knative_service("fetch"), broker(), trigger("t", "fetch", type="test.created")],
    )
    kustomization = {"namespace": "stocks", "resources": ["objects.yaml"]}
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return directory


def test_direct_reading_follows_the_kustomizations_resources_and_namespace(tmp_path):
    path = kustomized(tmp_path)
    (path / "not-listed.yaml").write_text(yaml.safe_dump(knative_service("stray")))

    topology = Topology.from_objects(load_objects(path, use_kubectl=False))

    assert topology.services == {"fetch"}
    assert [(t.namespace, t.name) for t in topology.triggers] == [("stocks", "t")]
    assert topology.broker("stocks", "default") is not None


@needs_kubectl
def test_kubectl_and_direct_reading_give_the_same_topology(tmp_path, repo_root):
    for path in (kustomized(tmp_path), repo_root / "knative"):
        rendered = Topology.from_objects(load_objects(path, use_kubectl=True))
        read = Topology.from_objects(load_objects(path, use_kubectl=False))
        assert rendered == read


def test_a_directory_without_kustomization_contributes_every_yaml_file(tmp_path):
    write_manifests(tmp_path / "a", [knative_service("fetch")])
    write_manifests(tmp_path / "b", [broker(), trigger("t", "fetch")])

    topology = Topology.from_objects(load_objects(tmp_path))

    assert topology.services == {"fetch"}
    assert [t.name for t in topology.triggers] == ["t"]


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([trigger("t", "fetch")], "broker 'default' is not in the manifests"),
        (
            [broker(), trigger("t", "fetch", delivery={"backoffDelay": "2s"})],
            "backoffDelay",
        ),
        (
            [broker(), trigger("t", "fetch", delivery={"backoffPolicy": "random"})],
            "backoffPolicy",
        ),
        ([broker(), trigger("t", "fetch", delivery={"retry": -1})], "retry"),
        ([broker({"backoffDelay": "PT"})], "backoffDelay"),
        (
            [broker(), {**trigger("t", "fetch"), "spec": {"broker": "default"}}],
            "needs a ref or a uri",
        ),
        (
            [
                broker(),
                {
                    **trigger("t", "fetch"),
                    "spec": {
                        **trigger("t", "fetch")["spec"],
                        "filters": [{"exact": {"type": "x"}}],
                    },
                },
            ],
            "spec.filters",
        ),
        (
            [
                broker(),
                {
                    "apiVersion": "sources.knative.dev/v1",
                    "kind": "SinkBinding",
                    "metadata": {"name": "s"},
                    "spec": {
                        "subject": {"kind": "Service", "name": "nobody"},
                        "sink": {"ref": {"kind": "Broker", "name": "default"}},
                    },
                },
            ],
            "not a Knative Service of the manifests",
        ),
    ],
)
def test_wiring_mistakes_are_refused_with_the_object_named(objects, message):
    with pytest.raises(MeshConfigError, match=message):
        Topology.from_objects([knative_service("fetch"), *objects])


def test_a_trigger_without_delivery_takes_the_brokers_field_by_field():
    topology = Topology.from_objects(
        [
            knative_service("fetch"),
            broker({"retry": 4, "backoffDelay": "PT3S"}),
            trigger("t", "fetch", delivery={"retry": 1}),
        ]
    )
    trigger_spec = topology.triggers[0]

    merged = trigger_spec.delivery.over(topology.broker("default", "default").delivery)

    assert (merged.retry, merged.backoff_delay) == (1, 3.0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT2S", 2.0), ("PT0.5S", 0.5), ("PT1M30S", 90.0), ("P1DT1H", 90000.0), ("P2D", 172800.0)],
)
def test_iso8601_durations_are_read_in_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "2S", "PT2", "P1Y", "P1W", "PT-1S", " PT2S"])
def test_malformed_or_ambiguous_durations_are_refused(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("attributes", "matches"),
    [
        ({"type": "a", "source": "/s"}, True),
        ({"type": "b", "source": "/s"}, True),  # "" matches any value
        ({"type": "a", "source": "/t"}, False),
        ({"type": "a"}, False),
    ],
)
def test_trigger_filters_match_exact_attributes(attributes, matches):
    (spec,) = Topology.from_objects(
        [knative_service("fetch"), broker(), trigger("t", "fetch", type="", source="/s")]
    ).triggers

    assert spec.matches(attributes) is matches
