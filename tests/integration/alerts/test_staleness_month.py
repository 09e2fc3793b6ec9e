"""A month of simulated trading days on a real influxd: the demo provider (with its clock set to
the simulated time) fails on chosen days, and the stale-data rule fires on exactly those days,
at their deadline, never on a weekend or a holiday, and once per outage.

24 November to 26 December 2025 on XNYS: Thanksgiving (27 November) and Christmas are holidays,
28 November and 24 December close at 13:00.
The fetch of each session runs 30 minutes after its close, as a tick following the exchange's
closes does; checks run every hour on the hour and a minute either side of each deadline.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from shared.contract.errors import ProviderFailed
from shared.contract.payloads import FetchRequest
from shared.market.calendar import calendar
from shared.market.exchanges import exchange_of
from shared.market.providers.demo import DemoProvider
from shared.usecases import alerts
from shared.usecases.fetch import fetch
from tests.integration.alerts.conftest import SYMBOL
from tests.support.inprocess import call

XNYS = calendar("XNYS")
DEADLINE = pd.Timedelta(minutes=90)
START, END = pd.Timestamp("2025-11-24"), pd.Timestamp("2025-12-26")
FAILING = ["2025-11-26", "2025-12-03", "2025-12-05", "2025-12-10", "2025-12-11", "2025-12-24"]
"""Sessions whose fetch fails: the day before Thanksgiving, a Wednesday, a Friday (a weekend
follows), two in a row (one outage), the early close before Christmas."""
OUTAGES = ["2025-11-26", "2025-12-03", "2025-12-05", "2025-12-10", "2025-12-24"]
"""The first session of each outage: the alerts expected."""


class Clock:
    def __init__(self) -> None:
        self.now = START.tz_localize("UTC")

    def __call__(self) -> pd.Timestamp:
        return self.now


class FailingOn(DemoProvider):
    """The demo provider on the simulated clock, failing on the chosen sessions as an
    unreachable provider does (a test double: the production code has no such hook)."""

    def __init__(self, clock: Clock, days: list[str]) -> None:
        super().__init__(now=clock)
        self.clock = clock
        self.days = {pd.Timestamp(day) for day in days}

    def rows(self, symbol: str, interval: str, **options):
        today = self.clock.now.tz_convert(XNYS.tz).tz_localize(None).normalize()
        if today in self.days:
            raise ProviderFailed("The provider is unreachable; retry later.")
        return super().rows(symbol, interval, **options)


@pytest.mark.slow
def test_a_stale_alert_fires_at_the_deadline_of_exactly_the_failed_sessions(
    services, bucket, tracked, sink
):
    from functions import alerts as alerts_function

    clock = Clock()
    provider = FailingOn(clock, FAILING)
    request = FetchRequest(SYMBOL, "daily", bucket)
    fetch(services.influx, provider, request)  # the history up to the Friday before
    made = call(
        alerts_function.SPEC,
        services,
        method="POST",
        json_body={"symbol": SYMBOL, "kind": "stale", "minutes": 90},
    )
    assert made.status == 201, made.body

    sessions = XNYS.sessions(START, END)
    closes = {day: XNYS.open_close(day)[1] for day in sessions}
    fetches = {close + pd.Timedelta(minutes=30): day for day, close in closes.items()}
    deadlines = {close + DEADLINE for close in closes.values()}
    hours = pd.date_range(START, END + pd.Timedelta(days=1), freq="h", tz="UTC")
    around = {d + pd.Timedelta(minutes=m) for d in deadlines for m in (-1, 0, 1)}
    moments = sorted(set(hours) | around | set(fetches))

    first_seen = {}
    for moment in moments:
        clock.now = moment
        if moment in fetches:
            with contextlib.suppress(ProviderFailed):
                fetch(services.influx, provider, request)
            continue
        alerts.check(services, moment, lambda entry: calendar(exchange_of(entry.symbol)))
        for event in sink.events:
            first_seen.setdefault(event["id"], moment)

    fired = {event.data["at"]: first_seen[event["id"]] for event in sink.events}
    expected = {pd.Timestamp(day): closes[pd.Timestamp(day)] + DEADLINE for day in OUTAGES}
    assert sorted(fired) == sorted(t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in expected.values())
    for at, seen in fired.items():
        assert seen == pd.Timestamp(at)  # noticed by the check at the deadline, not a minute late
    assert len(sink.events) == len(OUTAGES)  # one alert per outage, none repeated
    for early in ("2025-11-28", "2025-12-24"):
        assert closes[pd.Timestamp(early)].tz_convert(XNYS.tz).strftime("%H:%M") == "13:00"
    days = {pd.Timestamp(at).tz_convert(XNYS.tz).normalize().tz_localize(None) for at in fired}
    assert days <= set(sessions)  # never a weekend, never Thanksgiving
