"""chart as a real process: PNGs of the asked size, memory bounded and released, titles."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import yaml

from shared.charting.render import MAX_SIZE
from shared.contract.schema import FORECAST, PRICES
from shared.store import forecasts
from shared.usecases.chart import current_forecast, title

ROOT = Path(__file__).resolve().parents[3]


def seed(storage, bucket: str) -> None:
    days = pd.DatetimeIndex(pd.bdate_range("2026-09-01", periods=60, tz="UTC"), name="time")
    close = [100 + i * 0.5 for i in range(60)]
    storage.write(
        bucket,
        pd.DataFrame(
            {
                "symbol": "IBM",
                "interval": "daily",
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": 10,
            },
            index=days,
        ),
        PRICES,
    )
    future = pd.DatetimeIndex(
        pd.bdate_range(days[-1] + pd.Timedelta("1D"), periods=10, tz="UTC"), name="time"
    )
    storage.write(
        bucket,
        pd.DataFrame(
            {
                "symbol": "IBM",
                "interval": "daily",
                "field": "close",
                "model": "drift",
                "yhat": 131.0,
                "yhat_lower": 128.0,
                "yhat_upper": 134.0,
            },
            index=future,
        ),
        FORECAST,
    )


def test_png_of_the_asked_size(serve, storage, bucket):
    seed(storage, bucket)
    chart = serve("chart")
    response = requests.get(
        chart.url,
        params={"symbol": "ibm", "bucket": bucket, "target": bucket, "width": 640, "height": 320},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    png = response.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (640, 320)


def test_unknown_symbol_is_422_and_bad_size_is_400(serve, storage, bucket):
    chart = serve("chart")
    unknown = requests.get(chart.url, params={"symbol": "NOPE", "bucket": bucket}, timeout=60)
    assert unknown.status_code == 422
    assert "NOPE" in unknown.json()["error"]
    too_big = requests.get(
        chart.url, params={"symbol": "IBM", "bucket": bucket, "width": 99999}, timeout=60
    )
    assert too_big.status_code == 400


def status_mib(pid: int) -> dict[str, int]:
    """The process's resident set now (VmRSS) and at its peak (VmHWM), in MiB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM")}


def chart_env_from_the_manifest() -> dict[str, str]:
    """The plain (non-secret) values knative/functions.yaml gives the chart Service's container
    beyond the contract's variables: the process runs as the pod would."""
    documents = yaml.safe_load_all((ROOT / "knative" / "functions.yaml").read_text())
    (chart,) = [d for d in documents if d and d["metadata"]["name"] == "chart"]
    (container,) = chart["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"] if e["name"].startswith("MALLOC_")}


@pytest.mark.parametrize("size", [MAX_SIZE, (2048, 2048)])
def test_memory_per_request_is_bounded_and_released(serve, storage, bucket, size):
    """Rounds of 4 requests at once (the Service's containerConcurrency) for charts of 5,000
    points: a 4096x4096 canvas is 64 MiB. The peak stays far under the pod's 768 MiB limit, and
    the resident set does not grow from round to round (it grew 65 MiB a request). 2048x2048
    canvases (16 MiB) stayed in glibc's heap without the manifest's MALLOC_MMAP_THRESHOLD_."""
    days = pd.DatetimeIndex(pd.bdate_range("2000-01-03", periods=5000, tz="UTC"), name="time")
    close = 100 + np.cumsum(np.random.default_rng(5).normal(0, 1, len(days)))
    storage.write(
        bucket,
        pd.DataFrame(
            {"symbol": "IBM", "interval": "daily", "open": close, "high": close,
             "low": close, "close": close, "volume": 10},
            index=days,
        ),
        PRICES,
    )  # fmt: skip
    chart = serve("chart", **chart_env_from_the_manifest())
    params = {"symbol": "IBM", "bucket": bucket, "target": bucket, "points": 5000}
    assert requests.get(chart.url, params=params, timeout=60).status_code == 200
    largest = {**params, "width": size[0], "height": size[1]}
    resident = []
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            answers = list(
                pool.map(lambda _: requests.get(chart.url, params=largest, timeout=300), range(4))
            )
            assert [a.status_code for a in answers] == [200] * 4
            resident.append(status_mib(chart.process.pid)["VmRSS"])
    assert resident[-1] - resident[0] < 32, resident
    assert status_mib(chart.process.pid)["VmHWM"] < 512


def test_intraday_chart_on_trading_time(serve, storage, bucket):
    sessions = pd.bdate_range("2026-07-06", periods=3)
    times = pd.DatetimeIndex(
        [
            t
            for day in sessions
            for t in pd.date_range(day + pd.Timedelta("13:30:00"), periods=78, freq="5min")
        ],
        tz="UTC",
        name="time",
    )
    close = np.linspace(100, 110, len(times))
    storage.write(
        bucket,
        pd.DataFrame(
            {"symbol": "IBM", "interval": "5min", "open": close, "high": close,
             "low": close, "close": close, "volume": 10},
            index=times,
        ),
        PRICES,
    )  # fmt: skip
    chart = serve("chart")
    response = requests.get(
        chart.url, params={"symbol": "IBM", "bucket": bucket, "interval": "5min"}, timeout=60
    )
    assert response.status_code == 200 and response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_title_names_the_newest_runs_model_and_its_skill(storage, bucket):
    """Two models stored (a replacement under way): the chart shows the newer run's, and that
    run's error relative to naive's."""
    seed(storage, bucket)  # drift, with no run recorded
    naive = pd.DataFrame(
        {"symbol": "IBM", "interval": "daily", "field": "close", "model": "naive",
         "yhat": 129.5, "yhat_lower": 125.0, "yhat_upper": 134.0},
        index=pd.DatetimeIndex(pd.bdate_range("2026-11-24", periods=10, tz="UTC"), name="time"),
    )  # fmt: skip
    run = forecasts.Run(horizon=10, train_points=60, fit_seconds=0.01, metrics={"rel_naive": 1.0})
    forecasts.replace(storage, bucket, naive, run)
    seed(storage, bucket)  # drift's points back, as an older run still writing would leave them

    forecast, model, rel_naive = current_forecast(storage, bucket, "IBM", "daily")

    assert model == "naive" and rel_naive == 1.0
    assert set(forecast["model"]) == {"naive"}
    assert title("IBM", "daily", model, rel_naive) == (
        "IBM daily (UTC), naive forecast (error 1.00x naive's)"
    )
