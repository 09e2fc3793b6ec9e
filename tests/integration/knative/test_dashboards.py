"""Grafana provisioning as code: the files are well-formed and every query answers with data.

Grafana is not run here. Instead each query is prepared the way Grafana prepares it (environment
variables expanded into the provisioning files, template variables and macros substituted) and
sent the way Grafana's InfluxQL data source sends it, to a real `influxd` holding one seeded copy
of everything the functions write.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
import yaml

from devstack.influxd import InfluxServer
from shared.contract.config import InfluxSettings
from shared.contract.schema import (
    ALERTS,
    DEAD_LETTERS,
    FORECAST,
    FORECAST_RUNS,
    FRESHNESS,
    PRICES,
    PRICES_ADJUSTED,
    RUNS,
    WATCHLIST,
)
from shared.influx.client import InfluxClient

GRAFANA = Path(__file__).resolve().parents[3] / "knative" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))
NOW = pd.Timestamp.now(tz="UTC").floor("s")
MIXED = "-- Mixed --"
BUILTIN_VARIABLES = {"timeFilter", "__interval", "__interval_ms", "__from", "__to"}
INTERVALS_MS = {
    "1s": 1_000, "10s": 10_000, "1m": 60_000, "5m": 300_000, "10m": 600_000, "30m": 1_800_000,
    "1h": 3_600_000, "3h": 10_800_000, "6h": 21_600_000, "12h": 43_200_000, "1d": 86_400_000,
    "7d": 604_800_000, "30d": 2_592_000_000,
}  # fmt: skip
FILL_TO = "custom.fillBelowTo"
PANEL_TYPES = {"candlestick", "stat", "table", "timeseries"}
_ENV = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_TEMPLATE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_RELATIVE = re.compile(r"now(?:([+-])(\d+)([smhdwMy]))?")
RELATIVE_STEPS = {
    "s": pd.Timedelta(seconds=1), "m": pd.Timedelta(minutes=1), "h": pd.Timedelta(hours=1),
    "d": pd.Timedelta(days=1), "w": pd.Timedelta(weeks=1),
    "M": pd.DateOffset(months=1), "y": pd.DateOffset(years=1),
}  # fmt: skip


# -- Grafana's substitutions --------------------------------------------------------------------


def expand_env(node: Any, env: dict[str, str]) -> Any:
    """Provisioning values with `$VAR`/`${VAR}` expanded and `$$` kept as `$`, as Grafana does.

    A variable missing from `env` fails the test: every one the files use must be documented.
    """
    if isinstance(node, dict):
        return {key: expand_env(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [expand_env(value, env) for value in node]
    if not isinstance(node, str):
        return node
    parts = [_ENV.sub(lambda m: env[m.group(1) or m.group(2)], part) for part in node.split("$$")]
    return "$".join(parts)


def template_names(text: str) -> set[str]:
    """The template variables and macros a query or uid refers to."""
    return {next(g for g in m.groups() if g) for m in _TEMPLATE.finditer(text)}


def interpolate(text: str, values: dict[str, str]) -> str:
    """`$name`, `${name}`, `${name:format}` and `[[name]]` replaced by their values."""
    return _TEMPLATE.sub(lambda m: values[next(g for g in m.groups() if g)], text)


def grafana_time(expression: str) -> pd.Timestamp:
    """`now`, `now-6M`, `now+7d`... as a time (Grafana's relative time syntax)."""
    match = _RELATIVE.fullmatch(expression)
    assert match, f"unsupported relative time {expression!r}"
    sign, amount, unit = match.groups()
    if not sign:
        return NOW
    return NOW + RELATIVE_STEPS[unit] * int(amount) * (1 if sign == "+" else -1)


def macros(start: pd.Timestamp, end: pd.Timestamp) -> dict[str, str]:
    """Grafana's InfluxQL macros for a time range, `$__interval` rounded up to a round step."""
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    wanted = (end_ms - start_ms) / 1000  # about one point per pixel of a wide panel
    interval = next((k for k, ms in INTERVALS_MS.items() if ms >= wanted), "30d")
    return {
        "timeFilter": f"time >= {start_ms}ms and time <= {end_ms}ms",
        "__interval": interval,
        "__interval_ms": str(INTERVALS_MS[interval]),
        "__from": str(start_ms),
        "__to": str(end_ms),
    }


# -- the files ----------------------------------------------------------------------------------


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return yaml.safe_load(handle)


def load_dashboard(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return json.load(handle)


def grafana_env(url: str, meta_bucket: str, forecast_bucket: str) -> dict[str, str]:
    """The environment the docs give the Grafana container, pointed at the test's server."""
    return {
        "INFLUX_URL": url,
        "INFLUX_TOKEN": "",
        "INFLUX_USERNAME": "",
        "INFLUX_PASSWORD": "",
        "STOCKS_META_BUCKET": meta_bucket,
        "STOCKS_FORECAST_BUCKET": forecast_bucket,
        "GF_PATHS_PROVISIONING": str(GRAFANA),
    }


def datasources(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The provisioned data sources by uid, with the environment expanded."""
    config = expand_env(load_yaml(GRAFANA / "datasources" / "influxdb.yaml"), env)
    return {source["uid"]: source for source in config["datasources"]}


def target_datasource(panel: dict[str, Any], target: dict[str, Any]) -> str:
    """The uid (maybe a `${variable}`) a target's query goes to."""
    uid = (target.get("datasource") or panel["datasource"])["uid"]
    assert uid != MIXED, f"panel {panel['title']!r}: a mixed panel's targets need a data source"
    return uid


def variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return dashboard["templating"]["list"]


# -- provisioning files are well-formed ---------------------------------------------------------

ENV = grafana_env("http://127.0.0.1:8086", "stocks", "forecasts")


def test_datasources_are_influxql_sources_with_every_variable_documented() -> None:
    config = load_yaml(GRAFANA / "datasources" / "influxdb.yaml")
    assert config["apiVersion"] == 1
    sources = expand_env(config, ENV)["datasources"]  # an undocumented variable fails here
    assert len({s["name"] for s in sources}) == len({s["uid"] for s in sources}) == len(sources)
    assert sum(bool(s.get("isDefault")) for s in sources) <= 1
    for source in sources:
        assert source["type"] == "influxdb" and source["access"] == "proxy"
        assert source["url"] == ENV["INFLUX_URL"]
        assert source["jsonData"]["version"] == "InfluxQL"
        assert source["jsonData"]["httpMode"] in ("GET", "POST")
        for key in source["jsonData"]:
            if key.startswith("httpHeaderName"):
                value = key.replace("Name", "Value")
                assert source["secureJsonData"][value] == f"Token {ENV['INFLUX_TOKEN']}"
    assert {s["jsonData"]["dbName"] for s in sources} == {"stocks", "forecasts"}


def test_dashboard_provider_points_at_the_dashboards() -> None:
    config = load_yaml(GRAFANA / "dashboards" / "provider.yaml")
    assert config["apiVersion"] == 1
    (provider,) = expand_env(config, ENV)["providers"]
    assert provider["name"] and provider["type"] == "file"
    path = Path(provider["options"]["path"])
    assert path.resolve() == (GRAFANA / "dashboards").resolve()
    assert {p.name for p in path.glob("*.json")} == {"pipeline.json", "stocks.json"}


def test_dashboards_have_unique_uids_and_titles() -> None:
    dashboards = [load_dashboard(path) for path in DASHBOARD_FILES]
    assert len({d["uid"] for d in dashboards}) == len({d["title"] for d in dashboards}) == 2


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.stem)
def test_dashboard_model_is_well_formed(path: Path) -> None:
    dashboard = load_dashboard(path)
    assert dashboard["id"] is None and dashboard["uid"] and dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert grafana_time(dashboard["time"]["from"]) < grafana_time(dashboard["time"]["to"])

    sources = datasources(ENV)
    defined = {v["name"] for v in variables(dashboard)}
    datasource_variables = {
        v["name"]: v["current"]["value"] for v in variables(dashboard) if v["type"] == "datasource"
    }
    assert set(datasource_variables.values()) <= set(sources)

    def resolves(uid: str) -> bool:
        return interpolate(uid, datasource_variables) in sources

    for variable in variables(dashboard):
        assert variable["type"] in ("datasource", "query", "custom")
        if variable["type"] == "query":
            assert resolves(variable["datasource"]["uid"])
            assert template_names(variable["query"]) <= defined

    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    for panel in dashboard["panels"]:
        assert panel["type"] in PANEL_TYPES and panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert template_names(panel["title"]) <= defined
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
        if panel["datasource"]["uid"] != MIXED:
            assert resolves(panel["datasource"]["uid"])
        for target in panel["targets"]:
            assert target["rawQuery"] is True
            assert target["resultFormat"] in ("time_series", "table")
            assert resolves(target_datasource(panel, target))
            assert template_names(target["query"]) <= defined | BUILTIN_VARIABLES


# -- every query against a real influxd ---------------------------------------------------------


def ago(**delta: float) -> pd.Timestamp:
    return NOW - pd.Timedelta(**delta)


def frame(times: list[pd.Timestamp], **columns: Any) -> pd.DataFrame:
    """A frame indexed by `times` whose columns are lists (one value a row) or constants."""
    return pd.DataFrame(columns, index=pd.DatetimeIndex(times, name="time"))


@pytest.fixture(scope="module")
def seeded(influx_server: InfluxServer) -> dict[str, str]:
    """Prices, a forecast, predict runs, function runs, the watchlist and dead letters on the
    real server; the Grafana environment pointing at them."""
    storage = InfluxClient(InfluxSettings(url=influx_server.url))
    meta, forecasts = f"g_meta_{uuid.uuid4().hex[:8]}", f"g_forecasts_{uuid.uuid4().hex[:8]}"
    for name in (meta, forecasts):
        storage.create_bucket(name)
    today = NOW.normalize()

    days = list(pd.date_range(end=today, periods=250, freq="D"))
    close = [100 + i / 10 for i in range(250)]
    acme = frame(days, symbol="ACME", interval="daily", close=close, volume=1_000)
    acme = acme.assign(open=acme["close"] - 0.5, high=acme["close"] + 1, low=acme["close"] - 1)
    hours = list(pd.date_range(end=today, periods=48, freq="h"))
    zzz = frame(hours, symbol="ZZZ", interval="60min", open=5.0, high=6.0, low=4.0, close=5.5)
    storage.write(meta, pd.concat([acme, zzz.assign(volume=10)]), PRICES)
    storage.write(meta, pd.concat([acme, zzz.assign(volume=10)]), PRICES_ADJUSTED)

    ahead = list(pd.date_range(today + pd.Timedelta(days=1), periods=30, freq="D"))
    forecast = frame(ahead, symbol="ACME", interval="daily", field="close", model="prophet")
    storage.write(
        forecasts, forecast.assign(yhat=115.0, yhat_lower=110.0, yhat_upper=120.0), FORECAST
    )
    # an older naive run's leftover points, which a newer run does not delete (docs/reliability)
    leftover = forecast.assign(model="naive", yhat=99.0, yhat_lower=98.0, yhat_upper=100.0)
    storage.write(forecasts, leftover, FORECAST)
    naive_run = frame([ago(days=3)], mape=[0.1], mase=[1.0], coverage=[0.8])
    naive_run = naive_run.assign(symbol="ACME", interval="daily", field="close", model="naive")
    storage.write(forecasts, naive_run.assign(horizon=30, train_points=150), FORECAST_RUNS)
    predict_runs = frame(
        [ago(days=2), ago(hours=1)], mape=[0.5, 0.04], mase=[2.0, 0.8], coverage=[0.5, 0.9]
    ).assign(
        symbol="ACME",
        interval="daily",
        field="close",
        model="prophet",
        horizon=30,
        train_points=150,
    )
    risk = {"volatility": 0.25, "volatility_percentile": 40.0, "drawdown": -0.1, "from_high": 0.0}
    predict_runs = predict_runs.assign(horizon_lower=110.0, horizon_upper=120.0, **risk)
    storage.write(
        forecasts, predict_runs.assign(fit_seconds=1.5, rel_naive=0.9, rel_drift=0.9), FORECAST_RUNS
    )

    watchlist = frame(
        [ago(days=3), ago(days=3), ago(days=1), ago(hours=5)],
        symbol=["ACME", "ZZZ", "ZZZ", "BETA"],
        tracked=[True, True, False, True],
        interval=["daily", "60min", "60min", "daily"],
        bucket=meta,
    )
    storage.write(meta, watchlist, WATCHLIST)
    runs = frame(
        [
            ago(hours=30),
            ago(hours=2),
            ago(hours=26),
            ago(hours=1),
            ago(minutes=50),
            ago(minutes=20),
        ],
        function=["fetch", "fetch", "fetch", "fetch", "predict", "predict"],
        status=["ok", "ok", "ok", "429", "ok", "422"],
        symbol=["ACME", "ACME", "ZZZ", "BETA", "ACME", "BETA"],
        points=[100, 1, 48, 0, 30, 0],
        seconds=[0.4, 0.3, 0.2, 0.1, 2.5, 0.1],
        error=["", "", "", "Rate limited; retry later.", "", "No prices for BETA."],
    )
    storage.write(meta, runs, RUNS)
    dead_letters = frame(
        [ago(minutes=40), ago(minutes=10)],
        type=["io.stocksmanager.fetch.requested", "io.stocksmanager.fetched"],
        trigger=["fetch", "predict"],
        event_id=["e-1", "e-2"],
        subscriber=["http://fetch.stocks.svc", "http://predict.stocks.svc"],
        code=[503, 0],
        error=["InfluxDB is unreachable; retry later.", "connection refused"],
        data=[json.dumps({"symbol": "ACME"}), json.dumps({"symbol": "ACME", "points": 1})],
    )
    storage.write(meta, dead_letters, DEAD_LETTERS)
    alerts = frame(
        [days[-3], days[-1], days[-2]],
        symbol=["ACME", "ACME", "BETA"],
        rule=["r000000000001", "r000000000001", "r000000000002"],
        interval="daily",
        kind=["above", "above", "move"],
        value=[124.7, 124.9, 3.2],
        threshold=[124.5, 124.5, 3.0],
        message=["ACME (daily) closed at 124.70, above 124.50.", "again", "BETA moved"],
        alert_id=["a-1", "a-2", "a-3"],
        fired_at=NOW.isoformat(),
    )
    storage.write(meta, alerts, ALERTS)
    hour = NOW.floor("h")
    freshness = frame(
        [hour, hour, hour - pd.Timedelta(hours=5)],
        symbol=["ACME", "BETA", "ZZZ"],  # ZZZ, untracked, was last checked 5 hours ago
        interval=["daily", "daily", "60min"],
        as_of=[str(today.date()), "", str(today.date())],
        state=["fresh", "no data", "stale"],
        stale_since=["", "", NOW.isoformat()],
        due=[NOW.isoformat(), "", ""],
        checked=NOW.isoformat(),
    )
    storage.write(meta, freshness, FRESHNESS)
    return grafana_env(influx_server.url, meta, forecasts)


def grafana_query(source: dict[str, Any], influxql: str) -> dict[str, Any]:
    """One statement sent as Grafana's InfluxQL data source sends it; its JSON result.

    Fails on an HTTP error, on a statement error (which InfluxDB 1.x reports inside a 200) and
    on a result without rows.
    """
    settings, secrets = source["jsonData"], source.get("secureJsonData", {})
    headers, index = {}, 1
    while f"httpHeaderName{index}" in settings:
        headers[settings[f"httpHeaderName{index}"]] = secrets[f"httpHeaderValue{index}"]
        index += 1
    auth = (source["user"], secrets.get("password", "")) if source.get("user") else None
    response = requests.post(
        source["url"].rstrip("/") + "/query",
        params={"db": settings["dbName"], "epoch": "ms"},
        data={"q": influxql},
        headers=headers,
        auth=auth,
        timeout=10,
    )
    assert response.status_code == 200, (
        f"{influxql}\n-> HTTP {response.status_code}: {response.text}"
    )
    (result,) = response.json()["results"]
    assert "error" not in result, f"{influxql}\n-> {result['error']}"
    rows = [row for series in result.get("series", []) for row in series.get("values", [])]
    assert rows, f"{influxql}\n-> no rows"
    return result


def columns(result: dict[str, Any]) -> set[str]:
    """The field names Grafana shows for a result: its columns and its series' tags."""
    names = set()
    for series in result["series"]:
        names |= set(series["columns"]) | set(series.get("tags", {}))
    return names - {"time"}


def transformed_names(panel: dict[str, Any]) -> set[str]:
    """Field names that the panel's transformations create (aggregates and renames)."""
    names = set()
    for step in panel.get("transformations", []):
        options = step["options"]
        if step["id"] == "groupBy":
            for field, config in options["fields"].items():
                names |= {f"{field} ({reducer})" for reducer in config["aggregations"]}
        if step["id"] == "organize":
            names |= set(options.get("renameByName", {}).values())
    return names


@dataclass(frozen=True)
class View:
    """A dashboard as Grafana opens it on its default time range."""

    dashboard: dict[str, Any]
    sources: dict[str, dict[str, Any]]
    builtins: dict[str, str]
    values: dict[str, str]
    options: dict[str, list[str]]

    @classmethod
    def open(cls, name: str, env: dict[str, str]) -> View:
        """Load the dashboard and set its variables as Grafana does on load.

        A datasource variable keeps its saved uid; a query variable runs its query (once the
        variables before it are set) and takes its first option in the variable's sort order.
        """
        dashboard = load_dashboard(GRAFANA / "dashboards" / f"{name}.json")
        start, end = (grafana_time(dashboard["time"][k]) for k in ("from", "to"))
        view = cls(dashboard, datasources(env), macros(start, end), {}, {})
        for variable in variables(dashboard):
            if variable["type"] == "datasource":
                view.values[variable["name"]] = variable["current"]["value"]
                continue
            if variable["type"] == "custom":
                choices = [c.strip() for c in variable["query"].split(",")]
            else:
                result = view.query(variable["datasource"]["uid"], variable["query"])
                values = [row[1] for series in result["series"] for row in series["values"]]
                choices = list(dict.fromkeys(values))  # each value once, as Grafana lists them
                if variable.get("sort") in (1, 3, 5, 7):  # the alphabetical sorts
                    choices.sort()
            view.options[variable["name"]] = choices
            view.values[variable["name"]] = choices[0]
        return view

    def query(self, uid: str, influxql: str) -> dict[str, Any]:
        """Run a query with the view's variables and macros on the data source `uid` names."""
        source = self.sources[interpolate(uid, self.values)]
        return grafana_query(source, interpolate(influxql, {**self.builtins, **self.values}))

    def rows(self, title: str, ref: str = "A") -> list[dict[str, Any]]:
        """A panel target's rows, tags merged in, by the panel's title and the target's refId."""
        (panel,) = [p for p in self.dashboard["panels"] if p["title"] == title]
        (target,) = [t for t in panel["targets"] if t["refId"] == ref]
        result = self.query(target_datasource(panel, target), target["query"])
        return [
            {**series.get("tags", {}), **dict(zip(series["columns"], row, strict=True))}
            for series in result["series"]
            for row in series["values"]
        ]


@pytest.mark.parametrize("name", [p.stem for p in DASHBOARD_FILES])
def test_every_query_returns_data(seeded: dict[str, str], name: str) -> None:
    """Every variable and panel query of the dashboard's default view answers rows, and every
    field the panel's options and overrides name is one the queries (or transformations) make."""
    view = View.open(name, seeded)
    for panel in view.dashboard["panels"]:
        fields = transformed_names(panel)
        for target in panel["targets"]:
            fields |= columns(view.query(target_datasource(panel, target), target["query"]))
        overrides = panel["fieldConfig"]["overrides"]
        named = [o["matcher"]["options"] for o in overrides]
        named += [p["value"] for o in overrides for p in o["properties"] if p["id"] == FILL_TO]
        named += list(panel["options"].get("fields", {}).values())  # candlestick's field map
        assert set(named) <= fields, f"panel {panel['title']!r} names missing fields"


PRICE_PANEL = "$symbol ($bar_interval): price and latest forecast"


def test_variables_offer_the_seeded_symbols_and_intervals(seeded: dict[str, str]) -> None:
    view = View.open("stocks", seeded)
    assert view.options == {
        "symbol": ["ACME", "BETA"],  # the tracked ones: ZZZ was untracked
        "bar_interval": ["daily"],
        "forecast_model": ["prophet"],  # the newest run's: the current forecast's model
        "price_series": ["prices_adjusted", "prices"],  # adjusted by default, raw on demand
    }
    assert (view.values["symbol"], view.values["bar_interval"]) == ("ACME", "daily")


def test_the_overview_has_each_tracked_entrys_close_change_averages_forecast_and_risk(
    seeded: dict[str, str],
) -> None:
    view = View.open("stocks", seeded)
    overview = "Watchlist overview"
    tracked = {(r["symbol"], r["interval"]) for r in view.rows(overview, "A")}
    assert tracked == {("ACME", "daily"), ("BETA", "daily")}  # not ZZZ, untracked
    last = 100 + 249 / 10  # ACME's closes rise by 0.1 a day
    closes = {r["symbol"]: r["close"] for r in view.rows(overview, "B")}
    assert closes["ACME"] == pytest.approx(last)
    (change,) = [r for r in view.rows(overview, "C") if r["symbol"] == "ACME"]
    assert change["change %"] == pytest.approx((last / (last - 0.1) - 1) * 100)
    (fifty,) = view.rows(overview, "D")
    assert fifty["50-day"] == pytest.approx(last - 4.9 / 2)  # the mean of the last 50 closes
    (two_hundred,) = view.rows(overview, "E")
    assert two_hundred["200-day"] == pytest.approx(last - 19.9 / 2)
    (run,) = view.rows(overview, "F")
    assert (run["model"], run["vs naive"], run["range low"]) == ("prophet", 0.9, 110.0)
    assert run["swings a year"] == 0.25 and run["largest fall"] == -0.1
    health = view.rows(overview, "G")
    assert {r["symbol"] for r in health} == {"ACME", "ZZZ", "BETA"}


def test_latest_backtest_is_the_latest_run_with_its_model_and_skill(seeded: dict[str, str]) -> None:
    (row,) = View.open("stocks", seeded).rows("Latest forecast: model and skill")
    assert (row["MAPE"], row["MASE"], row["coverage"]) == (0.04, 0.8, 0.9)
    assert (row["model"], row["vs naive"]) == ("prophet", 0.9)


def test_price_candles_and_forecast_share_the_time_axis(seeded: dict[str, str]) -> None:
    view = View.open("stocks", seeded)
    candles, forecast = view.rows(PRICE_PANEL, "A"), view.rows(PRICE_PANEL, "B")
    assert len(forecast) == 30 and {r["yhat"] for r in forecast} == {115.0}  # the current model
    assert max(r["time"] for r in candles) < min(r["time"] for r in forecast)
    assert {r["high"] - r["low"] for r in candles} == {2.0}


def test_freshness_lists_the_tracked_symbols_only(seeded: dict[str, str]) -> None:
    view = View.open("pipeline", seeded)
    tracked = view.rows("Last successful fetch", "A")
    assert sorted(r["symbol"] for r in tracked) == ["ACME", "BETA"]
    fetches = view.rows("Last successful fetch", "B")
    assert sorted({r["symbol"] for r in fetches}) == ["ACME", "ZZZ"]


def test_watchlist_shows_each_symbols_latest_state(seeded: dict[str, str]) -> None:
    rows = View.open("pipeline", seeded).rows("Watchlist")
    assert {r["symbol"]: r["tracked"] for r in rows} == {"ACME": True, "BETA": True, "ZZZ": False}


def test_latest_errors_are_the_failed_runs_newest_first(seeded: dict[str, str]) -> None:
    rows = View.open("pipeline", seeded).rows("Latest errors")
    assert [(r["function"], r["status"]) for r in rows] == [("predict", "422"), ("fetch", "429")]
    assert rows[0]["error"] == "No prices for BETA."


def test_alerts_are_annotations_on_the_price_panel_of_the_symbol_shown(seeded: dict[str, str]):
    view = View.open("stocks", seeded)
    (annotation,) = [a for a in view.dashboard["annotations"]["list"] if a["name"] == "Alerts"]
    (price_panel,) = [p for p in view.dashboard["panels"] if p["title"] == PRICE_PANEL]
    assert annotation["enable"] and annotation["filter"] == {"exclude": False, "ids": [1]}
    assert price_panel["id"] == 1
    target = annotation["target"]
    result = view.query(annotation["datasource"]["uid"], target["query"])
    assert {target["textColumn"], target["tagsColumn"]} <= columns(result)
    rows = [row for series in result["series"] for row in series["values"]]
    assert len(rows) == 2  # ACME's two alerts, not BETA's
    assert template_names(target["query"]) <= {v["name"] for v in variables(view.dashboard)} | (
        BUILTIN_VARIABLES
    )


def test_freshness_shows_each_checked_entry_once(seeded: dict[str, str]) -> None:
    rows = View.open("pipeline", seeded).rows("Freshness")
    assert {(r["symbol"], r["interval"]): r["state"] for r in rows} == {
        ("ACME", "daily"): "fresh",
        ("BETA", "daily"): "no data",
    }
