"""Freshness and the stale rule on the exchange calendar: deadlines after each session's close,
never on a weekend or holiday, moved by early closes."""

from __future__ import annotations

import pandas as pd
import pytest

from shared.alerting.freshness import freshness, session_of, stale_firing
from shared.alerting.rules import Rule
from shared.market.calendar import calendar

XNYS = calendar("XNYS")
RULE = Rule("r0123456789ab", "IBM", "daily", "stale", 90.0)


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="America/New_York").tz_convert("UTC")


def bar(date: str) -> pd.Timestamp:
    return pd.Timestamp(date, tz="UTC")  # daily bars are stamped at 00:00 UTC of their date


def test_fresh_until_the_next_sessions_deadline_then_stale_since_it():
    newest = bar("2025-11-18")  # a Tuesday
    before = freshness(XNYS, newest, "daily", at("2025-11-19 17:29"))
    after = freshness(XNYS, newest, "daily", at("2025-11-19 17:30"))
    assert before.as_dict() == {
        "as_of": "2025-11-18",
        "state": "fresh",
        "stale_since": None,
        "missing": None,
        "due": "2025-11-19T22:30:00Z",
    }
    assert after.as_dict()["state"] == "stale"
    assert after.as_dict()["stale_since"] == "2025-11-19T22:30:00Z"
    assert after.as_dict()["missing"] == "2025-11-19"


def test_a_weekend_and_a_holiday_are_never_missing_and_an_early_close_moves_the_deadline():
    friday = freshness(XNYS, bar("2025-11-21"), "daily", at("2025-11-23 23:00"))
    assert friday.state == "fresh"  # Saturday and Sunday have no session
    wednesday = bar("2025-11-26")  # Thursday 27 is Thanksgiving, Friday 28 closes at 13:00
    assert freshness(XNYS, wednesday, "daily", at("2025-11-27 23:59")).state == "fresh"
    assert freshness(XNYS, wednesday, "daily", at("2025-11-28 14:29")).state == "fresh"
    stale = freshness(XNYS, wednesday, "daily", at("2025-11-28 14:30"))
    assert (stale.state, stale.as_dict()["missing"]) == ("stale", "2025-11-28")


def test_the_stale_alert_is_known_by_the_first_missing_session_while_data_stays_missing():
    newest = bar("2025-11-18")
    first = stale_firing(RULE, freshness(XNYS, newest, "daily", at("2025-11-19 17:30")), XNYS.tz)
    later = stale_firing(RULE, freshness(XNYS, newest, "daily", at("2025-11-21 20:00")), XNYS.tz)
    assert first is not None and later is not None
    assert first.key == later.key and first.at == at("2025-11-19 17:30")
    assert first.message == (
        "IBM (daily) is stale: no bar for the session of 2025-11-19 by 17:30 EST (90 minutes "
        "after its close); the newest is of 2025-11-18."
    )
    fresh = freshness(XNYS, newest, "daily", at("2025-11-19 17:00"))
    assert stale_firing(RULE, fresh, XNYS.tz) is None


def test_without_any_bar_the_wait_starts_at_the_first_session_closing_after_the_rule():
    made = at("2025-11-19 12:00")
    waiting = freshness(XNYS, None, "daily", at("2025-11-19 17:00"), watching_since=made)
    assert (waiting.state, waiting.as_dict()["due"]) == ("no data", "2025-11-19T22:30:00Z")
    late = freshness(XNYS, None, "daily", at("2025-11-19 17:30"), watching_since=made)
    assert late.stale and stale_firing(RULE, late, XNYS.tz) is not None
    assert freshness(XNYS, None, "daily", at("2025-11-19 17:30")).state == "no data"


@pytest.mark.parametrize(
    ("stamp", "interval", "session"),
    [
        ("2025-11-18T00:00:00Z", "daily", "2025-11-18"),
        ("2025-11-18T20:55:00Z", "5min", "2025-11-18"),  # 15:55 in New York
        ("2025-11-19T01:00:00Z", "60min", "2025-11-18"),  # 20:00 the day before in New York
    ],
)
def test_a_bar_belongs_to_its_date_where_the_exchange_is(stamp, interval, session):
    assert session_of(pd.Timestamp(stamp), interval, XNYS.tz) == pd.Timestamp(session)
