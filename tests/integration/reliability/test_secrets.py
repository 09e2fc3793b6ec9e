"""Secrets: none in the repository, the cluster manifests locked down, and none in answers or logs.

The repository scan reads every file git tracks (or would: untracked files not ignored), and a
self-test plants secrets to prove the scanner finds them. Manifests are checked as `kubectl apply
-k` sends them (rendered by `kubectl kustomize` when kubectl is installed); what
tests/mesh/test_knative_manifests.py asserts on the raw files is not repeated. At run time the
functions get canary secrets, meet failing providers, a credential-echoing InfluxDB, an InfluxDB
that is down and bad input, and no canary may appear in a response or a log line.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests
import yaml
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.mesh.manifests import load_objects
from devstack.ports import free_port
from shared.contract.events import FETCH_REQUESTED, FETCHED

ROOT = Path(__file__).resolve().parents[3]
KNATIVE = ROOT / "knative"
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|KEY|SECRET")
FUNC_SECRET = re.compile(r"\{\{ secret:[-a-z0-9.]+:[-._a-zA-Z0-9]+ \}\}")
IN_CLUSTER_ONLY = ("fetch", "predict", "watchlist")

# -- the scanner -----------------------------------------------------------------------------

_NAME = r"[\w.-]*(?:password|passwd|token|api[_-]?key|secret)[\w.-]*"
PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Slack webhook": re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    # name = "literal" / name: 'literal' / "name": "literal", in any file
    "quoted secret": re.compile(
        rf"(?i){_NAME}['\"]?\s*(?:=|:|=>)\s*[rbf]?['\"](?P<value>[^'\"\s]{{6,}})['\"]"
    ),
}
# NAME=literal (env files, shell, Markdown) and name: literal (YAML); Python has quoted literals,
# and a bare word after `=` there is a reference.
BARE = re.compile(rf"(?i){_NAME}\s*(?:=|:\s)\s*(?P<value>[^\s'\"`$<{{(#&*|>][^\s'\"`,;)]{{5,}})")
PLACEHOLDER = re.compile(
    r"(?i)your|example|changeme|placeholder|dummy|redacted|username|password|xxx|\.\.\.|\*\*\*"
    r"|\{\{|\$\{|\$\(|<[a-z_-]+>"
)
# Deliberate fakes, allowed by value: the keys of the local Alpha Vantage and Tiingo
# (tests/support/fakes/), sent to loopback fakes only and no real account's; the tokens and keys
# tests give functions and settings to check they are used and masked (no real server sees them);
# and the name under which the page keeps the API token in the browser session.
ALLOWED = frozenset(
    {
        "K3YSECRET42XYZ",
        "secret-token",
        "t1ingoS3CRETtoken0042",
        "test-key",
        "s3cret-token",
        "page-test-token",
        "tok-123",
        "pw-456",
        "key-789",
        "api-tok-1",
        "api-token-SECRET",
        "stocks-api-token",
    }
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str


def scan(path: str, text: str) -> list[Finding]:
    """Every line of `text` that holds something secret-looking, placeholders excepted."""
    quoting = path.endswith((".py", ".js"))  # a bare word after `=` there is a reference
    patterns = dict(PATTERNS) if quoting else {**PATTERNS, "bare secret": BARE}
    findings = []
    for number, line in enumerate(text.splitlines(), 1):
        for kind, pattern in patterns.items():
            for match in pattern.finditer(line):
                value = match.groupdict().get("value") or match.group(0)
                if value not in ALLOWED and not PLACEHOLDER.search(value):
                    findings.append(Finding(path, number, kind))
    return findings


def repository_files() -> list[str]:
    """What git tracks, plus untracked files that are not ignored (what a commit would add)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return sorted({name for name in done.stdout.decode().split("\0") if name})


def secret_literals(objects: Any, where: str = "") -> list[str]:
    """Every env entry under `objects` with a secret-like name and a literal, non-empty value."""
    found = []
    if isinstance(objects, dict):
        for key, value in objects.items():
            if key in ("env", "envs", "buildEnvs") and isinstance(value, list):
                found += [
                    f"{where}/{entry['name']}"
                    for entry in value
                    if SECRET_NAME.search(entry.get("name", "").upper())
                    and entry.get("value") not in (None, "")
                    and not FUNC_SECRET.fullmatch(str(entry["value"]))
                ]
            else:
                found += secret_literals(value, f"{where}/{key}")
    elif isinstance(objects, list):
        for index, value in enumerate(objects):
            found += secret_literals(value, f"{where}/{index}")
    return found


def test_the_scanner_finds_planted_secrets_and_passes_placeholders():
    planted = {
        "key.pem": "-----BEGIN " + "RSA PRIVATE KEY-----",
        "aws.txt": "id = " + "AKIA" + "Q7" * 8,
        "gh.txt": "ghp_" + "a1B2" * 9,
        "slack.txt": "xoxb-" + "1234567890-abcdefghij",
        "settings.py": "db_pass" + 'word = "' + "hunter2hunter2" + '"',
        "values.yaml": "api" + "Key: " + "s3cr3tvalue99",
        ".env": "INFLUX_TO" + "KEN=" + "f00dbabe1234",
        "config.json": '{"client_sec' + 'ret": "' + "abcdef123456" + '"}',
    }
    for path, text in planted.items():
        assert scan(path, text), path
    placeholders = {
        "settings.py": 'password = "${DB_PASSWORD}"\ntoken = ""\ntoken=self.settings.token',
        "func.yaml": 'value: "{{ secret:alphavantage:api-key }}"\ntoken: $INFLUX_TOKEN',
        "README.md": "--from-literal=api-key=YOUR_KEY\nINFLUX_TOKEN=username:password",
        "fake.py": 'API_KEY = "K3YSECRET42XYZ"',
    }
    for path, text in placeholders.items():
        assert scan(path, text) == [], path


def test_no_secret_is_in_the_repository():
    findings = []
    for name in repository_files():
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        findings += scan(name, data.decode("utf-8", "replace"))
    assert findings == []


def test_the_env_checker_flags_a_literal_secret_and_passes_references():
    literal = {"env": [{"name": "INFLUX_TOKEN", "value": "f00dbabe1234"}]}
    referenced = {
        "env": [
            {"name": "INFLUX_TOKEN", "valueFrom": {"secretKeyRef": {"name": "a"}}},
            {"name": "INFLUX_PASSWORD", "value": ""},
            {"name": "API_KEY", "value": "{{ secret:alphavantage:api-key }}"},
        ]
    }
    assert secret_literals(literal) == ["/INFLUX_TOKEN"]
    assert secret_literals(referenced) == []


def test_func_yaml_takes_every_secret_from_a_secret():
    func_yaml = yaml.safe_load((ROOT / "func.yaml").read_text())
    assert secret_literals(func_yaml) == []
    envs = [*func_yaml["run"]["envs"], *func_yaml["build"].get("buildEnvs", [])]
    for entry in envs:
        if SECRET_NAME.search(entry["name"]):
            assert FUNC_SECRET.fullmatch(entry["value"]), entry["name"]


# -- the manifests, as applied ---------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    """knative/ as `kubectl apply -k` sends it (read from the files when kubectl is missing)."""
    return load_objects(KNATIVE)


def named(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def env_of(obj: dict) -> dict[str, dict]:
    (container,) = obj["spec"]["template"]["spec"]["containers"]
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_ref(entry: dict) -> tuple[str, str]:
    ref = entry["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def pod_specs(objects: list[dict]) -> Iterator[tuple[str, dict]]:
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec")
        if spec is not None:
            yield f"{obj['kind']}/{obj['metadata']['name']}", spec


def test_the_rendered_manifests_hold_no_secret_value(manifests):
    assert [o["metadata"]["name"] for o in manifests if o["kind"] == "Secret"] == []
    assert secret_literals(manifests) == []
    for config_map in (o for o in manifests if o["kind"] == "ConfigMap"):
        for name, text in config_map.get("data", {}).items():
            assert scan(name, text) == [], f"ConfigMap {config_map['metadata']['name']}/{name}"


def test_influxdb_runs_with_auth_set_up_from_a_secret_and_stays_in_the_cluster(manifests):
    influx = named(manifests, "StatefulSet", "influxdb")
    (container,) = influx["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"influxdb:2\.\d+\.\d+", container["image"])  # 2.x has no auth-off switch
    env = env_of(influx)
    assert env["DOCKER_INFLUXDB_INIT_MODE"]["value"] == "setup"
    for variable, key in (
        ("USERNAME", "username"),
        ("PASSWORD", "password"),
        ("ADMIN_TOKEN", "token"),
    ):
        assert secret_ref(env[f"DOCKER_INFLUXDB_INIT_{variable}"]) == ("influxdb-auth", key)
    assert not [name for name in env if "AUTH" in name]  # e.g. INFLUXD_..._AUTH_ENABLED
    for name, service in (
        (o["metadata"]["name"], o)
        for o in manifests
        if o["kind"] == "Service" and o["apiVersion"] == "v1"
    ):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
    assert not [o for o in manifests if o["kind"] in ("Ingress", "Route", "Gateway", "HTTPRoute")]
    for obj in manifests:
        if obj["kind"] == "Service" and obj["apiVersion"] == "serving.knative.dev/v1":
            token = env_of(obj)["INFLUX_TOKEN"]
            assert secret_ref(token) == ("influxdb-auth", "token"), obj["metadata"]["name"]
            assert not token["valueFrom"]["secretKeyRef"].get("optional"), obj["metadata"]["name"]


def test_grafana_takes_its_admin_password_from_a_secret_and_lets_no_one_in_anonymously(manifests):
    env = env_of(named(manifests, "Deployment", "grafana"))
    assert secret_ref(env["GF_SECURITY_ADMIN_PASSWORD"]) == ("grafana-auth", "admin-password")
    assert "GF_SECURITY_ADMIN_PASSWORD__FILE" not in env
    assert env.get("GF_AUTH_ANONYMOUS_ENABLED", {}).get("value", "false") == "false"
    assert env["GF_USERS_ALLOW_SIGN_UP"]["value"] == "false"
    assert env.get("GF_AUTH_DISABLE_LOGIN_FORM", {}).get("value", "false") == "false"


def test_fetch_predict_and_watchlist_stay_cluster_local_once_rendered(manifests):
    for name in IN_CLUSTER_ONLY:
        labels = named(manifests, "Service", name)["metadata"]["labels"]
        assert labels["networking.knative.dev/visibility"] == "cluster-local", name


def test_every_rendered_container_runs_as_non_root_locked_down_within_limits(manifests):
    specs = dict(pod_specs(manifests))
    assert len(specs) >= 8  # six functions, InfluxDB, Grafana
    for where, spec in specs.items():
        pod = spec.get("securityContext", {})
        assert spec.get("automountServiceAccountToken") is False, where
        assert not {"hostNetwork", "hostPID", "hostIPC"} & {k for k, v in spec.items() if v}, where
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v], where
        for container in [*spec["containers"], *spec.get("initContainers", [])]:
            security = {**pod, **container.get("securityContext", {})}
            assert security.get("runAsNonRoot") is True, where
            assert security.get("runAsUser", 1) != 0, where
            assert security.get("privileged") is not True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not security.get("capabilities", {}).get("add"), where
            assert security.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where


# -- canaries at run time --------------------------------------------------------------------


@pytest.fixture
def canary() -> str:
    """A secret no response or log line may ever show; `/+=` change in a query string."""
    return f"canary{secrets.token_hex(12)}/+="


def post_event(url: str, event_type: str, data: dict[str, Any]) -> requests.Response:
    event = CloudEvent(
        {"type": event_type, "source": "/tests/secrets", "datacontenttype": "application/json"},
        data,
    )
    headers, body = to_binary(event)
    return requests.post(url, data=body, headers=headers, timeout=60)


def assert_never_shown(
    canaries: tuple[str, ...], responses: list[requests.Response], logs: list[Path]
) -> None:
    """No canary in any answer (body or header) or log line; every log line one JSON object."""
    canaries = (*canaries, *(quote_plus(c) for c in canaries))
    for response in responses:
        shown = response.text + json.dumps(dict(response.headers))
        assert not [c for c in canaries if c in shown], (response.status_code, shown[:500])
        assert "Traceback" not in response.text
    lines = [line for log in logs for line in log.read_text().splitlines()]
    assert len(lines) >= len(responses)
    for line in lines:
        assert not [c for c in canaries if c in line], line
        entry = json.loads(line)
        assert isinstance(entry, dict) and "function" in entry, line
        kind = {"status", "seconds"} if "status" in entry else {"logger", "level", "message"}
        assert kind <= set(entry), line  # a call's line, or a library's (waitress's, say)


BAD_INPUT = ({"symbol": "A' OR '1'='1"}, {"symbol": "AAPL", "bucket": "x y"}, {})


def test_provider_refusals_and_outages_never_show_the_api_key_or_the_influx_token(
    serve, alphavantage, canary
):
    """Alpha Vantage refusals that quote the key back, one that fails, one that is down."""
    token = "token" + canary
    provider = {
        "STOCKS_PROVIDER": "alphavantage",
        "ALPHAVANTAGE_API_KEY": canary,
        "INFLUX_TOKEN": token,  # InfluxDB 1.6 without auth accepts (ignores) a token header
    }
    routes = {
        "IBM": "daily.csv",
        "LIMD": "limit_daily.json",
        "LIMM": "limit_minute.json",
        "BADKEY": "invalid_key.json",
        "PAUSED": "unknown_message.json",
        "PREM": "premium_endpoint.json",
        "HTML": "maintenance.html",
        "TRUNC": "truncated.csv",
    }
    for symbol, fixture in routes.items():
        alphavantage.route(fixture, symbol=symbol)
    alphavantage.route(b"internal error for apikey={apikey}", symbol="E500", status=500)
    fetch = serve("fetch", **provider, ALPHAVANTAGE_URL=alphavantage.url)
    down = serve("fetch", **provider, ALPHAVANTAGE_URL=f"http://127.0.0.1:{free_port()}/query")
    responses = []
    for symbol in [*routes, "E500", "UNKNOWN"]:
        responses.append(requests.post(fetch.url, json={"symbol": symbol}, timeout=60))
        responses.append(post_event(fetch.url, FETCH_REQUESTED, {"symbol": symbol}))
    responses.append(requests.post(down.url, json={"symbol": "MSFT"}, timeout=60))
    responses.append(post_event(down.url, FETCH_REQUESTED, {"symbol": "MSFT"}))
    for process in (fetch, down):
        responses += [requests.post(process.url, json=fields, timeout=60) for fields in BAD_INPUT]
    statuses = {r.status_code for r in responses}
    assert {200, 400, 422, 429, 502} <= statuses
    assert {r.status_code for r in responses[:2]} == {200}  # the token went to InfluxDB
    assert any(query.get("apikey") == canary for query in alphavantage.queries)
    assert fetch.log_path == down.log_path  # both append to one file
    assert_never_shown((canary, token), responses, [fetch.log_path])


class EchoingInflux:
    """An InfluxDB stand-in that refuses every statement and write, quoting the credentials
    it was sent (header and query string) in its error, as a careless proxy might."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/ping"):
                    self.send_response(204)
                    self.send_header("X-Influxdb-Version", "1.8.10")
                    self.end_headers()
                else:
                    self.refuse()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.refuse()

            def refuse(self) -> None:
                said = f"{self.headers.get('Authorization', '')} {self.path}"
                body = json.dumps({"error": f"authorization failed for {said}"}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Influxdb-Error", f"authorization failed for {said}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Shut down and close the port: InfluxDB is then down."""
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("credential", ["INFLUX_TOKEN", "INFLUX_PASSWORD"])
def test_influx_refusals_and_outages_never_show_its_credentials(serve, canary, credential):
    influx = EchoingInflux()
    env = {"INFLUX_URL": influx.url, credential: canary}
    if credential == "INFLUX_PASSWORD":
        env["INFLUX_USERNAME"] = "stocks"
    names = ("fetch", "predict", "buckets", "watchlist", "chart", "deadletters")
    processes = {name: serve(name, **env) for name in names}

    def provoke() -> list[requests.Response]:
        urls = {name: process.url for name, process in processes.items()}
        return [
            requests.post(urls["fetch"], json={"symbol": "AAPL"}, timeout=60),
            post_event(urls["fetch"], FETCH_REQUESTED, {"symbol": "AAPL"}),
            requests.post(urls["predict"], json={"symbol": "AAPL", "model": "naive"}, timeout=60),
            post_event(urls["predict"], FETCHED, {"symbol": "AAPL", "model": "naive"}),
            requests.get(urls["buckets"], timeout=60),
            requests.post(urls["buckets"], json={"name": "new"}, timeout=60),
            requests.get(urls["watchlist"], timeout=60),
            requests.post(urls["watchlist"], json={"symbol": "AAPL"}, timeout=60),
            requests.get(urls["chart"], params={"symbol": "AAPL"}, timeout=60),
            post_event(urls["deadletters"], FETCHED, {"symbol": "AAPL"}),
            *(requests.post(urls["fetch"], json=fields, timeout=60) for fields in BAD_INPUT),
        ]

    try:
        refused = provoke()
    finally:
        influx.stop()
    unreachable = provoke()

    assert all(r.status_code >= 400 for r in refused)
    assert {r.status_code for r in unreachable} == {400, 503}
    logs = [process.log_path for process in processes.values()]
    assert_never_shown((canary,), refused + unreachable, logs)
