"""`make run`: the whole pipeline on one machine, in the foreground, until Ctrl-C.

A real `influxd` with its data under `.stocks/`, every function in its own process on its own
port, the event mesh that reads `knative/` (Broker, Triggers, PingSource, SinkBinding), and
Grafana when it is installed. A demo watchlist is seeded when none exists and one tick is fired,
so data and forecasts appear within a minute. A second run reuses the data.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from devstack.functions import ROOT, FunctionProcess
from devstack.influxd import InfluxServer
from devstack.mesh.mesh import DEFAULT_PORT as MESH_PORT
from devstack.mesh.mesh import Chaos, Mesh
from devstack.ports import free_port, port_or_free, terminate
from devstack.webhook import WebhookReceiver

DATA = ROOT / ".stocks"
PORTS = {
    "ui": 8080,
    "fetch": 8081,
    "predict": 8082,
    "buckets": 8083,
    "watchlist": 8084,
    "chart": 8085,
    "deadletters": 8087,
    "alerts": 8088,
    "notifier": 8089,
}
INFLUX_PORT = 8086
WEBHOOK_PORT = 8091
GRAFANA_PORT = 3000
DEMO_WATCHLIST = ("AAPL", "MSFT", "NVDA")
DEMO_RULE_SYMBOL = "AAPL"
DEMO_RULE_MARGIN = 0.95
"""The seeded rule's level, as a fraction of the newest close: it holds now, so it fires once."""
PASSED_THROUGH = (
    "STOCKS_PROVIDER",
    "ALPHAVANTAGE_API_KEY",
    "ALPHAVANTAGE_URL",
    "ALPHAVANTAGE_PREMIUM",
    "ALPHAVANTAGE_TIMEOUT_SECONDS",
    "ALPHAVANTAGE_DAILY_LIMIT",
    "TIINGO_API_KEY",
    "TIINGO_URL",
    "TIINGO_TIMEOUT_SECONDS",
    "TIINGO_DAILY_LIMIT",
    "TIINGO_HOURLY_LIMIT",
    "TIINGO_MONTHLY_SYMBOLS",
    "STOCKS_META_BUCKET",
    "STOCKS_ALERT_WEBHOOK_TIMEOUT_SECONDS",
    "STOCKS_RUNS_BATCH_SECONDS",
)


@dataclass
class LocalStack:
    """Everything `make run` starts, in the order it starts it; `stop()` undoes it in reverse."""

    data: Path = DATA
    backoff_scale: float = 1.0
    schedule_pings: bool = True
    chaos: Chaos = field(default_factory=Chaos)
    manifests: Path = ROOT / "knative"
    """What the mesh routes by (tests may give a variant)."""
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    functions: dict[str, FunctionProcess] = field(default_factory=dict)
    influx: InfluxServer | None = None
    mesh: Mesh | None = None
    webhook: WebhookReceiver | None = None
    grafana_url: str | None = None
    ports: dict[str, int] = field(default_factory=dict)
    default_ports: bool = True
    """False: every part on a port the system picks (tests), never on `make run`'s; a stack
    whose influxd restarts on 8086 would race every other stack on the machine for it."""

    def plan_ports(self) -> dict[str, int]:
        """Each function's port (its default, else a free one; 0, any free one, without
        default ports), chosen once: `make run` prints the page's address before anything
        starts."""
        if not self.ports:
            self.ports = {name: self._port(port) for name, port in PORTS.items()}
        return self.ports

    def _port(self, default: int) -> int:
        """`default` when free, else a free port; 0 (bound at once, anywhere) without defaults."""
        return port_or_free(default) if self.default_ports else 0

    def start(self, env: dict[str, str] | None = None) -> LocalStack:
        """Start influxd, the functions and the mesh; env adds to every function's environment."""
        (self.data / "logs").mkdir(parents=True, exist_ok=True)
        ports = self.plan_ports()
        self.influx = InfluxServer(
            self.data / "influxdb", port_or_free(INFLUX_PORT) if self.default_ports else free_port()
        ).start()
        self.stoppers.append(self.influx.stop)
        base = {
            "INFLUX_URL": self.influx.url,
            **{k: os.environ[k] for k in PASSED_THROUGH if k in os.environ},
        }
        for name, port in ports.items():  # each binds its port now (or a free one, saying so)
            process = FunctionProcess(
                name, {**base, **(env or {})}, port, log_path=self.data / "logs" / f"{name}.log"
            )
            self.functions[name] = process
        self.stoppers.append(self._stop_functions)
        self.mesh = Mesh.from_manifests(
            self.manifests,
            {name: process.url for name, process in self.functions.items()},
            port=self._port(MESH_PORT),
            backoff_scale=self.backoff_scale,
            dead_letter_file=self.data / "dead-letters.jsonl",
            schedule_pings=self.schedule_pings,
            chaos=self.chaos,
        )
        own: dict[str, dict[str, str]] = {
            "notifier": dict(self._start_webhook()),
            "ui": {"STOCKS_ALERT_INBOX_URL": self.inbox},
        }
        for name, sink in self.mesh.sink_bindings().items():
            own.setdefault(name, {})["K_SINK"] = sink
        for name, extra in own.items():  # what the caller gives wins, as it always did
            self.functions[name].env.update(
                {k: v for k, v in extra.items() if k not in (env or {})}
            )
        with ThreadPoolExecutor(len(self.functions)) as starting:  # errors propagate
            list(starting.map(FunctionProcess.start, self.functions.values()))
        self.mesh.start()
        self.stoppers.append(self.mesh.stop)
        self.grafana_url = self._start_grafana()
        return self

    def _start_webhook(self) -> dict[str, str]:
        """Start the local webhook receiver; the notifier's environment: the receiver's URL and
        a signing secret made for this run, unless STOCKS_ALERT_WEBHOOK_URL names another."""
        secret = os.environ.get("STOCKS_ALERT_WEBHOOK_SECRET") or secrets.token_hex(32)
        self.webhook = WebhookReceiver(
            self.data / "webhook.jsonl", secret, self._port(WEBHOOK_PORT)
        ).start()
        self.stoppers.append(self.webhook.stop)
        return {
            "STOCKS_ALERT_WEBHOOK_URL": os.environ.get("STOCKS_ALERT_WEBHOOK_URL")
            or self.webhook.url,
            "STOCKS_ALERT_WEBHOOK_SECRET": secret,
        }

    @property
    def inbox(self) -> str:
        """The receiver's page, which the web page links to."""
        return self.webhook.url if self.webhook else ""

    def stop(self) -> None:
        """Stop everything started, last first."""
        while self.stoppers:
            self.stoppers.pop()()

    def _stop_functions(self) -> None:
        """Stop every function at once: each takes a moment to exit (its last writes), and
        one after another they added seconds to every stop."""
        with ThreadPoolExecutor(len(self.functions) or 1) as stopping:  # errors propagate
            list(stopping.map(FunctionProcess.stop, self.functions.values()))

    def started(self) -> tuple[InfluxServer, Mesh]:
        """The influxd and the mesh `start` runs; RuntimeError before it has."""
        if self.influx is None or self.mesh is None:
            raise RuntimeError("The local stack has not been started.")
        return self.influx, self.mesh

    def seed_watchlist(self) -> list[str]:
        """Track the demo symbols when the watchlist is empty; the symbols tracked."""
        url = self.functions["watchlist"].url
        tracked = requests.get(url, timeout=30).json()["watchlist"]
        if tracked:
            return [entry["symbol"] for entry in tracked]
        for symbol in DEMO_WATCHLIST:
            requests.post(
                url, json={"symbol": symbol}, headers=api_token_header(), timeout=30
            ).raise_for_status()
        return list(DEMO_WATCHLIST)

    def seed_alert_rule(self, timeout: float = 90.0) -> dict | None:
        """When no alert rule exists, wait for the demo symbol's first bars and set a rule that
        holds now (close above 95% of the newest close), so one alert fires and reaches the
        local webhook within a minute of the first start; the rule made, or None."""
        url = self.functions["alerts"].url
        if requests.get(url, timeout=30).json()["rules"]:
            return None
        deadline = time.monotonic() + timeout
        view = self.functions["ui"].url
        while time.monotonic() < deadline:
            rows = requests.get(view, params={"view": "watchlist"}, timeout=30).json()
            close = next(
                (r["close"] for r in rows["watchlist"] if r["symbol"] == DEMO_RULE_SYMBOL), None
            )
            if close:
                rule = {
                    "symbol": DEMO_RULE_SYMBOL,
                    "kind": "above",
                    "level": math.floor(close * DEMO_RULE_MARGIN),
                    "note": "A demo rule make run set: delete it on the page.",
                }
                answer = requests.post(url, json=rule, headers=api_token_header(), timeout=30)
                answer.raise_for_status()
                return answer.json()
            time.sleep(1)
        return None

    def tick(self) -> None:
        """Fire every PingSource now."""
        mesh = self.started()[1]
        for ping in mesh.topology.ping_sources:
            mesh.fire_ping(ping.name)

    def _start_grafana(self) -> str | None:
        binary = shutil.which("grafana-server") or shutil.which("grafana")
        if binary is None:
            return None
        port = port_or_free(GRAFANA_PORT)
        home = next(
            (p for p in ("/usr/share/grafana", "/usr/local/share/grafana") if Path(p).exists()),
            None,
        )
        args = (
            [binary]
            + (["server"] if binary.endswith("grafana") else [])
            + (["--homepath", home] if home else [])
        )
        env = {
            **os.environ,
            "INFLUX_URL": self.started()[0].url,
            "INFLUX_TOKEN": "",
            "STOCKS_META_BUCKET": os.environ.get("STOCKS_META_BUCKET", "stocks"),
            "STOCKS_FORECAST_BUCKET": "forecasts",
            "GF_PATHS_PROVISIONING": str(ROOT / "knative/grafana"),
            "GF_PATHS_DATA": str(self.data / "grafana"),
            "GF_SERVER_HTTP_PORT": str(port),
            "GF_SERVER_HTTP_ADDR": "127.0.0.1",
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        }
        log = (self.data / "logs" / "grafana.log").open("ab")
        process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        self.stoppers.append(lambda: terminate(process))
        return f"http://127.0.0.1:{port}/"


def banner(stack: LocalStack, symbols: list[str]) -> str:
    """What is running where, and what to try next."""
    influx, mesh = stack.started()
    lines = [
        "",
        f"Stocks Manager: open {stack.functions['ui'].url} in a browser.",
        "",
        "Running (demo provider unless ALPHAVANTAGE_API_KEY is set):",
        f"  InfluxDB     {influx.url}   (data in {stack.data})",
    ]
    lines += [f"  {name:<12} {process.url}" for name, process in stack.functions.items()]
    lines.append(f"  event mesh   {mesh.url}   (dead letters: {stack.data / 'dead-letters.jsonl'})")
    lines.append(f"  webhook      {stack.inbox}   (the alerts the notifier delivered)")
    lines.append(
        f"  Grafana      {stack.grafana_url}"
        if stack.grafana_url
        else "  Grafana      not installed: install Grafana (grafana.com/grafana/download) and "
        "run `make run` again to get the Stocks and Pipeline dashboards."
    )
    fetch, predict, chart = (stack.functions[n].url for n in ("fetch", "predict", "chart"))
    token = ' -H "Authorization: Bearer $STOCKS_API_TOKEN"' if api_token_header() else ""
    lines += [
        f"Tracking {', '.join(symbols)}; a tick was fired: prices and forecasts in a minute.",
        "Try:",
        f"  curl -s '{stack.functions['buckets'].url}'",
        f"  curl -s{token} '{stack.functions['watchlist'].url}' --json '{{\"symbol\": \"IBM\"}}'",
        f"  curl -s '{fetch}?symbol=IBM'",
        f'  curl -s \'{predict}\' --json \'{{"symbol": "IBM", "model": "auto"}}\'',
        f"  curl -s '{chart}?symbol=IBM&width=640&height=320' > /tmp/ibm.png",
        f"  curl -s{token} '{stack.functions['alerts'].url}' --json "
        '\'{"symbol": "IBM", "kind": "move", "percent": 3}\'',
        f"  make tick    # fire the PingSource now (mesh at {mesh.url})",
        "Ctrl-C stops everything.",
        "State changes (POST to buckets, watchlist, ui, alerts) need Authorization: Bearer "
        "$STOCKS_API_TOKEN."
        if api_token_header()
        else "STOCKS_API_TOKEN is not set: state changes (POST to buckets, watchlist, ui, alerts) "
        "are open to anyone who reaches these ports. Local use only: the cluster requires it.",
    ]
    return "\n".join(lines)


def api_token_header() -> dict[str, str]:
    """The Authorization header state changes need, when STOCKS_API_TOKEN is set."""
    token = os.environ.get("STOCKS_API_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def _seed_alert_rule(stack: LocalStack) -> None:
    try:
        made = stack.seed_alert_rule()
    except requests.RequestException as error:
        print(f"Could not seed the demo alert rule: {error}", flush=True)
        return
    if made:
        print(f"Alert rule seeded: {made['message']} See {stack.inbox}", flush=True)


def main() -> None:
    stack = LocalStack(chaos=Chaos.from_env(os.environ))
    logs = stack.data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # the mesh's and the runner's lines go to a file: the terminal keeps the page's address
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", filename=logs / "stack.log"
    )
    page = f"http://127.0.0.1:{stack.plan_ports()['ui']}/"
    print(f"Stocks Manager: starting; the page will be at {page}", flush=True)
    print(f"Logs (each function, the mesh): {logs}/", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        stack.start()
        symbols = stack.seed_watchlist()
        stack.tick()
        print(banner(stack, symbols), flush=True)
        print(f"\nReady: open {page} in a browser.", flush=True)
        threading.Thread(target=_seed_alert_rule, args=(stack,), daemon=True).start()
        stopping.wait()
        print("\nStopping ...", flush=True)
    finally:
        stack.stop()
    print("Stopped; the data stays in .stocks/ for the next `make run`.")


if __name__ == "__main__":
    main()
