"""Every line a function writes is one JSON object: its calls', and its libraries' own.

waitress warns when requests wait for a thread ("Task queue depth is N"); that line used to be
plain text beside the JSON ones, breaking whoever reads the logs as JSON lines.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.fakes.alphavantage import API_KEY

THREADS = 8  # waitress's, in shared/runtime/server.py


def test_a_burst_that_queues_requests_logs_only_json_lines(serve, alphavantage, bucket):
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", delay=1.0)
    fetch = serve(
        "fetch",
        STOCKS_PROVIDER="alphavantage",
        ALPHAVANTAGE_API_KEY=API_KEY,
        ALPHAVANTAGE_URL=alphavantage.url,
    )
    calls = [{"symbol": f"S{n}", "bucket": bucket} for n in range(3 * THREADS)]
    with ThreadPoolExecutor(len(calls)) as burst:
        list(burst.map(lambda fields: requests.post(fetch.url, json=fields, timeout=120), calls))
    fetch.stop()
    lines = fetch.log_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # any plain line fails here
    assert all(isinstance(e, dict) and e["function"] == "fetch" for e in entries), lines[:5]
    library = [e for e in entries if "logger" in e]
    assert any(e["logger"] == "waitress.queue" for e in library), lines[:5]
    assert all({"level", "message"} <= set(e) for e in library)
    calls_logged = [e for e in entries if "status" in e]
    assert len(calls_logged) == len(calls) and all("seconds" in e for e in calls_logged)
