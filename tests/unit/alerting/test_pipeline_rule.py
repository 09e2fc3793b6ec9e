"""The failing-pipeline rule: a run of failed fetches fires once; each dead letter fires once."""

from __future__ import annotations

import json

import pandas as pd

from shared.alerting.pipeline import DeadLetter, Failure, dead_letter_firings, streak_firing
from shared.alerting.rules import Rule

RULE = Rule("r0123456789ab", "IBM", "daily", "failing", 3.0, created="2025-03-03T00:00:00Z")
T = pd.Timestamp("2025-03-04T21:30:00Z")


def failures(n: int) -> list[Failure]:
    return [Failure(T + pd.Timedelta(hours=i), "502", f"provider down {i}") for i in range(n)]


def test_a_run_of_failures_fires_once_it_is_long_enough_and_is_known_by_its_first():
    assert streak_firing(RULE, failures(2)) is None
    three, five = streak_firing(RULE, failures(3)), streak_firing(RULE, failures(5))
    assert three is not None and five is not None
    assert three.at == T and three.key == five.key and three.message == five.message
    assert three.message == (
        "fetch for IBM (daily) failed 3 times in a row from 2025-03-04 21:30 UTC; "
        "the last of them: provider down 2"
    )


def letter(at: str, event_type: str = "io.stocksmanager.fetch.requested", **data) -> DeadLetter:
    return DeadLetter(pd.Timestamp(at), event_type, "fetch", 502, "bad gateway", json.dumps(data))


def test_dead_letters_about_the_entry_since_the_rule_fire_one_alert_each():
    letters = [
        letter("2025-03-02T10:00:00Z", symbol="IBM"),  # before the rule
        letter("2025-03-04T10:00:00Z", symbol="IBM"),
        letter("2025-03-04T11:00:00Z", symbol="IBM", interval="5min"),  # another entry
        letter("2025-03-04T12:00:00Z", symbol="AAPL"),
        letter("2025-03-04T13:00:00Z", "io.stocksmanager.alert.fired", symbol="IBM"),
        DeadLetter(pd.Timestamp("2025-03-04T14:00:00Z"), "x", "", 0, "", "not json"),
        letter("2025-03-05T10:00:00Z", "io.stocksmanager.fetched", symbol="IBM", interval="daily"),
    ]
    found = dead_letter_firings(RULE, letters)
    assert [f.at.day for f in found] == [4, 5]
    assert found[0].message == (
        "An event for IBM (daily) was dead-lettered: io.stocksmanager.fetch.requested to fetch "
        "(HTTP 502: bad gateway)."
    )
