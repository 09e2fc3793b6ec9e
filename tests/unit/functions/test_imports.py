"""Each function imports only what it uses: what loading its module brings in, in a fresh process.

Start-up cost is an import's cost (docs/benchmarks.md, cold start): pandas about 0.25 s,
influxdb-client 0.15 s, requests 0.05 s, matplotlib and Prophet more; chart alone draws, predict
fits Prophet only when asked to, and only the functions that call out over HTTP load requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.contract.config import FUNCTIONS

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("pandas", "matplotlib", "prophet", "cmdstanpy", "influxdb_client", "requests")
EXPECTED = {
    "buckets": set(),  # listings and bucket creation: JSON over the storage's own connection
    "fetch": {"pandas"},  # requests with its provider, if that one calls out (below)
    "predict": {"pandas"},  # Prophet is imported when a Prophet model is fitted
    "watchlist": set(),  # JSON reads, one-point writes, sessions a date at a time; requests
    # with the session of its first tick's fan-out
    "chart": {"pandas", "matplotlib"},  # loaded at start, so no request pays for it
    "deadletters": set(),  # one point a letter, as line protocol (shared.influx.one_point)
    "ui": {"pandas"},  # the providers' limits and listings, never a provider
    "alerts": {"pandas"},  # requests with the session of its first fired alert
    "notifier": {"requests"},  # posts webhooks; its reads and records are JSON and one line
}


def loaded_by(function: str) -> set[str]:
    check = (
        f"import sys, json, functions.{function}; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def test_every_function_is_listed():
    assert set(EXPECTED) == set(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_a_function_loads_only_the_heavy_packages_it_uses(function):
    assert loaded_by(function) == EXPECTED[function]


@pytest.mark.parametrize(
    ("provider", "env", "loads_requests"),
    [
        ("demo", {}, False),
        ("alphavantage", {"ALPHAVANTAGE_API_KEY": "k"}, True),
        ("tiingo", {"TIINGO_API_KEY": "k"}, True),
    ],
)
def test_only_a_provider_that_calls_out_loads_requests(provider, env, loads_requests):
    check = (
        "import sys; from shared.contract.config import Settings; "
        "from shared.market.providers import provider_for; "
        f"provider_for(Settings.from_env({{'STOCKS_PROVIDER': {provider!r}, **{env!r}}}).provider)"
        "; print('requests' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(loads_requests)
