"""The tick's plan on a real influxd: what counts as a refresh, and what counts as today's spend.

`runs` points (refreshes) and the provider-request ledger's points (spend) are written with chosen
times, and the plan is made for a chosen `now`, so the day's boundary and the order of refreshes
are set by the test, not by the clock.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import PRICES, RUNS
from shared.market.budget import Limits
from shared.store import fetch_requests, ledger
from shared.store.watchlist import Entry
from shared.usecases.ledger import spending as ledger_spending
from shared.usecases.tick import plan_tick


def spending(storage, bucket: str, now: pd.Timestamp):
    return ledger_spending(storage, bucket, "demo", Limits(per_day=1, symbols_per_month=1), now)


def fetch_runs(storage, bucket: str, *runs: tuple[str, str, str]) -> None:
    """`runs` of daily fetches as (UTC time, symbol, status) triples."""
    times = pd.DatetimeIndex([pd.Timestamp(t, tz="UTC") for t, _, _ in runs], name="time")
    frame = pd.DataFrame(
        {
            "function": "fetch",
            "interval": "daily",
            "status": [status for _, _, status in runs],
            "symbol": [symbol for _, symbol, _ in runs],
            "points": 1,
            "seconds": 0.1,
            "error": "",
        },
        index=times,
    )
    storage.write(bucket, frame, RUNS, precision="ms")
    for time, symbol, status in runs:  # each fetch made one provider request
        entry = ledger.Entry(
            pd.Timestamp(time, tz="UTC").value, "demo", symbol, "daily", symbol + time
        )
        ledger.write(storage, bucket, entry, ledger.SPENT, 200 if status == "ok" else int(status))


def symbols(entries: list[Entry]) -> list[str]:
    return [entry.symbol for entry in entries]


def test_a_failed_fetch_is_spent_but_not_a_refresh(storage, bucket):
    fetch_runs(
        storage,
        bucket,
        ("2026-11-26T15:00:00", "AAA", "ok"),  # refreshed yesterday
        ("2026-11-27T14:00:00", "BBB", "429"),  # tried today and refused: never refreshed
    )
    plan = plan_tick(
        storage,
        bucket,
        [Entry("AAA"), Entry("BBB")],
        Limits(per_day=2),
        now=pd.Timestamp("2026-11-27T15:00:00", tz="UTC"),
    )
    assert plan.spent_today == 1  # the provider counted the refused request
    assert symbols(plan.requested) == ["BBB"] and symbols(plan.deferred) == ["AAA"]


def test_the_oldest_refresh_goes_first(storage, bucket):
    fetch_runs(
        storage,
        bucket,
        ("2026-11-20T15:00:00", "OLD", "ok"),
        ("2026-11-25T15:00:00", "NEW", "ok"),
        ("2026-11-18T15:00:00", "NEW", "ok"),  # an older refresh of NEW does not make it old
    )
    entries = [Entry("NEW"), Entry("OLD"), Entry("NEVER")]
    plan = plan_tick(
        storage,
        bucket,
        entries,
        Limits(per_day=None),
        pd.Timestamp("2026-11-27T15:00:00", tz="UTC"),
    )
    assert symbols(plan.requested) == ["NEVER", "OLD", "NEW"] and plan.deferred == []
    assert plan.limits.per_day is None and plan.spent_today == 0


def test_spent_today_counts_from_midnight_utc_not_the_last_24_hours(storage, bucket):
    fetch_runs(
        storage,
        bucket,
        ("2026-11-26T23:30:00", "AAA", "ok"),  # within 24 hours, but yesterday
        ("2026-11-26T23:59:59.999", "BBB", "503"),
        ("2026-11-27T00:00:00", "CCC", "ok"),  # midnight itself is today
        ("2026-11-27T00:30:00", "DDD", "502"),
    )
    entries = [Entry(s) for s in ("AAA", "BBB", "CCC", "DDD", "EEE")]
    plan = plan_tick(
        storage, bucket, entries, Limits(per_day=5), pd.Timestamp("2026-11-27T01:00:00", tz="UTC")
    )
    assert plan.spent_today == 2
    assert len(plan.requested) == 3 and len(plan.deferred) == 2


def test_the_day_is_the_utc_day_whatever_zone_now_is_given_in(storage, bucket):
    fetch_runs(storage, bucket, ("2026-11-26T06:00:00", "AAA", "ok"))
    # 21:00 in New York on the 26th is 02:00 UTC on the 27th: the 06:00 UTC run was yesterday
    now = pd.Timestamp("2026-11-26T21:00:00", tz="America/New_York")
    plan = plan_tick(storage, bucket, [Entry("AAA")], Limits(per_day=1), now)
    assert plan.spent_today == 0 and symbols(plan.requested) == ["AAA"]


def test_no_budget_left_defers_everything(storage, bucket):
    fetch_runs(storage, bucket, *[(f"2026-11-27T0{i}:00:00", f"S{i}", "ok") for i in range(3)])
    entries = [Entry("S0"), Entry("S1")]
    plan = plan_tick(
        storage, bucket, entries, Limits(per_day=2), pd.Timestamp("2026-11-27T12:00:00", tz="UTC")
    )
    assert plan.spent_today == 3 and plan.requested == []
    assert symbols(plan.deferred) == ["S0", "S1"]


def test_a_watchlist_without_runs_spends_nothing(settings, bucket):
    from shared.influx.client import InfluxClient

    plan = plan_tick(
        InfluxClient(settings.influx),
        bucket,  # never created: no runs yet
        [Entry("AAA")],
        Limits(per_day=25),
        pd.Timestamp("2026-11-27T12:00:00", tz="UTC"),
    )
    assert plan.spent_today == 0 and symbols(plan.requested) == ["AAA"]


def test_a_symbol_of_digits_keeps_its_refresh(storage, bucket):
    """`runs` keeps the symbol as a string field: read back, "0700" must not become 700."""
    fetch_runs(
        storage,
        bucket,
        ("2026-11-20T15:00:00", "0005", "ok"),
        ("2026-11-26T15:00:00", "0700", "ok"),
    )
    entries = [Entry("0700"), Entry("0005"), Entry("1")]
    plan = plan_tick(
        storage,
        bucket,
        entries,
        Limits(per_day=None),
        pd.Timestamp("2026-11-27T15:00:00", tz="UTC"),
    )
    assert symbols(plan.requested) == ["1", "0005", "0700"]


def test_an_hourly_limit_defers_what_the_last_hour_has_used(storage, bucket):
    """Tiingo-like limits: 2 an hour; one fetch 30 minutes ago leaves room for one more."""
    fetch_runs(storage, bucket, ("2026-11-27T14:30:00", "OLD", "ok"))
    entries = [Entry("AAA"), Entry("BBB"), Entry("OLD")]
    now = pd.Timestamp("2026-11-27T15:00:00", tz="UTC")
    plan = plan_tick(storage, bucket, entries, Limits(per_day=100, per_hour=2), now)
    assert symbols(plan.requested) == ["AAA"] and symbols(plan.deferred) == ["BBB", "OLD"]
    assert plan.summary("t", [])["hourly_limit"] == 2


def test_a_full_month_of_distinct_symbols_defers_new_ones_but_not_known_ones(storage, bucket):
    fetch_runs(storage, bucket, ("2026-11-02T15:00:00", "KNOWN", "ok"))
    entries = [Entry("NEW"), Entry("KNOWN")]
    now = pd.Timestamp("2026-11-27T15:00:00", tz="UTC")
    plan = plan_tick(storage, bucket, entries, Limits(symbols_per_month=1), now)
    assert symbols(plan.requested) == ["KNOWN"] and symbols(plan.deferred) == ["NEW"]


def test_a_refresh_older_than_the_lookback_counts_as_never(storage, bucket):
    fetch_runs(storage, bucket, ("2026-10-20T15:00:00", "AAA", "ok"))  # 38 days before now
    now = pd.Timestamp("2026-11-27T15:00:00", tz="UTC")
    plan = plan_tick(storage, bucket, [Entry("BBB"), Entry("AAA")], Limits(per_day=None), now)
    assert symbols(plan.requested) == ["AAA", "BBB"]  # both never refreshed: by symbol


def test_spending_reads_this_months_symbols_and_the_last_days_requests(storage, bucket):
    fetch_runs(
        storage,
        bucket,
        ("2026-10-31T10:00:00", "OCTOBER", "ok"),  # last month, over a day before
        ("2026-11-01T10:00:00", "FIRST", "429"),  # this month, refused: still spent
        ("2026-11-03T08:00:00", "TODAY", "ok"),
    )
    spent = spending(storage, bucket, pd.Timestamp("2026-11-03T12:00:00", tz="UTC"))
    assert spent.symbols_this_month == {"FIRST", "TODAY"}
    assert spent.times == (pd.Timestamp("2026-11-03T08:00:00", tz="UTC"),)


def test_early_in_the_month_the_last_day_reaches_into_the_last_month(storage, bucket):
    fetch_runs(storage, bucket, ("2026-10-31T20:00:00", "LATE", "ok"))
    spent = spending(storage, bucket, pd.Timestamp("2026-11-01T05:00:00", tz="UTC"))
    assert spent.times == (pd.Timestamp("2026-10-31T20:00:00", tz="UTC"),)
    assert spent.symbols_this_month == frozenset()


def newest_bar(storage, bucket: str, symbol: str, interval: str, time: pd.Timestamp) -> None:
    frame = pd.DataFrame(
        {"symbol": symbol, "interval": interval, "open": 1.0, "high": 1.0, "low": 1.0,
         "close": 1.0, "volume": 1},
        index=pd.DatetimeIndex([time.tz_convert("UTC")], name="time"),
    )  # fmt: skip
    storage.write(bucket, frame, PRICES)


def test_an_entry_with_no_session_since_its_newest_bar_is_current_and_not_requested(
    storage, bucket
):
    new_york = "America/New_York"
    for symbol, interval, newest in [
        ("IBM", "daily", pd.Timestamp("2025-11-28", tz="UTC")),  # the last session
        ("KO", "daily", pd.Timestamp("2025-11-26", tz="UTC")),  # one session behind
        ("BP.LON", "daily", pd.Timestamp("2025-11-28", tz="UTC")),
        ("AAPL", "5min", pd.Timestamp("2025-11-28 12:55", tz=new_york)),  # before the early close
        ("MSFT", "5min", pd.Timestamp("2025-11-28 12:00", tz=new_york)),
    ]:
        newest_bar(storage, bucket, symbol, interval, newest)
    entries = [
        Entry("IBM", bucket=bucket),
        Entry("KO", bucket=bucket),
        Entry("BP.LON", bucket=bucket),
        Entry("AAPL", "5min", bucket),
        Entry("MSFT", "5min", bucket),
        Entry("NVDA", bucket=bucket),  # nothing stored yet
    ]
    saturday = pd.Timestamp("2025-11-29 12:00", tz="UTC")
    plan = plan_tick(storage, bucket, entries, Limits(), now=saturday)
    assert symbols(plan.current) == ["IBM", "BP.LON", "AAPL"]
    assert sorted(symbols(plan.requested)) == ["KO", "MSFT", "NVDA"] and plan.deferred == []
    monday_close = pd.Timestamp("2025-12-01 16:00", tz=new_york)
    plan = plan_tick(storage, bucket, entries, Limits(), now=monday_close)
    assert plan.current == [] and len(plan.requested) == len(entries)


def test_an_entry_asked_for_in_the_last_ten_minutes_is_in_flight_and_left_alone(storage, bucket):
    asked = pd.Timestamp("2026-11-27T15:00:00", tz="UTC")
    fetch_requests.record(storage, bucket, [("AAA", "daily"), ("BBB", "5min")], "tick", asked)
    entries = [Entry("AAA"), Entry("AAA", "5min"), Entry("BBB", "5min"), Entry("CCC")]
    plan = plan_tick(storage, bucket, entries, Limits(), asked + pd.Timedelta(minutes=9))
    assert [e.key for e in plan.in_flight] == [("AAA", "daily"), ("BBB", "5min")]
    assert [e.key for e in plan.requested] == [("AAA", "5min"), ("CCC", "daily")]
    plan = plan_tick(storage, bucket, entries, Limits(), asked + pd.Timedelta(minutes=11))
    assert plan.in_flight == [] and len(plan.requested) == len(entries)


def test_fetch_requests_read_back_with_their_symbol_interval_and_requester(storage, bucket):
    at = pd.Timestamp("2026-11-27T15:00:00.125", tz="UTC")
    fetch_requests.record(storage, bucket, [("AAA", "daily"), ("B B", "5min")], "track", at)
    fetch_requests.record(storage, bucket, [], "tick", at)  # nothing asked: nothing written
    assert fetch_requests.since(storage, bucket, at) == {("AAA", "daily"), ("B B", "5min")}
    assert fetch_requests.since(storage, bucket, at + pd.Timedelta(milliseconds=1)) == set()
    stored = storage.query(bucket, 'SELECT * FROM "fetch_requests"')
    assert sorted(stored["requester"]) == ["track", "track"]
    assert set(stored.index) == {at}


def test_a_refresh_is_of_its_own_interval_and_the_newest_counts(storage, bucket):
    fetch_runs(
        storage,
        bucket,
        ("2026-11-20T15:00:00", "AAA", "ok"),
        ("2026-11-26T15:00:00", "AAA", "ok"),  # AAA daily: refreshed yesterday
        ("2026-11-25T15:00:00", "BBB", "ok"),  # BBB daily: the day before
    )
    now = pd.Timestamp("2026-11-27T15:00:00", tz="UTC")
    entries = [Entry("AAA"), Entry("BBB"), Entry("AAA", "5min")]  # AAA 5min: never refreshed
    plan = plan_tick(storage, bucket, entries, Limits(per_day=10), now)
    assert [e.key for e in plan.requested] == [("AAA", "5min"), ("BBB", "daily"), ("AAA", "daily")]
