"""Cold start: process start to the first 200 of fetch (demo), beside a bare parliament function."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from devstack.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
BARE_FUNC = 'def main(context):\n    return "ok"\n'
BARE_SERVER = (
    "import sys\nfrom parliament import server\nfrom waitress import serve\n"
    "serve(server.create(server.load(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]))\n"
)


def _first_200(command: list[str], url: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if requests.get(url, timeout=30).status_code == 200:
                    return time.perf_counter() - started
            except requests.ConnectionError:
                time.sleep(0.005)
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited early")
    finally:
        process.terminate()
        process.wait()


def run(url: str) -> list[dict]:
    """Best of REPEATS cold starts of each, measured alternately in one run."""
    bare_dir = Path(tempfile.mkdtemp())
    (bare_dir / "func.py").write_text(BARE_FUNC)
    (bare_dir / "serve.py").write_text(BARE_SERVER)
    env = {
        **os.environ,
        "INFLUX_URL": url,
        "STOCKS_PROVIDER": "demo",
        "STOCKS_FUNCTION": "fetch",
        "STOCKS_META_BUCKET": "bench_cold",
        "HOST": "127.0.0.1",
    }
    bare, fetch = [], []
    for attempt in range(REPEATS):
        port = free_port()
        bare.append(
            _first_200(
                [sys.executable, str(bare_dir / "serve.py"), str(bare_dir), str(port)],
                f"http://127.0.0.1:{port}/",
                env,
            )
        )
        port = free_port()
        fetch.append(
            _first_200(
                [sys.executable, "-m", "shared.runtime.server"],
                f"http://127.0.0.1:{port}/?symbol=COLD{attempt}&bucket=bench_cold",
                {**env, "PORT": str(port)},
            )
        )
    ratio = min(fetch) / min(bare)
    return [
        {
            "benchmark": "cold start",
            "measure": "bare parliament function, start to first 200",
            "value": min(bare),
            "unit": "s",
            "ratio": 1.0,
        },
        {
            "benchmark": "cold start",
            "measure": "fetch (demo, 10 years of daily bars), start to first 200",
            "value": min(fetch),
            "unit": "s",
            "ratio": ratio,
            "goal": "<= 1.5x bare",
            "met": ratio <= 1.5,
        },
    ]
