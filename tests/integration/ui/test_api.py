"""The ui function's JSON views and changes, as a real process on a real influxd.

Each view reads what the other functions store; changes go through the same watchlist use case as
the watchlist function; every failure is the contract's JSON error with a 4xx, and writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import requests

from devstack.functions import FunctionProcess
from devstack.influxd import InfluxServer
from shared.contract.events import FETCH_REQUESTED
from shared.contract.schema import (
    DEAD_LETTERS,
    FORECAST,
    FORECAST_RUNS,
    PRICES,
    PRICES_ADJUSTED,
    RUNS,
)
from shared.influx.client import InfluxClient
from shared.store import ledger
from tests.support.fakes.alphavantage import API_KEY
from tests.support.receiver import EventReceiver
from tests.support.stack import wait_for

NOW = pd.Timestamp.now(tz="UTC").floor("s")
DAYS = pd.date_range(end=NOW.normalize(), periods=260, freq="D")


RISK = {
    "volatility": 0.25,
    "volatility_percentile": 40.0,
    "drawdown": -0.125,
    "high_52w": 359.0,
    "low_52w": 107.0,
    "from_high": 0.0,
    "from_low": 252 / 107,
}
"""Risk figures as predict stores them with its run (here made up; shared/market/risk.py's
tests check how they are computed)."""


def frame(times, **columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.DatetimeIndex(times, name="time"))


@pytest.fixture
def seeded(storage: InfluxClient, bucket: str) -> str:
    """KO daily (260 days rising by 1 a day) with a forecast and its run, fetch runs, a failed
    run and a dead letter; the forecasts go to a bucket of their own, dropped afterwards."""
    storage.execute(None, 'DROP DATABASE "forecasts"')  # the ui reads the default target only
    storage.create_bucket("forecasts")
    close = [100.0 + i for i in range(len(DAYS))]
    bars = frame(DAYS, symbol="KO", interval="daily", close=close, volume=1_000)
    bars = bars.assign(open=bars["close"], high=bars["close"] + 1, low=bars["close"] - 1)
    storage.write(bucket, bars, PRICES)
    storage.write(bucket, bars, PRICES_ADJUSTED)  # no corporate actions: the same bars
    ahead = pd.date_range(NOW.normalize() + pd.Timedelta(days=1), periods=5, freq="D")
    band = frame(ahead, symbol="KO", interval="daily", field="close", model="drift")
    band = band.assign(yhat=[360.0, 361.0, 362.0, 363.0, 364.0], yhat_lower=350.0, yhat_upper=370.0)
    storage.write("forecasts", band, FORECAST)
    run = frame(
        [NOW],
        symbol="KO",
        interval="daily",
        field="close",
        model="drift",
        horizon=5,
        train_points=260,
    )
    metrics = {"fit_seconds": 0.01, "mape": 0.01, "mase": 0.5, "rel_naive": 0.75}
    run = run.assign(**metrics, rel_drift=1.0, coverage=0.8, interval_width=0.9, **RISK)
    storage.write("forecasts", run, FORECAST_RUNS)
    runs = frame(
        [NOW - pd.Timedelta(hours=2), NOW - pd.Timedelta(hours=1), NOW - pd.Timedelta(minutes=5)],
        function=["fetch", "fetch", "predict"],
        status=["ok", "429", "422"],
        interval="daily",
        symbol=["KO", "KO", "ZZZ"],
        points=[260, 0, 0],
        seconds=[0.2, 0.1, 0.1],
        error=["", "Rate limited; retry later.", "No prices for ZZZ."],
    )
    storage.write(bucket, runs, RUNS, precision="ms")
    letter = frame(
        [NOW - pd.Timedelta(minutes=1)],
        type=FETCH_REQUESTED,
        trigger="fetch",
        event_id="e-1",
        subscriber="http://fetch",
        code=400,
        error="The symbol 'X!' is not valid.",
        data=json.dumps({"symbol": "X!"}),
    )
    storage.write(bucket, letter, DEAD_LETTERS, precision="ms")
    yield bucket
    storage.execute(None, 'DROP DATABASE "forecasts"')


@pytest.fixture(scope="module")
def ui_once(influx_server: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ui process for the module's error cases (each would otherwise start its own), on an
    empty meta bucket of its own; its URL."""
    meta = f"ui_errors_{uuid.uuid4().hex[:8]}"
    logs = tmp_path_factory.mktemp("ui-errors")
    env = {"INFLUX_URL": influx_server.url, "STOCKS_META_BUCKET": meta, "STOCKS_PROVIDER": "demo"}
    process = FunctionProcess("ui", env, log_path=logs / "ui.log").start()
    yield process.url
    process.stop()


def view(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def change(url: str, **fields: object) -> requests.Response:
    return requests.post(url, json=fields, timeout=30)


def test_the_page_and_its_files_are_served(serve):
    ui = serve("ui")
    page = requests.get(ui.url, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<h1>Stocks Manager</h1>" in page.text
    script = view(ui.url, asset="vendor/uplot/uPlot.iife.min.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert b"uPlot" in script.content


def test_every_answer_of_the_ui_forbids_framing_sniffing_and_other_sources(serve):
    """The page, its files, its views, its errors, and what Flask and waitress answer alone."""
    ui = serve("ui")
    answers = [
        requests.get(ui.url, timeout=30),
        view(ui.url, asset="app.js"),
        view(ui.url, view="watchlist"),
        view(ui.url, view="nope"),
        change(ui.url, action="untrack", symbol="IBM"),
        requests.post(ui.url, data="x", headers={"Content-Type": "text/plain"}, timeout=30),
        requests.get(ui.url + "no/such/path", timeout=30),
        requests.options(ui.url, timeout=30),
        requests.head(ui.url, timeout=30),
        requests.put(ui.url, json={}, timeout=30),
    ]
    assert sorted({a.status_code for a in answers}) == [200, 204, 400, 404, 405, 415, 422]
    for answer in answers:
        policy = answer.headers.get("Content-Security-Policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";")}
        assert directives.get("default-src") == "default-src 'self'", (answer.url, policy)
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
        assert "script-src" not in directives and "unsafe-inline" not in policy
        assert answer.headers.get("X-Frame-Options") == "DENY"
        assert answer.headers.get("X-Content-Type-Options") == "nosniff"
        assert answer.headers.get("Referrer-Policy") == "no-referrer"


def test_the_watchlist_view_has_every_figure(serve, seeded):
    ui = serve("ui")
    tracked = change(ui.url, action="track", symbol="KO", bucket=seeded, model="drift")
    assert tracked.status_code == 200
    answer = view(ui.url, view="watchlist").json()
    assert (answer["provider"], answer["demo"], answer["token_required"]) == ("demo", True, False)
    assert set(answer["explanations"]) >= {"volatility", "drawdown", "range"}
    (row,) = answer["watchlist"]
    last = 100.0 + len(DAYS) - 1
    assert row["symbol"] == "KO" and row["interval"] == "daily" and row["model"] == "drift"
    assert row["name"] == "The Coca-Cola Company"
    assert (row["exchange"], row["timezone"]) == ("XNYS", "America/New_York")
    assert row["close"] == last and row["change"] == 1.0
    assert row["change_pct"] == round((last / (last - 1) - 1) * 100, 6)
    assert row["day"] == DAYS[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["spark"] == [last - 59 + i for i in range(60)]  # the last 60 sessions
    assert row["sma50"] == last - 24.5 and row["trend50"] == "above"
    assert row["sma200"] == last - 99.5 and row["trend200"] == "above"
    forecast = row["forecast"]
    assert (forecast["skill"], forecast["direction"]) == ("better", "up")  # 0.75 of naive's error
    assert forecast["end"] == 364.0
    assert forecast["range"] == {
        "lower": 350.0,
        "upper": 370.0,
        "lower_pct": round((350 / last - 1) * 100, 6),
        "upper_pct": round((370 / last - 1) * 100, 6),
        "time": (NOW.normalize() + pd.Timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "width": 0.9,  # as the run says
    }
    assert (forecast["model"], forecast["rel_naive"]) == ("drift", 0.75)
    assert row["risk"] == pytest.approx(RISK)
    assert row["fetch"]["status"] == "429"  # the latest fetch of KO
    assert row["fetch"]["error"] == "Rate limited; retry later."
    failing = pd.Timestamp(row["fetch"]["failing_since"])
    assert failing == (NOW - pd.Timedelta(hours=1)).floor("ms")  # the 429 after the last ok


def test_an_entry_without_data_leaves_only_its_own_cells_empty(serve, seeded):
    """An entry whose bucket does not exist yet, and one with no bars yet, beside one with data:
    the view answers, that one's row is whole, theirs are empty."""
    ui = serve("ui")
    tracked = [
        {"symbol": "KO", "bucket": seeded, "model": "drift"},
        {"symbol": "MSFT", "bucket": f"{seeded}_later"},
        {"symbol": "AAPL", "bucket": seeded},
    ]
    for fields in tracked:
        assert change(ui.url, action="track", **fields).status_code == 200
    answer = view(ui.url, view="watchlist")
    assert answer.status_code == 200, answer.text
    rows = {row["symbol"]: row for row in answer.json()["watchlist"]}
    assert rows["KO"]["close"] == 100.0 + len(DAYS) - 1
    assert rows["KO"]["forecast"]["end"] == 364.0
    for empty in ("MSFT", "AAPL"):
        assert rows[empty]["close"] is None and rows[empty]["forecast"] is None


def test_the_symbol_view_has_bars_forecast_and_run(serve, seeded):
    ui = serve("ui")
    data = view(ui.url, view="symbol", symbol="ko", bucket=seeded, points="30").json()
    assert (data["symbol"], data["interval"], data["bucket"]) == ("KO", "daily", seeded)
    assert data["tracked"] is False
    prices = data["prices"]
    assert len(prices["time"]) == 30 and prices["time"] == sorted(prices["time"])
    assert prices["close"][-1] == 100.0 + len(DAYS) - 1
    assert prices["time"][-1] == int(DAYS[-1].timestamp())
    assert data["forecast"]["model"] == "drift"
    assert data["forecast"]["yhat"] == [360.0, 361.0, 362.0, 363.0, 364.0]
    assert min(data["forecast"]["time"]) > max(prices["time"])
    assert data["run"]["model"] == "drift" and data["run"]["rel_naive"] == 0.75
    assert data["figures"]["range"]["upper"] == 370.0 and data["risk"] == pytest.approx(RISK)
    assert (data["name"], data["exchange"], data["demo"]) == ("The Coca-Cola Company", "XNYS", True)


@pytest.mark.parametrize(("span", "bars"), [("1M", 23), ("1Y", 260), ("all", 260)])
def test_the_symbol_view_gives_a_range_of_bars(serve, seeded, span, bars):
    data = view(serve("ui").url, view="symbol", symbol="KO", bucket=seeded, range=span).json()
    times = data["prices"]["time"]
    # DAYS are calendar days: a month of them holds more bars than the 23 sessions read
    assert data["range"] == span and len(times) == bars
    assert times[-1] == int(DAYS[-1].timestamp())


def test_the_correlation_view_pairs_the_tracked_symbols(serve, storage, bucket):
    """DEMO2 moves as twice DEMO1's daily returns (in step: 1), DEMO3 as their opposite (-1)."""
    returns = np.tile([0.01, -0.02, 0.015, -0.005], 30)
    closes = {
        "DEMO1": 100 * np.exp(np.cumsum(returns)),
        "DEMO2": 50 * np.exp(np.cumsum(2 * returns)),
        "DEMO3": 80 * np.exp(np.cumsum(-returns)),
    }
    days = DAYS[-len(returns) :]
    ui = serve("ui")
    for symbol, values in closes.items():
        bars = frame(days, symbol=symbol, interval="daily", close=values, volume=1)
        bars = bars.assign(open=bars["close"], high=bars["close"], low=bars["close"])
        storage.write(bucket, bars, PRICES_ADJUSTED)
        assert change(ui.url, action="track", symbol=symbol, bucket=bucket).status_code == 200
    data = view(ui.url, view="correlation").json()
    assert data["symbols"] == ["DEMO1", "DEMO2", "DEMO3"]
    pairs = [(p["a"], p["b"], p["correlation"]) for p in data["pairs"]]  # most in step first
    assert pairs == [
        ("DEMO1", "DEMO2", pytest.approx(1.0)),
        ("DEMO1", "DEMO3", pytest.approx(-1.0)),
        ("DEMO2", "DEMO3", pytest.approx(-1.0)),
    ]
    assert data["matrix"][0] == pytest.approx([1.0, 1.0, -1.0])


def test_the_pipeline_view_lists_runs_errors_and_dead_letters(serve, seeded):
    pipeline = view(serve("ui").url, view="pipeline").json()
    assert [(r["function"], r["status"]) for r in pipeline["runs"]] == [
        ("predict", "422"),
        ("fetch", "429"),
        ("fetch", "ok"),
    ]
    assert [r["status"] for r in pipeline["errors"]] == ["422", "429"]
    (letter,) = pipeline["dead_letters"]
    assert (letter["type"], letter["code"], letter["event_id"]) == (FETCH_REQUESTED, 400, "e-1")


def test_views_of_an_empty_database_are_empty(serve):
    ui = serve("ui")
    assert view(ui.url, view="watchlist").json()["watchlist"] == []
    pipeline = view(ui.url, view="pipeline").json()
    assert (pipeline["runs"], pipeline["errors"], pipeline["dead_letters"]) == ([], [], [])
    correlation = view(ui.url, view="correlation").json()
    assert (correlation["symbols"], correlation["pairs"]) == ([], [])


def test_tracking_from_the_page_asks_fetch_and_says_what_changed(serve):
    with EventReceiver() as sink:
        ui = serve("ui", K_SINK=sink.url)
        first = change(ui.url, action="track", symbol="ibm", interval="5min").json()
        (event,) = sink.wait_for(1)
        assert event["type"] == FETCH_REQUESTED and event["source"] == "/stocks-manager/ui"
        assert event.data == {
            "symbol": "IBM",
            "interval": "5min",
            "bucket": "stocks",
            "model": "auto",
            "exchange": "XNYS",
            "forecast": True,
        }
        assert first["changed"] is True and first["fetch"]["event_id"] == event["id"]
        again = change(ui.url, action="track", symbol="IBM", interval="5min").json()
        assert again["changed"] is False and again["fetch"] == {}

        refreshed = change(ui.url, action="refresh", symbol="IBM", interval="5min").json()
        assert refreshed["changed"] is False and refreshed["fetch"]["requested"] is True
        assert len(sink.wait_for(2)) == 2

        gone = change(ui.url, action="untrack", symbol="IBM", interval="5min")
        assert gone.status_code == 200 and gone.json()["changed"] is True
        assert view(ui.url, view="watchlist").json()["watchlist"] == []


def test_refresh_when_the_days_budget_is_spent_is_a_429_with_retry_after(serve, storage, bucket):
    spent = ledger.Entry(NOW, "alphavantage", "IBM", "daily", "spent-today")
    ledger.write(storage, bucket, spent, ledger.SPENT, 200)  # today's one request
    with EventReceiver() as sink:
        ui = serve(
            "ui",
            K_SINK=sink.url,
            STOCKS_PROVIDER="alphavantage",
            ALPHAVANTAGE_API_KEY="test-key",
            ALPHAVANTAGE_DAILY_LIMIT="1",
        )
        tracked = change(ui.url, action="track", symbol="IBM").json()
        assert tracked["fetch"]["requested"] is False and "budget" in tracked["fetch"]["reason"]
        refused = change(ui.url, action="refresh", symbol="IBM")
        assert refused.status_code == 429
        assert "budget" in refused.json()["error"]
        assert 0 < int(refused.headers["Retry-After"]) <= 86_400
        assert sink.events == []


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"view": "charts"}, 400, "use one of watchlist, pipeline, correlation, symbol"),
        ({"view": "watchlist", "symbol": "IBM"}, 400, "'symbol' is not one the watchlist view"),
        ({"view": "symbol"}, 400, "'symbol' is required"),
        ({"view": "symbol", "symbol": "IBM", "points": "9"}, 400, "'points'"),
        ({"view": "symbol", "symbol": "IBM", "range": "2Y"}, 400, "range '2Y'"),
        ({"view": "symbol", "symbol": "IBM", "range": "1M", "points": "20"}, 400, "not both"),
        ({"view": "symbol", "symbol": "NOPE"}, 422, "There is no daily data for NOPE"),
        ({"asset": "../func.py"}, 400, "is not valid"),
        (
            {"asset": "favicon.svg", "view": "watchlist"},
            400,
            "'view' is not one a request for a page",
        ),
        ({"modle": "naive"}, 400, "'modle'"),
    ],
)
def test_bad_views_are_json_errors(ui_once, params, status, words):
    answer = view(ui_once, **params)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    assert words in answer.json()["error"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"action": "buy", "symbol": "IBM"}, 400, "use one of track, untrack, refresh"),
        ({"action": "track", "symbol": "BAD!"}, 400, "is not valid"),
        ({"action": "track", "symbol": "IBM", "model": "arima"}, 400, "model"),
        ({"action": "untrack", "symbol": "IBM", "model": "naive"}, 400, "'model' is not one"),
        ({"action": "untrack", "symbol": "IBM"}, 422, "IBM (daily) is not on the watchlist"),
        ({"action": "refresh", "symbol": "IBM"}, 422, "track it first"),
    ],
)
def test_bad_changes_are_json_errors_and_write_nothing(ui_once, storage, fields, status, words):
    answer = change(ui_once, **fields)
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert not [b for b in storage.list_buckets() if b.startswith("ui_errors_")]  # nothing written


def test_with_an_api_token_changes_need_it_and_views_stay_public(serve, storage, bucket):
    ui = serve("ui", STOCKS_API_TOKEN="s3cret-token")
    assert view(ui.url, view="watchlist").status_code == 200
    assert requests.get(ui.url, timeout=30).status_code == 200  # the page itself
    refused = change(ui.url, action="track", symbol="IBM")
    assert refused.status_code == 401
    assert "Authorization: Bearer" in refused.json()["error"]
    assert "s3cret" not in refused.text
    assert storage.query(bucket, 'SELECT * FROM "watchlist"').empty
    allowed = requests.post(
        ui.url,
        json={"action": "track", "symbol": "IBM"},
        headers={"Authorization": "Bearer s3cret-token"},
        timeout=30,
    )
    assert allowed.status_code == 200 and allowed.json()["changed"] is True


def test_the_last_fetch_shown_is_the_entrys_own_interval(serve, alphavantage, storage, bucket):
    """IBM daily fetched fine; IBM 5min's fetch failed: each row shows its own fetch, and each
    run is recorded with its interval."""
    alphavantage.route("daily.csv", function="TIME_SERIES_DAILY", symbol="IBM")
    alphavantage.route("splits_none.json", function="SPLITS", symbol="IBM")
    alphavantage.route("dividends_none.json", function="DIVIDENDS", symbol="IBM")
    provider = {
        "STOCKS_PROVIDER": "alphavantage",
        "ALPHAVANTAGE_API_KEY": API_KEY,
        "ALPHAVANTAGE_URL": alphavantage.url,
    }
    fetch = serve("fetch", **provider)
    daily = requests.post(fetch.url, json={"symbol": "IBM", "bucket": bucket}, timeout=60)
    assert daily.status_code == 200
    intraday = {"symbol": "IBM", "interval": "5min", "bucket": bucket}
    assert requests.post(fetch.url, json=intraday, timeout=60).status_code == 422
    ui = serve("ui", **provider)
    for interval in ("daily", "5min"):
        assert change(ui.url, action="track", symbol="IBM", interval=interval, bucket=bucket).ok

    def shown() -> dict[str, dict]:
        return {row["interval"]: row for row in view(ui.url, view="watchlist").json()["watchlist"]}

    # fetch writes its runs points within a second of each call
    wait_for(lambda: all(r["fetch"] for r in shown().values()), 60, "both fetch runs")
    rows = shown()
    assert rows["daily"]["fetch"]["status"] == "ok" and not rows["daily"]["fetch"]["error"]
    assert rows["5min"]["fetch"]["status"] == "422"
    recorded = storage.query(bucket, 'SELECT * FROM "runs"', RUNS)
    assert sorted(zip(recorded["interval"], recorded["status"], strict=True)) == [
        ("5min", "422"),
        ("daily", "ok"),
    ]
