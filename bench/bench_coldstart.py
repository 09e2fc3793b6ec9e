"""Cold start: process start to readiness, and to the first answer, of every function.

Each function is started as the image starts it (`python -m shared.runtime.server`), as Knative
does: its readiness probe is polled until it answers 200, then the first request is sent, as the
activator forwards the request that woke it. Beside it, a bare parliament function that imports
nothing, started the same way, and the libraries' floor: bare functions that import only pandas,
and pandas and matplotlib's Agg canvas (what predict and chart need before any code of ours).
The starts are interleaved (the bare ones, then every function, REPEATS times) so that drift in
a loaded machine hits them all, and each figure is the median.

First requests: fetch a tick's incremental fetch (one new bar of a symbol holding the rest);
predict its first forecast of five years of daily bars per model; buckets and watchlist their
listings; chart a PNG of that series; ui its watchlist view; deadletters one dead-lettered event;
notifier a new alert delivered to a local webhook (its record looked up, posted, recorded);
alerts a bar of that series arriving (`fetched`), judged by a price and a move rule that do not
fire (the rules, the newest bars and the actions read).
A first fetch of a symbol (every demo bar written) is a further row.

Bytecode: the rows above start with every module's bytecode current (the project's is compiled
first, whatever PYTHONDONTWRITEBYTECODE says), as a container restarted in its pod has it. Two
further rows start fetch as a new pod does: from a bytecode cache (PYTHONPYCACHEPREFIX) holding
what the image func.yaml builds holds (see its comment): the installed libraries' bytecode, and
the standard library's modules that pip's own process loads while it installs them; the rest of
the standard library and the project are compiled at every start. And with every module
compiled at start (an empty cache: what Paketo's CPython buildpack gives each pod by default).
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from bench.scratch import scratch_dir
from devstack.ports import free_port
from devstack.webhook import Inbox, handler_for
from shared.alerting.rules import Rule
from shared.contract.config import FUNCTIONS, InfluxSettings
from shared.contract.events import ALERT_FIRED, FETCHED
from shared.contract.schema import DAILY
from shared.influx.client import InfluxClient
from shared.market.providers.demo import DemoProvider
from shared.store import alert_rules, prices

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 7
BARE_FUNC = 'def main(context):\n    return "ok"\n'
FLOORS = {
    "bare": "",
    "bare pandas": "import pandas\n",
    "bare pandas matplotlib": "import pandas\nimport matplotlib.backends.backend_agg\n",
}
"""Bare parliament functions and what each imports before `main`: the least a function needing
those libraries can start in."""
BARE_SERVER = (
    "import sys\nfrom parliament import server\nfrom waitress import serve\n"
    "serve(server.create(server.load(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]))\n"
)
BUCKET = "bench_cold"
SERIES = "DEMO999"  # five years of daily bars, forecast by predict and drawn by chart
GOAL = 2.5
PROPHET_GOAL_SECONDS = 1.2
PROJECT = ("shared", "functions", "func.py")
"""What the image's process imports from the project (the rest of the tree is not in its path)."""
UNCOMPILED = {
    "fetch image": "fetch: first answer (a tick's fetch, one new bar), a new pod of the image: "
    "the libraries' bytecode and what pip's run leaves",
    "fetch all compiled": "fetch: first answer (a tick's fetch, one new bar), every module "
    "compiled at start",
}
"""Further cases of a tick's fetch, started as a new pod of the image (`_image_bytecode`), and
with no bytecode (a fresh, empty PYTHONPYCACHEPREFIX), and their rows."""
TICK_SYMBOLS = {"fetch": 800, "fetch image": 850, "fetch all compiled": 900}
"""The first demo symbol of each case measured by a tick's fetch: one symbol per repetition,
seeded with every bar but its newest, so that each case's first answer writes one new bar."""
FIRST_FETCH_SYMBOLS = 950
"""The first of the symbols fetched for the first time (nothing seeded), one per repetition."""
Request = Callable[[str, int], requests.Response]  # (base URL, repetition) -> the answer


def _started(
    command: list[str], env: dict[str, str], url: str, first: Request, rep: int
) -> tuple[float, float]:
    """Seconds from the process's start to readiness and to its first answer."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if requests.get(f"{url}health/readiness", timeout=60).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.005)
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited early")
        ready = time.perf_counter() - started
        answer = first(url, rep)
        if answer.status_code != 200:
            raise RuntimeError(f"{command}: first answer {answer.status_code} {answer.text[:200]}")
        return ready, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait()


def _readiness(url: str, rep: int) -> requests.Response:
    """The readiness probe: the first answer of a function measured by its readiness alone."""
    return requests.get(f"{url}health/readiness", timeout=60)


def _requests() -> dict[str, Request]:
    """The first request of each measured start, by name (a function, or a function and case)."""

    def get(query: str) -> Request:
        return lambda url, rep: requests.get(url + query, timeout=120)

    def tick_fetch(case: str) -> Request:
        return lambda url, rep: requests.get(
            f"{url}?symbol={_tick_symbol(case, rep)}&bucket={BUCKET}", timeout=120
        )

    def predict(model: str) -> Request:
        fields = {"symbol": SERIES, "bucket": BUCKET, "target": BUCKET, "model": model}
        return lambda url, rep: requests.post(url, json={**fields, "horizon": 30}, timeout=120)

    def dead_letter(url: str, rep: int) -> requests.Response:
        event = CloudEvent({"type": "bench.dead", "source": "bench"}, {"rep": rep})
        headers, body = to_binary(event)
        return requests.post(url, data=body, headers=headers, timeout=120)

    def alert(url: str, rep: int) -> requests.Response:
        """A new alert each time, so each is delivered to the webhook and recorded."""
        data = {
            "alert": f"bench-{rep}",
            "rule": "rbench",
            "symbol": SERIES,
            "at": f"2026-01-{rep + 1:02d}T00:00:00Z",
            "message": f"{SERIES} closed above 1",
        }
        event = CloudEvent({"type": ALERT_FIRED, "source": "bench", "id": f"bench-{rep}"}, data)
        headers, body = to_binary(event)
        return requests.post(url, data=body, headers=headers, timeout=120)

    def bar_arrived(url: str, rep: int) -> requests.Response:
        data = {"symbol": SERIES, "interval": DAILY, "bucket": BUCKET}
        event = CloudEvent({"type": FETCHED, "source": "bench", "id": f"bar-{rep}"}, data)
        headers, body = to_binary(event)
        return requests.post(url, data=body, headers=headers, timeout=120)

    return {
        **{name: get("") for name in FLOORS},
        "fetch": tick_fetch("fetch"),
        "predict naive": predict("naive"),
        "predict auto": predict("auto"),
        "buckets": get(""),
        "watchlist": get(""),
        "chart": get(f"?symbol={SERIES}&bucket={BUCKET}&target={BUCKET}"),
        "ui": get("?view=watchlist"),
        "deadletters": dead_letter,
        "notifier": alert,
        "alerts": bar_arrived,
        "fetch first": lambda url, rep: requests.get(
            f"{url}?symbol=DEMO{FIRST_FETCH_SYMBOLS + rep}&bucket={BUCKET}", timeout=120
        ),
        "predict prophet": predict("prophet"),
        **{case: tick_fetch(case) for case in UNCOMPILED},
    }


def _tick_symbol(case: str, rep: int) -> str:
    return f"DEMO{TICK_SYMBOLS[case] + rep}"


def _seed(url: str) -> None:
    """Five years of SERIES and two price rules on it; every bar but the newest of each tick
    case's symbol of each repetition."""
    client = InfluxClient(InfluxSettings(url=url))
    provider = DemoProvider()
    bars = provider.bars(SERIES, DAILY).iloc[-1260:]
    prices.write_bars(client, BUCKET, SERIES, DAILY, bars)
    prices.refresh_adjusted(client, BUCKET, SERIES, DAILY, None)
    for number, kind, threshold in ((1, "above", 1e9), (2, "move", 99.0)):  # judged, never fired
        rule = Rule(f"r{number:012x}", SERIES, DAILY, kind, threshold, since="2000-01-03T00:00:00Z")
        alert_rules.save(client, BUCKET, rule)
    for case in TICK_SYMBOLS:
        for rep in range(REPEATS):
            symbol = _tick_symbol(case, rep)
            bars = provider.bars(symbol, DAILY).iloc[:-1]
            prices.write_bars(client, BUCKET, symbol, DAILY, bars)
            prices.refresh_adjusted(client, BUCKET, symbol, DAILY, None)


def run(url: str) -> list[dict]:
    """The median of REPEATS interleaved cold starts of each, as rows."""
    with scratch_dir("bench-bare-") as bare_dir:
        return _rows(_measure(url, bare_dir))


@contextmanager
def _webhook(log: Path) -> Iterator[str]:
    """The local webhook receiver `make run` has (`devstack.webhook`), in this process, for the
    notifier's first deliveries; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(Inbox(log, None)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


def _measure(url: str, bare_dir: Path) -> dict[str, tuple[float, float]]:
    with _webhook(bare_dir / "webhook.jsonl") as webhook:
        return _measure_with(url, bare_dir, webhook)


def _measure_with(url: str, bare_dir: Path, webhook: str) -> dict[str, tuple[float, float]]:
    for part in PROJECT[:-1]:  # current bytecode for the rows that start with it
        compileall.compile_dir(ROOT / part, quiet=1)
    compileall.compile_file(ROOT / PROJECT[-1], quiet=1)
    (bare_dir / "serve.py").write_text(BARE_SERVER)
    for name, imports in FLOORS.items():
        _floor_dir(bare_dir, name).mkdir()
        (_floor_dir(bare_dir, name) / "func.py").write_text(imports + BARE_FUNC)
    env = {
        **os.environ,
        "INFLUX_URL": url,
        "STOCKS_PROVIDER": "demo",
        "STOCKS_META_BUCKET": BUCKET,
        "STOCKS_ALERT_WEBHOOK_URL": webhook,
        "HOST": "127.0.0.1",
    }
    _seed(url)
    image_cache = _image_bytecode(bare_dir / "image-pycache", env)
    first = _requests()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in first}
    unknown = [name for name in FUNCTIONS if not any(k.split()[0] == name for k in first)]
    times |= {name: [] for name in unknown}
    for rep in range(REPEATS):
        for name in times:
            port = free_port()
            base = f"http://127.0.0.1:{port}/"
            if name in FLOORS:
                function_dir = _floor_dir(bare_dir, name)
                command = [sys.executable, str(bare_dir / "serve.py"), str(function_dir), str(port)]
                function_env = env
            else:
                command = [sys.executable, "-m", "shared.runtime.server"]
                function_env = {**env, "STOCKS_FUNCTION": name.split()[0], "PORT": str(port)}
            if name == "fetch image":  # the libraries' bytecode; the rest, never written, compiled
                function_env |= {"PYTHONPYCACHEPREFIX": str(image_cache)}
                function_env |= {"PYTHONDONTWRITEBYTECODE": "1"}
            elif name == "fetch all compiled":  # a new pod's empty cache each time
                function_env |= {"PYTHONPYCACHEPREFIX": str(bare_dir / f"pycache-{rep}")}
            request = first.get(name, _readiness)
            times[name].append(_started(command, function_env, base, request, rep))
    return {
        name: (statistics.median(t[0] for t in taken), statistics.median(t[1] for t in taken))
        for name, taken in times.items()
    }


def _image_bytecode(cache: Path, env: dict[str, str]) -> Path:
    """A bytecode cache (a PYTHONPYCACHEPREFIX tree) holding what the image's holds; `cache`.

    The image's is written at build by the pip-install buildpack's `pip install --compile`: the
    installed libraries' bytecode, and that of the standard library's modules pip's own process
    loads. One start of fetch fills the cache; all but site-packages' share is removed; then pip
    installs a one-module wheel with the same cache.
    """
    port = free_port()
    command = [sys.executable, "-m", "shared.runtime.server"]
    writing = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    writing |= {"PYTHONPYCACHEPREFIX": str(cache)}
    start_env = writing | {"STOCKS_FUNCTION": "fetch", "PORT": str(port)}
    _started(command, start_env, f"http://127.0.0.1:{port}/", _readiness, 0)
    libraries = {
        Path(sysconfig.get_paths()[kind]).relative_to("/") for kind in ("purelib", "platlib")
    }
    for compiled in cache.rglob("*.pyc"):
        if not any(compiled.relative_to(cache).is_relative_to(path) for path in libraries):
            compiled.unlink()
    wheel = _one_module_wheel(cache.parent)
    install = ["install", "--compile", "--no-deps", "--no-index", "--disable-pip-version-check"]
    target = ["--target", str(cache.parent / "pip-target")]
    pip = [sys.executable, "-m", "pip", *install, *target, str(wheel)]
    subprocess.run(pip, env=writing, check=True, capture_output=True)
    return cache


def _one_module_wheel(into: Path) -> Path:
    """A wheel of one module, for pip to install; its path."""
    wheel = into / "benchprobe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("benchprobe.py", "VALUE = 1\n")
        info = "benchprobe-1.0.dist-info"
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: benchprobe\nVersion: 1.0\n"
        )
        archive.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{info}/RECORD", "")
    return wheel


def _floor_dir(bare_dir: Path, name: str) -> Path:
    """Where the bare function `name` of FLOORS lives: its func.py, served by serve.py."""
    return bare_dir / name.replace(" ", "-")


def _rows(medians: dict[str, tuple[float, float]]) -> list[dict]:
    bare_ready, bare_first = medians.pop("bare")
    floors = {name: medians.pop(name) for name in FLOORS if name != "bare"}
    rows = [
        {
            "benchmark": "cold start",
            "measure": "bare parliament function: readiness",
            "value": bare_ready,
            "unit": "s",
            "ratio": 1.0,
        },
        {
            "benchmark": "cold start",
            "measure": "bare parliament function: first answer",
            "value": bare_first,
            "unit": "s",
            "ratio": 1.0,
        },
    ]
    for name, (ready, first) in floors.items():
        libraries = " and ".join(name.split()[1:])
        for what, value, bare in (
            ("readiness", ready, bare_ready),
            ("first answer", first, bare_first),
        ):
            rows.append(
                _row(f"bare function importing {libraries}: {what}", value, bare)
                | {"goal": "", "met": None}
            )
    for function in FUNCTIONS:  # readiness: of the function's first case measured
        case = next(name for name in medians if name.split()[0] == function)
        rows.append(_row(f"{function}: readiness", medians[case][0], bare_ready))
    answers = set(_requests())
    for name, (_, first) in medians.items():
        if name not in answers:
            continue  # its first answer was its readiness
        what = {
            "fetch": "fetch: first answer (a tick's fetch, one new bar)",
            "fetch first": "fetch: first answer (a symbol's first fetch, every demo bar written)",
            "predict naive": "predict: first forecast, naive, 5 years of daily bars",
            "predict auto": "predict: first forecast, auto, 5 years of daily bars",
            "predict prophet": "predict: first forecast, prophet, 5 years of daily bars",
            **UNCOMPILED,
        }.get(name, f"{name}: first answer")
        row = _row(what, first, bare_first)
        if name == "predict prophet":
            row |= {"goal": f"<= {PROPHET_GOAL_SECONDS} s", "met": first <= PROPHET_GOAL_SECONDS}
        elif name == "fetch first" or name in UNCOMPILED:
            row |= {"goal": "", "met": None}
        rows.append(row)
    return rows


def _row(measure: str, value: float, bare: float) -> dict:
    ratio = value / bare
    return {
        "benchmark": "cold start",
        "measure": measure,
        "value": value,
        "unit": "s",
        "ratio": ratio,
        "goal": f"<= {GOAL}x bare",
        "met": ratio <= GOAL,
    }


if __name__ == "__main__":  # a quick look without the rest of `make bench`
    from bench.scratch import scratch_influxd

    if len(sys.argv) > 1:
        REPEATS = int(sys.argv[1])
    with scratch_influxd() as server:
        print(pd.DataFrame(run(server.url)).to_string())
