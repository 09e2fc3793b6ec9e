"""The project's knative/ manifests and func.yaml: they render, validate and are wired right."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from croniter import croniter

from devstack.mesh import Mesh, Topology
from devstack.mesh.durations import parse_duration
from devstack.mesh.manifests import load_objects
from devstack.mesh.ping import PING_TYPE, ping_event
from tests.support.mesh import Answer

ROOT = Path(__file__).resolve().parents[3]
KNATIVE = ROOT / "knative"
VALIDATE = ROOT.parent / "shared" / "knative-schemas" / "validate.py"
FUNCTIONS = {
    "fetch",
    "predict",
    "buckets",
    "watchlist",
    "chart",
    "deadletters",
    "ui",
    "alerts",
    "notifier",
}
CLUSTER_LOCAL = {"fetch", "predict", "watchlist", "deadletters", "alerts", "notifier"}
VISIBILITY = "networking.knative.dev/visibility"
SECRET_REFERENCE = re.compile(r"\{\{ secret:(?P<name>[-a-z0-9.]+):(?P<key>[-._a-zA-Z0-9]+) \}\}")
EVENT_TYPE = re.compile(r"io\.stocksmanager(\.[a-z]+)+")

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed: cannot render kustomize"
)


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    """The objects as written in knative/ (kustomization's resources, not rendered)."""
    return load_objects(KNATIVE, use_kubectl=False)


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: cannot render kustomize")
    return load_objects(KNATIVE, use_kubectl=True)


@pytest.fixture(scope="module")
def func_yaml() -> dict:
    return yaml.safe_load((ROOT / "func.yaml").read_text())


def of_kind(objects: list[dict], kind: str, api_version: str | None = None) -> list[dict]:
    return [o for o in objects if o["kind"] == kind and api_version in (None, o.get("apiVersion"))]


def knative_services(objects: list[dict]) -> dict[str, dict]:
    services = of_kind(objects, "Service", "serving.knative.dev/v1")
    return {s["metadata"]["name"]: s for s in services}


def pod_specs(objects: list[dict]) -> dict[str, dict]:
    """Every pod template's spec: Knative Services, Deployments and StatefulSets."""
    kinds = ("Deployment", "StatefulSet")
    specs = {
        f"ksvc/{n}": s["spec"]["template"]["spec"] for n, s in knative_services(objects).items()
    }
    specs |= {
        f"{o['kind']}/{o['metadata']['name']}": o["spec"]["template"]["spec"]
        for o in objects
        if o["kind"] in kinds
    }
    return specs


def env_of(container: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def strings(node: object) -> list[str]:
    """Every string value in a parsed YAML document."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def emitted_types_in_source() -> set[str]:
    """Every io.stocksmanager.* string literal in the functions' Python source."""
    files = [
        ROOT / "func.py",
        *(ROOT / "functions").rglob("*.py"),
        *(ROOT / "shared").rglob("*.py"),
    ]
    found = set()
    for file in (f for f in files if f.is_file()):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and EVENT_TYPE.fullmatch(node.value):
                found.add(node.value)
    return found


@needs_kubectl
def test_kustomize_renders_the_manifests():
    done = subprocess.run(
        ["kubectl", "kustomize", str(KNATIVE)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    kinds = {d["kind"] for d in yaml.safe_load_all(done.stdout) if d}
    assert {"Service", "Broker", "Trigger", "PingSource", "SinkBinding"} <= kinds
    assert {"StatefulSet", "Deployment", "ConfigMap", "Namespace"} <= kinds


@needs_kubectl
def test_the_manifests_validate_against_knatives_crd_schemas():
    if not VALIDATE.is_file():
        missing = f"Knative's CRD schemas are not at {VALIDATE}"
        if os.environ.get("CI") == "true":  # CI lays shared/ beside the clone: missing is a fault
            pytest.fail(missing)
        pytest.skip(missing)
    done = subprocess.run(
        [sys.executable, str(VALIDATE), str(KNATIVE)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 invalid" in done.stdout


def test_there_is_one_knative_service_per_function_from_the_one_image(raw):
    services = knative_services(raw)

    assert set(services) == FUNCTIONS
    for name, service in services.items():
        (container,) = service["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "stocks-manager", name
        assert env_of(container)["STOCKS_FUNCTION"]["value"] == name


def test_kustomize_points_the_placeholder_image_at_the_built_one(rendered):
    kustomization = yaml.safe_load((KNATIVE / "kustomization.yaml").read_text())
    (image,) = [i for i in kustomization["images"] if i["name"] == "stocks-manager"]
    expected = f"{image['newName']}:{image['newTag']}"

    for name, service in knative_services(rendered).items():
        assert service["spec"]["template"]["spec"]["containers"][0]["image"] == expected, name


def test_every_service_carries_the_envs_that_func_yaml_names(raw, func_yaml):
    envs = {e["name"]: e["value"] for e in func_yaml["run"]["envs"]}
    assert {"INFLUX_URL", "INFLUX_TOKEN", "INFLUX_ORG", "ALPHAVANTAGE_API_KEY"} <= set(envs)
    assert {"ALPHAVANTAGE_API_KEY", "STOCKS_META_BUCKET", "STOCKS_FUNCTION"} <= set(envs)

    for name, service in knative_services(raw).items():
        env = env_of(service["spec"]["template"]["spec"]["containers"][0])
        for variable, value in envs.items():
            assert variable in env, f"{name} lacks {variable}"
            secret = SECRET_REFERENCE.fullmatch(value)
            if secret:
                ref = env[variable]["valueFrom"]["secretKeyRef"]
                assert (ref["name"], ref["key"]) == (secret["name"], secret["key"]), name
            elif variable != "STOCKS_FUNCTION":
                assert env[variable].get("value") == value, f"{name}: {variable}"


def test_no_secret_value_is_written_anywhere(raw, func_yaml):
    secret_like = re.compile(r"TOKEN|KEY|PASSWORD|SECRET")
    assert of_kind(raw, "Secret") == []
    for name, spec in pod_specs(raw).items():
        for container in spec["containers"]:
            for variable, entry in env_of(container).items():
                if secret_like.search(variable) and entry.get("value") != "":
                    assert "secretKeyRef" in entry.get("valueFrom", {}), f"{name}: {variable}"
    for entry in func_yaml["run"]["envs"]:
        if secret_like.search(entry["name"]):
            assert SECRET_REFERENCE.fullmatch(entry["value"]), entry["name"]


def test_services_scale_to_zero_within_limits_suited_to_each_function(raw):
    services = knative_services(raw)
    for name, service in services.items():
        template = service["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["autoscaling.knative.dev/min-scale"] == "0", name
        assert int(annotations["autoscaling.knative.dev/max-scale"]) >= 1, name
        assert template["spec"]["containerConcurrency"] >= 1, name
        assert 0 < template["spec"]["timeoutSeconds"] <= 600, name  # Knative's default maximum
    predict = services["predict"]["spec"]["template"]["spec"]
    assert predict["containerConcurrency"] <= 2
    timeouts = {n: s["spec"]["template"]["spec"]["timeoutSeconds"] for n, s in services.items()}
    assert timeouts["predict"] == max(timeouts.values())


def test_only_buckets_and_chart_are_reachable_from_outside(raw):
    for name, service in knative_services(raw).items():
        visibility = service["metadata"].get("labels", {}).get(VISIBILITY)
        assert visibility == ("cluster-local" if name in CLUSTER_LOCAL else None), name


def test_every_container_is_non_root_with_requests_limits_and_health_probes(raw):
    for name, spec in pod_specs(raw).items():
        for container in spec["containers"]:
            security = container.get("securityContext", {})
            pod_security = spec.get("securityContext", {})
            assert security.get("runAsNonRoot") or pod_security.get("runAsNonRoot"), name
            assert security.get("allowPrivilegeEscalation") is False, name
            assert security.get("capabilities", {}).get("drop") == ["ALL"], name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), name
            assert container["livenessProbe"]["httpGet"]["path"], name
            assert container["readinessProbe"]["httpGet"]["path"], name
    for name, service in knative_services(raw).items():
        container = service["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/liveness", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/readiness", name


def test_every_trigger_and_dead_letter_sink_points_at_a_function(raw):
    topology = Topology.from_objects(raw)
    urls = {name: f"http://127.0.0.1:9/{name}" for name in topology.services}

    Mesh(topology, urls, schedule_pings=False)  # refuses an unknown reference

    assert {t.subscriber.ref.name for t in topology.triggers} <= FUNCTIONS
    for trigger in topology.triggers:
        delivery = trigger.delivery
        assert delivery.dead_letter_sink.ref.name == "deadletters", trigger.name
        assert delivery.backoff_policy == "exponential", trigger.name
        assert delivery.retry >= 1, trigger.name
    broker_sink = topology.broker("stocks-manager", "default").delivery.dead_letter_sink
    assert broker_sink.ref.name == "deadletters"


def test_every_event_type_a_function_emits_has_a_trigger_or_is_final(raw):
    topology = Topology.from_objects(raw)
    routed = {t.filter.get("type") for t in topology.triggers}
    declared = set().union(*topology.emits.values())
    in_source = emitted_types_in_source()

    assert topology.final_event_types == {"io.stocksmanager.tick.completed"}
    assert not routed & topology.final_event_types
    assert in_source <= declared | routed, "an event type in the code is not in the manifests"
    for event_type in declared | in_source:
        assert event_type in routed | topology.final_event_types, event_type
    assert PING_TYPE in routed


def test_cron_time_zone_and_durations_are_valid(raw):
    pings = of_kind(raw, "PingSource")
    assert sorted(p["metadata"]["name"] for p in pings) == ["alerts-check", "market-close"]
    for ping in pings:
        spec = ping["spec"]
        assert croniter.is_valid(spec["schedule"])
        assert ZoneInfo(spec["timezone"])
        assert spec["contentType"] == "application/json"
        assert yaml.safe_load(spec["data"])  # JSON data
    for obj in [*of_kind(raw, "Trigger"), *of_kind(raw, "Broker")]:
        delay = obj["spec"]["delivery"]["backoffDelay"]
        assert re.fullmatch(r"PT\d+(\.\d+)?S", delay), obj["metadata"]["name"]
        assert parse_duration(delay) > 0


def test_the_pingsources_and_sinkbindings_send_to_the_broker(raw):
    ping, other = of_kind(raw, "PingSource")
    bindings = of_kind(raw, "SinkBinding")

    assert ping["spec"]["sink"]["ref"]["kind"] == "Broker"
    assert other["spec"]["sink"]["ref"] == ping["spec"]["sink"]["ref"]
    for binding in bindings:
        assert binding["spec"]["sink"]["ref"] == ping["spec"]["sink"]["ref"]
    assert sorted(b["spec"]["subject"]["name"] for b in bindings) == ["alerts", "ui", "watchlist"]
    for binding in bindings:
        assert binding["spec"]["subject"]["kind"] == "Service"
        assert binding["spec"]["subject"]["apiVersion"] == "serving.knative.dev/v1"


def test_each_pingsource_reaches_its_own_function_only(raw):
    """Both send dev.knative.sources.ping: their `stocksjob` extension tells them apart."""
    topology = Topology.from_objects(raw)
    reached = {}
    for ping in topology.ping_sources:
        event = ping_event(ping)
        reached[ping.name] = [
            t.subscriber.ref.name for t in topology.triggers if t.matches(event.get_attributes())
        ]
    assert reached == {"market-close": ["watchlist"], "alerts-check": ["alerts"]}


def test_influxdb_grafana_and_functions_agree_on_url_organisation_and_token(raw):
    (influx,) = of_kind(raw, "StatefulSet")
    influx_env = env_of(influx["spec"]["template"]["spec"]["containers"][0])
    (grafana,) = of_kind(raw, "Deployment")
    grafana_env = env_of(grafana["spec"]["template"]["spec"]["containers"][0])
    (influx_service,) = [
        o for o in of_kind(raw, "Service", "v1") if o["metadata"]["name"] == "influxdb"
    ]
    port = influx_service["spec"]["ports"][0]["port"]

    assert influx_env["DOCKER_INFLUXDB_INIT_MODE"]["value"] == "setup"
    assert influx["spec"]["volumeClaimTemplates"]
    token = influx_env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]["valueFrom"]
    assert token["secretKeyRef"]["name"] == "influxdb-auth"
    for name, service in knative_services(raw).items():
        env = env_of(service["spec"]["template"]["spec"]["containers"][0])
        assert env["INFLUX_URL"]["value"] == f"http://influxdb:{port}", name
        assert env["INFLUX_URL"] == grafana_env["INFLUX_URL"], name
        assert env["INFLUX_ORG"]["value"] == influx_env["DOCKER_INFLUXDB_INIT_ORG"]["value"]
        assert env["INFLUX_TOKEN"]["valueFrom"] == token == grafana_env["INFLUX_TOKEN"]["valueFrom"]
        assert env["STOCKS_META_BUCKET"] == grafana_env["STOCKS_META_BUCKET"], name


def test_grafana_gets_every_variable_its_provisioning_files_use(raw):
    (grafana,) = of_kind(raw, "Deployment")
    grafana_env = env_of(grafana["spec"]["template"]["spec"]["containers"][0])
    values = [
        v
        for f in (KNATIVE / "grafana").rglob("*.yaml")
        for v in strings(yaml.safe_load(f.read_text()))
    ]
    used = {m for value in values for m in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", value)}

    assert used, "no provisioning file uses an environment variable"
    assert used <= set(grafana_env)


def test_grafana_mounts_the_configmaps_kustomize_generates(rendered):
    generated = {c["metadata"]["name"]: c["data"] for c in of_kind(rendered, "ConfigMap")}
    (grafana,) = of_kind(rendered, "Deployment")
    spec = grafana["spec"]["template"]["spec"]
    volumes = {v["name"]: v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v}
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    provisioning = "/etc/grafana/provisioning"

    by_path = {mounts[volume]: generated[name] for volume, name in volumes.items()}
    assert set(by_path[f"{provisioning}/datasources"]) == {"influxdb.yaml"}
    assert set(by_path[f"{provisioning}/dashboards"]) == {
        "provider.yaml",
        "stocks.json",
        "pipeline.json",
    }


def test_func_yaml_builds_the_one_python_image_with_the_procfile(func_yaml):
    assert func_yaml["specVersion"]
    assert func_yaml["name"] == "stocks-manager"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", func_yaml["name"])
    assert func_yaml["runtime"] == "python"
    assert func_yaml["created"]
    assert func_yaml["build"]["builder"] in ("pack", "s2i")
    assert func_yaml["build"]["builder"] in func_yaml["build"]["builderImages"]
    assert func_yaml["deploy"]["healthEndpoints"] == {
        "liveness": "/health/liveness",
        "readiness": "/health/readiness",
    }
    for entry in func_yaml["run"]["envs"]:
        assert re.fullmatch(r"[-._a-zA-Z][-._a-zA-Z0-9]*", entry["name"])
        assert isinstance(entry["value"], str)
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert procfile["web"].strip().startswith("python -m ")


def test_the_image_keeps_the_libraries_bytecode_where_pods_read_it(func_yaml, tmp_path):
    """Paketo's CPython buildpack discards bytecode at build and starts each pod with an empty
    cache unless PYTHONPYCACHEPREFIX is set (to something: the lifecycle takes an empty value
    for unset). pip writes it, at build, inside its own packages layer (kept in the image and
    cached with it); launch reads it from the same place. Python does as that relies on: one
    process writes a module's bytecode there, beside none, and the next reads it from there."""
    build = {e["name"]: e["value"] for e in func_yaml["build"]["buildEnvs"]}
    launch = {e["name"]: e["value"] for e in func_yaml["run"]["envs"]}
    prefix = build["PYTHONPYCACHEPREFIX"]
    assert prefix == launch["PYTHONPYCACHEPREFIX"]
    assert prefix.startswith("/layers/paketo-buildpacks_pip-install/packages/")

    source = tmp_path / "app" / "probe.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def value() -> str:
        code = "import probe; print(probe.VALUE)"
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=source.parent,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert value() == "1"
    assert not (source.parent / "__pycache__").exists()
    stat = source.stat()
    source.write_text("VALUE = 2\n")  # same size; the old time back: only the bytecode says 1
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert value() == "1"


def test_pip_compiles_what_it_installs_into_the_prefix(tmp_path):
    """The image's build: pip-install's `pip install --compile`, with the prefix set, leaves the
    installed modules' bytecode under the prefix (none beside them) for pods to read."""
    wheel = tmp_path / "probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("probe.py", "VALUE = 1\n")
        info = "probe-1.0.dist-info"
        archive.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: probe\nVersion: 1.0\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        archive.writestr(f"{info}/RECORD", "")
    prefix, target = tmp_path / "cache", tmp_path / "packages"
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    install = ["install", "--compile", "--no-deps", "--no-index", "--disable-pip-version-check"]
    subprocess.run(
        [sys.executable, "-m", "pip", *install, "--target", str(target), str(wheel)],
        env=env,
        capture_output=True,
        check=True,
    )
    assert (target / "probe.py").exists()
    assert list(prefix.rglob("probe.cpython-*.pyc"))
    assert not list(target.rglob("*.pyc"))


@pytest.mark.parametrize("watched", ["yes", "no"])
def test_the_real_wiring_carries_a_tick_through_fetch_and_predict_to_alerts(
    stand_in, tmp_path, raw, watched
):
    """knative/'s eventing objects, run by the mesh against stand-ins replying as the functions;
    alerts takes fetched and predicted only for a symbol with alert rules (alertrules)."""
    watchlist = stand_in(then=Answer.event("io.stocksmanager.tick.completed", {"requested": []}))
    fetched = Answer.event("io.stocksmanager.fetched", {"symbol": "AAPL"})
    # forecastdue: fetch stored something new; predict's Trigger takes only these
    said = {"ce-forecastdue": "yes", "ce-alertrules": watched}
    fetch = stand_in(then=replace(fetched, headers={**fetched.headers, **said}))
    predicted = Answer.event("io.stocksmanager.predicted", {"symbol": "AAPL"})
    predict = stand_in(
        then=replace(predicted, headers={**predicted.headers, "ce-alertrules": watched})
    )
    alerts, notifier = stand_in(), stand_in()
    others = {name: stand_in() for name in ("buckets", "chart", "deadletters")}
    urls = {"watchlist": watchlist.url, "fetch": fetch.url, "predict": predict.url}
    urls |= {"alerts": alerts.url, "notifier": notifier.url}
    urls |= {name: server.url for name, server in others.items()}
    with Mesh(
        Topology.from_objects(raw),
        urls,
        dead_letter_file=tmp_path / "dead.jsonl",
        schedule_pings=False,
    ) as mesh:
        mesh.fire_ping("market-close")
        fetch_requested = Answer.event("io.stocksmanager.fetch.requested", {"symbol": "AAPL"})
        answer = requests.post(
            mesh.sink_bindings()["watchlist"],
            headers=fetch_requested.headers,
            data=fetch_requested.body,
            timeout=10,
        )
        assert answer.status_code == 202
        alert = Answer.event("io.stocksmanager.alert.fired", {"symbol": "AAPL"})
        answer = requests.post(
            mesh.sink_bindings()["alerts"], headers=alert.headers, data=alert.body, timeout=10
        )
        assert answer.status_code == 202
        assert mesh.wait_idle(30)

    assert [r.headers["ce-type"] for r in watchlist.requests] == [PING_TYPE]
    assert [r.headers["ce-type"] for r in fetch.requests] == ["io.stocksmanager.fetch.requested"]
    assert [r.headers["ce-type"] for r in predict.requests] == ["io.stocksmanager.fetched"]
    assert sorted(r.headers["ce-type"] for r in alerts.requests) == [
        "io.stocksmanager.fetched",
        "io.stocksmanager.predicted",
    ] * (watched == "yes")
    assert [r.headers["ce-type"] for r in notifier.requests] == ["io.stocksmanager.alert.fired"]
    finals = {r.event_type for r in mesh.received() if r.final}
    assert finals == {"io.stocksmanager.tick.completed"}
    routed = {r.event_type: r.triggers for r in mesh.received() if not r.final}
    assert routed == {
        PING_TYPE: 1,
        "io.stocksmanager.fetch.requested": 1,
        "io.stocksmanager.fetched": 2 if watched == "yes" else 1,  # predict, and alerts at once
        "io.stocksmanager.predicted": 1 if watched == "yes" else 0,
        "io.stocksmanager.alert.fired": 1,
    }
    assert others["deadletters"].requests == []


# -- who may reach what (NetworkPolicy) and who must show the API token -------------------------

KNATIVE_SERVICE_LABEL = "serving.knative.dev/service"
POLICY_KEYS = {
    "spec": {"podSelector", "policyTypes", "ingress", "egress"},
    "rule": {"from", "ports"},
    "peer": {"podSelector", "namespaceSelector", "ipBlock"},
    "port": {"protocol", "port", "endPort"},
    "selector": {"matchLabels", "matchExpressions"},
    "expression": {"key", "operator", "values"},
}


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """Whether a Kubernetes label selector matches `labels` (an empty selector matches all)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def admitted(policies: list[dict], pod: dict[str, str], source: dict[str, str], namespace: str):
    """Whether a connection from a pod labelled `source` in `namespace` (the project's is
    stocks-manager) to a pod labelled `pod` on any port is let in by the policies."""
    governing = [p for p in policies if selects(p["spec"]["podSelector"], pod)]
    if not governing:
        return True
    namespace_labels = {"kubernetes.io/metadata.name": namespace}
    for policy in governing:
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                in_namespace = (
                    selects(peer.get("namespaceSelector", {}), namespace_labels)
                    if ("namespaceSelector" in peer)
                    else namespace == "stocks-manager"
                )
                if in_namespace and selects(peer.get("podSelector", {}), source):
                    return True
    return False


def function_pod(name: str) -> dict[str, str]:
    return {KNATIVE_SERVICE_LABEL: name, "app.kubernetes.io/part-of": "stocks-manager"}


def test_network_policies_use_only_the_kubernetes_api_fields(raw):
    policies = of_kind(raw, "NetworkPolicy", "networking.k8s.io/v1")
    assert len(policies) == 2

    def selector_ok(selector: dict) -> None:
        assert set(selector) <= POLICY_KEYS["selector"]
        for expression in selector.get("matchExpressions", []):
            assert set(expression) <= POLICY_KEYS["expression"]
            assert expression["operator"] in ("In", "NotIn", "Exists", "DoesNotExist")

    for policy in policies:
        spec = policy["spec"]
        assert set(spec) <= POLICY_KEYS["spec"], policy["metadata"]["name"]
        assert spec["policyTypes"] == ["Ingress"]
        selector_ok(spec["podSelector"])
        for rule in spec["ingress"]:
            assert set(rule) <= POLICY_KEYS["rule"]
            for peer in rule["from"]:
                assert set(peer) <= POLICY_KEYS["peer"]
                for key in ("podSelector", "namespaceSelector"):
                    if key in peer:
                        selector_ok(peer[key])
            for port in rule.get("ports", []):
                assert set(port) <= POLICY_KEYS["port"] and port["protocol"] == "TCP"


def test_only_the_functions_and_grafana_reach_influxdb(raw):
    policies = of_kind(raw, "NetworkPolicy")
    (influx,) = of_kind(raw, "StatefulSet")
    influx_pod = influx["spec"]["template"]["metadata"]["labels"]
    (grafana,) = of_kind(raw, "Deployment")
    grafana_pod = grafana["spec"]["template"]["metadata"]["labels"]
    (service,) = [o for o in of_kind(raw, "Service", "v1") if o["metadata"]["name"] == "influxdb"]
    (rule,) = [
        r
        for p in policies
        if selects(p["spec"]["podSelector"], influx_pod)
        for r in p["spec"]["ingress"]
    ]

    assert [p["port"] for p in rule["ports"]] == [service["spec"]["ports"][0]["port"]]
    for name in knative_services(raw):
        assert admitted(policies, influx_pod, function_pod(name), "stocks-manager"), name
    assert admitted(policies, influx_pod, grafana_pod, "stocks-manager")
    for stranger, namespace in [
        ({"app": "debug"}, "stocks-manager"),
        ({}, "stocks-manager"),
        (function_pod("fetch"), "default"),  # a look-alike in another namespace
        ({"app": "activator"}, "knative-serving"),
    ]:
        assert not admitted(policies, influx_pod, stranger, namespace), (stranger, namespace)


def test_only_knative_and_the_page_reach_the_cluster_local_functions(raw):
    policies = of_kind(raw, "NetworkPolicy")
    services = knative_services(raw)
    cluster_local = {
        n for n, s in services.items() if s["metadata"].get("labels", {}).get(VISIBILITY)
    }
    assert cluster_local == CLUSTER_LOCAL
    allowed = [
        ({"app": "activator"}, "knative-serving"),
        ({"app": "autoscaler"}, "knative-serving"),
        ({"eventing.knative.dev/brokerRole": "filter"}, "knative-eventing"),
        ({"eventing.knative.dev/brokerRole": "ingress"}, "knative-eventing"),
        ({"app": "3scale-kourier-gateway"}, "kourier-system"),
        (function_pod("ui"), "stocks-manager"),
    ]
    refused = [(function_pod(name), "stocks-manager") for name in services if name != "ui"] + [
        ({"app.kubernetes.io/name": "grafana"}, "stocks-manager"),
        ({"app": "x"}, "default"),
    ]
    for name in services:
        pod = function_pod(name)
        for source, namespace in allowed:
            assert admitted(policies, pod, source, namespace), (name, source)
        for source, namespace in refused:
            assert admitted(policies, pod, source, namespace) == (name not in cluster_local), (
                name,
                source,
            )


def test_services_reachable_from_outside_demand_the_api_token_from_a_secret(raw):
    for name, service in knative_services(raw).items():
        env = env_of(service["spec"]["template"]["spec"]["containers"][0])
        if name in CLUSTER_LOCAL:
            continue
        reference = env["STOCKS_API_TOKEN"]["valueFrom"]["secretKeyRef"]
        assert (reference["name"], reference["key"]) == ("stocks-api", "token"), name
        assert not reference.get("optional", False), name  # never run open in the cluster
