"""The page's views and changes in process, on the session's real influxd.

`tests/integration/ui/test_api.py` runs the same through a ui process; these calls are in
process so that mutation testing (`make mutate`) sees what they reach.
"""

from __future__ import annotations

import pandas as pd
import pytest

from shared.contract.errors import BadInput, Unprocessable
from shared.contract.schema import PRICES, PRICES_ADJUSTED
from shared.market import listings
from shared.runtime.services import Services
from shared.store import names
from shared.store.watchlist import Entry
from shared.usecases import ui
from shared.usecases.watchlist import watchlist_of
from tests.integration.ui.test_api import DAYS, seeded  # noqa: F401  (the fixture)


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
