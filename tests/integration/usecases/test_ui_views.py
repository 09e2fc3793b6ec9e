"""The page's views and changes in process, on the session's real influxd.

`tests/integration/ui/test_api.py` runs the same through a ui process; these calls are in
process so that mutation testing (`make mutate`) sees what they reach.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from shared.contract.errors import BadInput, Unprocessable
from shared.contract.events import FETCH_REQUESTED
from shared.contract.schema import DEAD_LETTERS, PRICES, PRICES_ADJUSTED, RUNS
from shared.contract.timefmt import rfc3339
from shared.market import listings
from shared.runtime.services import Services
from shared.store import names
from shared.store.forecasts import Horizon
from shared.store.watchlist import Entry
from shared.usecases import ui
from shared.usecases.watchlist import watchlist_of
from tests.integration.ui.test_api import DAYS, NOW, RISK, frame, seeded  # noqa: F401  (the fixture)


@pytest.fixture
def services(settings) -> Services:
    return Services(settings)


def test_the_watchlist_view_has_the_figures_of_each_entry(services, seeded):  # noqa: F811
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded, "model": "drift"})
    ui.change(services, {"action": "track", "symbol": "AAPL", "bucket": f"{seeded}_later"})
    rows = {row["symbol"]: row for row in ui.read(services, {"view": "watchlist"})["watchlist"]}
    last = 100.0 + len(DAYS) - 1
    ko = rows["KO"]
    assert (ko["close"], ko["day"][:10]) == (last, DAYS[-1].strftime("%Y-%m-%d"))
    assert ko["change_pct"] == round((last / (last - 1) - 1) * 100, 6)
    assert (ko["sma50"], ko["trend50"]) == (last - 24.5, "above")
    assert (ko["sma200"], ko["trend200"]) == (last - 99.5, "above")
    forecast = ko["forecast"]
    assert (forecast["direction"], forecast["end"], forecast["model"]) == ("up", 364.0, "drift")
    assert forecast["change_pct"] == round((364.0 / last - 1) * 100, 6)
    assert forecast["rel_naive"] == 0.75
    assert (ko["fetch"]["status"], ko["fetch"]["error"]) == ("429", "Rate limited; retry later.")
    assert rows["AAPL"]["close"] is None and rows["AAPL"]["forecast"] is None
    assert rows["AAPL"]["fetch"] is None


def test_the_symbol_view_has_the_newest_bars_and_the_forecast(services, seeded):  # noqa: F811
    data = ui.read(services, {"view": "symbol", "symbol": "ko", "bucket": seeded, "points": "30"})
    assert (data["symbol"], data["interval"], data["tracked"]) == ("KO", "daily", False)
    times = data["prices"]["time"]
    assert len(times) == 30 and times == sorted(times)
    assert times[-1] == int(DAYS[-1].timestamp())
    assert data["prices"]["close"][-1] == 100.0 + len(DAYS) - 1
    assert data["forecast"]["yhat"] == [360.0, 361.0, 362.0, 363.0, 364.0]
    assert data["forecast"]["yhat_lower"] == [350.0] * 5
    assert data["run"]["model"] == "drift"
    with pytest.raises(Unprocessable, match="no daily data for AAPL"):
        ui.read(services, {"view": "symbol", "symbol": "AAPL", "bucket": seeded})


def test_the_pipeline_view_lists_runs_newest_first(services, seeded):  # noqa: F811
    pipeline = ui.read(services, {"view": "pipeline"})
    assert [(r["function"], r["status"]) for r in pipeline["runs"]] == [
        ("predict", "422"),
        ("fetch", "429"),
        ("fetch", "ok"),
    ]
    assert [r["status"] for r in pipeline["errors"]] == ["422", "429"]
    assert [letter["event_id"] for letter in pipeline["dead_letters"]] == ["e-1"]


@pytest.mark.parametrize(
    "fields",
    [
        {"view": "charts"},
        {"view": "watchlist", "symbol": "KO"},
        {"view": "symbol", "symbol": "KO", "points": "9"},
    ],
)
def test_bad_views_are_refused(services, fields):
    with pytest.raises(BadInput):
        ui.read(services, fields)


def test_untrack_and_refresh_name_the_entry(services):
    ui.change(services, {"action": "track", "symbol": "KO", "interval": "5min"})
    gone = ui.change(services, {"action": "untrack", "symbol": "KO", "interval": "5min"})
    assert gone["changed"] is True
    with pytest.raises(Unprocessable, match="track it first"):
        ui.change(services, {"action": "refresh", "symbol": "KO"})
    assert pd.DataFrame(ui.read(services, {"view": "watchlist"})["watchlist"]).empty


def test_a_run_that_dropped_provider_rows_is_listed_with_the_errors(services, seeded):  # noqa: F811
    from shared.store import runs

    meta = services.settings.meta_bucket
    warning = "Dropped 2 impossible provider rows or actions, e.g. 2024-01-02: close -5."
    runs.record(
        services.influx,
        meta,
        function="fetch",
        status=200,
        symbol="KO",
        points=3,
        seconds=0.1,
        error=None,
        interval="daily",
        dropped=2,
        warning=warning,
    )
    services.influx.deferred.flush()  # runs points are written soon; the view reads them now
    pipeline = ui.read(services, {"view": "pipeline"})
    noted = pipeline["errors"][0]
    assert (noted["status"], noted["dropped"], noted["warning"]) == ("ok", 2, warning)
    assert [r["status"] for r in pipeline["errors"][1:]] == ["422", "429"]


def test_a_name_a_provider_gave_is_shown_where_the_listing_has_none(services, seeded):  # noqa: F811
    meta = services.settings.meta_bucket
    names.save(services.influx, meta, "NVDQ", "Nvdq Holdings", "tiingo")
    names.save(services.influx, meta, "KO", "Not the listing's name", "tiingo")
    watchlist_of(services).save(Entry("NVDQ", bucket=seeded), tracked=True)
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded})
    rows = {row["symbol"]: row for row in ui.read(services, {"view": "watchlist"})["watchlist"]}
    assert rows["NVDQ"]["name"] == "Nvdq Holdings"
    assert rows["KO"]["name"] == listings.name("KO")  # the listing first
    assert ui.names_of(services, {"KO", "ZZZQ"}) == {"KO": listings.name("KO"), "ZZZQ": None}


def test_the_correlation_view_pairs_the_tracked_symbols_daily_returns(
    services,
    seeded,  # noqa: F811
):
    ko = 100.0 + pd.Series(range(len(DAYS)), dtype="float64")
    bars = pd.DataFrame(
        {"symbol": "AAPL", "interval": "daily", "close": (2 * ko).to_numpy(), "volume": 1_000},
        index=pd.DatetimeIndex(DAYS, name="time"),
    )
    bars = bars.assign(open=bars["close"], high=bars["close"] + 1, low=bars["close"] - 1)
    services.influx.write(seeded, bars, PRICES)
    services.influx.write(seeded, bars, PRICES_ADJUSTED)
    for symbol, interval in [("KO", "5min"), ("KO", "daily"), ("AAPL", "daily")]:
        entry = {"symbol": symbol, "interval": interval, "bucket": seeded}
        ui.change(services, {"action": "track", **entry})
    view = ui.read(services, {"view": "correlation"})
    assert view["symbols"] == ["AAPL", "KO"]  # KO once: its daily entry
    assert [pytest.approx([1.0, 1.0])] * 2 == view["matrix"]
    assert [(p["a"], p["b"]) for p in view["pairs"]] == [("AAPL", "KO")]
    assert view["pairs"][0]["correlation"] == pytest.approx(1.0)
    assert view["min_sessions"] == 60 and view["explanation"]


def write_bars(
    services: Services, bucket: str, symbol: str, times, interval: str = "daily"
) -> None:
    """Bars of `symbol` at `times` closing at 100, 101, ... (raw and adjusted alike)."""
    close = 100.0 + np.arange(len(times))
    bars = frame(times, symbol=symbol, interval=interval, close=close, volume=1_000)
    bars = bars.assign(open=bars["close"], high=bars["close"] + 1, low=bars["close"] - 1)
    services.influx.write(bucket, bars, PRICES)
    services.influx.write(bucket, bars, PRICES_ADJUSTED)


def test_every_view_carries_the_fields_the_page_reads(services, seeded):  # noqa: F811
    """The page reads these names; a row without bars has them too (as None)."""
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded})
    ui.change(services, {"action": "track", "symbol": "AAPL", "bucket": seeded})
    page = {"demo", "provider", "token_required"}
    watchlist = ui.read(services, {"view": "watchlist"})
    assert set(watchlist) == {"watchlist", "explanations", *page}
    row = {
        "symbol", "interval", "bucket", "model", "exchange", "timezone", "name", "close", "day",
        "change", "change_pct", "sma50", "sma200", "trend50", "trend200", "session",
        "session_closed", "spark", "forecast", "risk", "fetch", "actions", "freshness", "rules",
    }  # fmt: skip
    assert [set(r) for r in watchlist["watchlist"]] == [row, row]
    symbol = ui.read(services, {"view": "symbol", "symbol": "KO", "bucket": seeded})
    assert set(symbol) == {
        "symbol", "interval", "bucket", "name", "exchange", "timezone", "session",
        "session_closed", "tracked", "range", "day", "prices", "forecast", "figures", "run",
        "risk", "explanations", *page,
    }  # fmt: skip
    assert set(symbol["forecast"]) == {"model", "time", "yhat", "yhat_lower", "yhat_upper"}
    assert symbol["forecast"]["model"] == "drift"
    correlation = ui.read(services, {"view": "correlation"})
    assert set(correlation) == {
        "symbols", "names", "matrix", "pairs", "min_sessions", "explanation", *page,
    }  # fmt: skip
    assert correlation["names"] == [listings.name("AAPL"), listings.name("KO")]


def test_a_watchlist_row_keeps_what_was_tracked_and_its_last_session(services, seeded):  # noqa: F811
    """The model and exchange tracked (KO followed on Nasdaq's sessions, which it is not
    listed on), the last 60 closes, the session of the last close, the actions' check."""
    tracked = {"action": "track", "symbol": "KO", "bucket": seeded}
    ui.change(services, {**tracked, "model": "drift", "exchange": "xnas"})
    ui.change(services, {"action": "track", "symbol": "BP.LON", "bucket": seeded})
    rows = {row["symbol"]: row for row in ui.read(services, {"view": "watchlist"})["watchlist"]}
    ko = rows["KO"]
    assert (ko["model"], ko["exchange"], ko["timezone"]) == ("drift", "XNAS", "America/New_York")
    assert ko["spark"] == [100.0 + i for i in range(len(DAYS) - 60, len(DAYS))]
    assert ko["session"] == f"{DAYS[-1]:%Y-%m-%d}" and ko["session_closed"] in (True, False)
    assert ko["actions"]["how"] == "with every fetch" and ko["actions"]["checked"]
    assert ko["risk"] == pytest.approx(RISK, rel=1e-5)
    london = rows["BP.LON"]
    assert (london["exchange"], london["timezone"]) == ("XLON", "Europe/London")
    assert (london["session"], london["session_closed"], london["spark"]) == (None, None, [])


def test_views_and_changes_have_defaults_and_name_themselves_in_refusals(services):
    assert "watchlist" in ui.read(services, {})
    ui.change(services, {"symbol": "KO"})  # track, daily
    assert watchlist_of(services).find("KO", "daily") is not None
    with pytest.raises(BadInput, match=r"^The field 'symbol' is not one the pipeline view takes"):
        ui.read(services, {"view": "pipeline", "symbol": "KO"})
    with pytest.raises(BadInput, match=r"^The field 'model' is not one the untrack action takes"):
        ui.change(services, {"action": "untrack", "symbol": "KO", "model": "drift"})


def test_a_series_is_failing_since_its_first_failure_after_its_last_success(
    services,
    seeded,  # noqa: F811
):
    """The seeded KO fetches: ok 2 hours ago, 429 an hour ago; and now a 500 three hours ago,
    before the success, which does not count."""
    earlier = frame(
        [NOW - pd.Timedelta(hours=3)],
        function="fetch", status="500", interval="daily", symbol="KO", points=0, seconds=0.1,
        error="Provider failed.",
    )  # fmt: skip
    services.influx.write(seeded, earlier, RUNS, precision="ms")
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded})
    (row,) = ui.read(services, {"view": "watchlist"})["watchlist"]
    assert row["fetch"]["status"] == "429"
    assert row["fetch"]["failing_since"] == rfc3339(NOW - pd.Timedelta(hours=1))


def test_the_page_is_told_whether_changes_need_the_token(settings):
    assert ui.about_page(Services(settings))["token_required"] is False
    with_token = dataclasses.replace(settings, api_token="placeholder-token")
    assert ui.about_page(Services(with_token))["token_required"] is True


def test_a_change_needs_two_closes_and_an_average_its_days_of_closes():
    times = pd.date_range("2026-01-01", periods=50, freq="D", tz="UTC")
    one = ui.price_figures(pd.Series([10.0], index=times[:1]))
    assert (one["close"], one["change"], one["change_pct"]) == (10.0, None, None)
    fifty = ui.price_figures(pd.Series(100.0 + np.arange(50), index=times))
    assert (fifty["sma50"], fifty["trend50"], fifty["sma200"]) == (124.5, "above", None)


def test_a_forecast_is_naive_s_equal_within_half_a_percent_and_up_when_it_rises():
    end = Horizon(pd.Timestamp("2026-12-10", tz="UTC"), 100.5, 99.0, 102.0)
    run = {"model": "drift", "time": "2026-12-03T00:00:00Z", "interval_width": 0.8}
    same = ui.forecast_figures(100.0, end, {**run, "rel_naive": 0.995})
    assert (same["skill"], same["direction"]) == ("same", None)
    better = ui.forecast_figures(100.0, end, {**run, "rel_naive": 0.99})
    assert (better["skill"], better["direction"], better["change_pct"]) == ("better", "up", 0.5)


def test_the_symbol_view_reads_the_tracked_entry_its_range_and_its_session(
    services,
    seeded,  # noqa: F811
):
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded, "exchange": "XNAS"})
    view = ui.read(services, {"view": "symbol", "symbol": "KO"})  # the entry's bucket
    assert (view["bucket"], view["tracked"], view["exchange"]) == (seeded, True, "XNAS")
    last = 100.0 + len(DAYS) - 1
    assert (view["day"], view["session"]) == (rfc3339(DAYS[-1]), f"{DAYS[-1]:%Y-%m-%d}")
    assert view["session_closed"] in (True, False)
    figures = view["figures"]
    assert (figures["end"], figures["change_pct"]) == (364.0, round((364.0 / last - 1) * 100, 6))
    ahead = pd.date_range(NOW.normalize() + pd.Timedelta(days=1), periods=5, freq="D")
    assert figures["range"]["time"] == rfc3339(ahead[-1])
    assert (figures["range"]["lower"], figures["range"]["upper"]) == (350.0, 370.0)
    assert view["risk"] == pytest.approx(RISK, rel=1e-5)
    # a month of weekday bars back from Monday 30 November: from Friday 30 October on
    write_bars(services, seeded, "MSFT", pd.bdate_range(end="2026-11-30", periods=40, tz="UTC"))
    month = ui.read(services, {"view": "symbol", "symbol": "MSFT", "bucket": seeded, "range": "1M"})
    assert month["range"] == "1M"
    assert month["prices"]["time"][0] == int(pd.Timestamp("2026-10-30", tz="UTC").timestamp())
    ten = ui.read(services, {"view": "symbol", "symbol": "KO", "points": "10"})
    assert len(ten["prices"]["time"]) == 10
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded, "interval": "5min"})
    ui.change(services, {"action": "untrack", "symbol": "KO"})
    daily = ui.read(services, {"view": "symbol", "symbol": "KO", "bucket": seeded})
    assert daily["tracked"] is False  # its 5min entry is another


def test_the_symbol_view_of_bars_without_a_forecast_intraday_or_named_by_a_provider(
    services,
    seeded,  # noqa: F811
):
    with pytest.raises(Unprocessable, match=r"yet: track it and wait for its fetch\.$"):
        ui.read(services, {"view": "symbol", "symbol": "AAPL", "bucket": seeded})
    write_bars(services, seeded, "AAPL", DAYS[-30:])
    aapl = ui.read(services, {"view": "symbol", "symbol": "AAPL", "bucket": seeded})
    assert (aapl["forecast"], aapl["figures"], aapl["run"], aapl["risk"]) == (
        None,
        None,
        None,
        None,
    )
    # two sessions, the second of one bar: the session is the last bar's, on New York's dates
    minutes = pd.DatetimeIndex(
        ["2026-03-02 14:30", "2026-03-02 14:35", "2026-03-03 14:30"], tz="UTC"
    )
    write_bars(services, seeded, "KO", minutes, interval="5min")
    intraday = {"view": "symbol", "symbol": "KO", "bucket": seeded, "interval": "5min"}
    assert ui.read(services, {**intraday, "points": "10"})["session"] == "2026-03-03"
    names.save(services.influx, services.settings.meta_bucket, "NVDQ", "Nvdq Holdings", "tiingo")
    write_bars(services, seeded, "NVDQ", DAYS[-30:])
    nvdq = ui.read(services, {"view": "symbol", "symbol": "NVDQ", "bucket": seeded})
    assert nvdq["name"] == "Nvdq Holdings"


def test_a_tracked_symbol_without_closes_keeps_its_place_in_the_correlations(
    services,
    seeded,  # noqa: F811
):
    """NVDQ: no bars, and a name only a provider gave."""
    names.save(services.influx, services.settings.meta_bucket, "NVDQ", "Nvdq Holdings", "tiingo")
    watchlist_of(services).save(Entry("NVDQ", bucket=seeded), tracked=True)  # no demo listing
    ui.change(services, {"action": "track", "symbol": "KO", "bucket": seeded})
    view = ui.read(services, {"view": "correlation"})
    assert view["symbols"] == ["KO", "NVDQ"]
    assert view["names"] == [listings.name("KO"), "Nvdq Holdings"]
    assert view["matrix"][1] == [None, None] and view["pairs"] == []


def test_the_pipeline_view_lists_the_newest_25_runs_and_15_dead_letters(services, bucket):
    times = pd.date_range(NOW - pd.Timedelta(hours=1), periods=30, freq="min")
    runs = frame(
        times, function="fetch", status="500", interval="daily", symbol="KO", points=0,
        seconds=0.1, error="Provider failed.",
    )  # fmt: skip
    services.influx.create_bucket(bucket)
    services.influx.write(bucket, runs, RUNS, precision="ms")
    letters = frame(
        times, type=FETCH_REQUESTED, trigger="fetch", event_id=[f"e-{i}" for i in range(30)],
        subscriber="http://fetch", code=400, error="The symbol 'X!' is not valid.", data="{}",
    )  # fmt: skip
    services.influx.write(bucket, letters, DEAD_LETTERS, precision="ms")
    pipeline = ui.read(services, {"view": "pipeline"})
    assert [len(pipeline[name]) for name in ("runs", "errors", "dead_letters")] == [25, 15, 15]
    assert pipeline["dead_letters"][0]["event_id"] == "e-29"  # newest first
