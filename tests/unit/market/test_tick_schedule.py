"""The market-close PingSource against every exchange's closes: each session's daily bar is asked
for within an hour of its close, early closes too, so the stale rule's default deadline (the
close plus 90 minutes) leaves half an hour for the provider and the pipeline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from devstack.mesh.manifests import load_objects
from devstack.mesh.ping import next_fire
from devstack.mesh.topology import Topology
from shared.alerting.freshness import DEFAULT_DEADLINE, freshness
from shared.contract.schema import EXCHANGES
from shared.market.calendar import calendar
from shared.market.sessions import sessions as days_of

KNATIVE = Path(__file__).resolve().parents[3] / "knative"
WITHIN = pd.Timedelta(hours=1)


def market_close():
    topology = Topology.from_objects(load_objects(KNATIVE, use_kubectl=False))
    (ping,) = [p for p in topology.ping_sources if p.name == "market-close"]
    return ping


@pytest.mark.parametrize("mic", EXCHANGES)
def test_every_close_is_followed_by_a_tick_that_asks_for_its_bar_before_it_is_stale(mic):
    ping, sessions = market_close(), calendar(mic)
    days = sessions.sessions(pd.Timestamp("2024-01-01"), pd.Timestamp("2030-12-31"))
    _, opens, closes = sessions.hours(days)
    early = (closes - opens) < (closes - opens).max() - pd.Timedelta(minutes=30)
    assert early.sum() >= 5  # early closes (half days, holiday eves) are among them
    for day, previous, close in zip(days[1:], days[:-1], closes[1:], strict=True):
        # the first tick strictly after the close (one at the close itself may find no bar yet)
        tick = pd.Timestamp(next_fire(ping, close.to_pydatetime()))
        assert tick - close <= WITHIN, f"{mic} {day:%Y-%m-%d}: the tick {tick} comes late"
        newest = pd.Timestamp(previous, tz="UTC")  # the session before's bar, at 00:00 UTC
        assert days_of(mic).bar_due(newest, "daily", tick), (
            f"{mic} {day:%Y-%m-%d} not due at {tick}"
        )
        fresh = freshness(sessions, newest, "daily", tick)
        assert fresh.missing == day and not fresh.stale
        assert fresh.deadline - tick >= DEFAULT_DEADLINE - WITHIN


def test_the_tick_runs_on_weekdays_only():
    ping = market_close()
    saturday = datetime.fromisoformat("2026-11-28T00:00:00+00:00")
    assert pd.Timestamp(next_fire(ping, saturday)) == pd.Timestamp("2026-11-30 11:30", tz="UTC")
