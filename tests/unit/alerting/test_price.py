"""Price rules on bars: fire when the condition becomes true, re-arm when it was false again."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.alerting.firing import alert_id
from shared.alerting.price import firings
from shared.alerting.rules import Rule

DAYS = pd.date_range("2025-03-03", periods=8, freq="B", tz="UTC")
NO_BANDS = pd.DataFrame(columns=["yhat_lower", "yhat_upper"], dtype="float64")


def bars(*closes: float, adjusted: list[float] | None = None) -> pd.DataFrame:
    index = DAYS[: len(closes)]
    return pd.DataFrame({"close": closes, "adjusted": adjusted or list(closes)}, index=index)


def rule(kind: str, threshold: float | None = None, since: int = 0) -> Rule:
    return Rule("r0123456789ab", "IBM", "daily", kind, threshold, since=str(DAYS[since]))


def fired_on(found) -> list[int]:
    return [list(DAYS).index(firing.at) for firing in found]


def test_above_fires_on_crossing_and_again_only_after_falling_back():
    found = firings([rule("above", 180)], bars(170, 175, 181, 183, 179, 182), NO_BANDS, True)
    assert fired_on(found) == [2, 5]
    assert found[0].value == 181
    assert found[0].message == (
        "IBM (daily) closed at 181.00, above 180.00 (the daily bar of 2025-03-05)."
    )


def test_below_is_strict():
    assert fired_on(firings([rule("below", 100)], bars(100, 99.5), NO_BANDS, True)) == [1]


def test_the_first_bar_a_rule_watches_fires_when_the_condition_already_holds():
    found = firings([rule("above", 180, since=3)], bars(170, 175, 181, 183, 184), NO_BANDS, True)
    assert fired_on(found) == [3]


def test_bars_before_the_rule_are_not_watched():
    assert firings([rule("above", 180, since=4)], bars(181, 182, 183), NO_BANDS, True) == []


def test_the_oldest_bar_read_is_not_judged_without_the_one_before_it():
    series = bars(181, 182, 179, 181)
    assert fired_on(firings([rule("above", 180)], series, NO_BANDS, complete=False)) == [3]
    assert fired_on(firings([rule("above", 180)], series, NO_BANDS, complete=True)) == [0, 3]
    moves = bars(100, 110, 111, 100, 101)  # a move needs one bar more to be judged
    assert fired_on(firings([rule("move", 5)], moves, NO_BANDS, complete=False)) == [3]
    assert fired_on(firings([rule("move", 5)], moves, NO_BANDS, complete=True)) == [1, 3]


def test_a_move_is_measured_on_adjusted_closes_so_a_split_is_no_move():
    series = bars(400, 100, 106, 107, adjusted=[100, 100, 106, 107])  # 4:1 split on day 1
    found = firings([rule("move", 5)], series, NO_BANDS, True)
    assert fired_on(found) == [2]
    assert found[0].value == 6.0
    assert "moved +6.00% in one bar, to 106.00" in found[0].message


def test_consecutive_moves_fire_once_until_a_quiet_bar():
    series = bars(100, 110, 121, 122, 134.2)
    assert fired_on(firings([rule("move", 5)], series, NO_BANDS, True)) == [1, 4]


def test_the_band_rule_checks_the_band_that_covered_each_bar():
    bands = pd.DataFrame(
        {"yhat_lower": [95.0, 95.0, 95.0], "yhat_upper": [105.0, 105.0, 105.0]}, index=DAYS[1:4]
    )
    found = firings([rule("band")], bars(100, 100, 106, 107, 120), bands, True)
    assert fired_on(found) == [2]  # day 0 and day 4 had no band: nothing is said of them
    assert "above the 80% band the forecast gave (95.00 to 105.00)" in found[0].message


def test_an_alert_id_depends_on_the_rule_and_the_bar_only():
    first = firings([rule("above", 1)], bars(2), NO_BANDS, True)[0]
    assert first.alert_id == alert_id("r0123456789ab", DAYS[0])
    assert first.alert_id != alert_id("r0123456789ac", DAYS[0])
    assert first.alert_id != alert_id("r0123456789ab", DAYS[1])


@settings(max_examples=200, deadline=None)
@given(
    closes=st.lists(st.floats(90, 110, allow_nan=False), min_size=1, max_size=8),
    level=st.floats(95, 105),
    kind=st.sampled_from(["above", "below", "move"]),
    window=st.integers(1, 8),
)
def test_evaluating_as_bars_arrive_gives_the_alerts_of_the_whole_series(
    closes, level, kind, window
):
    """Each arrival re-evaluates the newest `window` bars (plus the one before): the union of
    what every arrival finds equals what the whole series fires, so replays change nothing."""
    whole = bars(*closes)
    the_rule = rule(kind, level if kind != "move" else 3.0)
    expected = {f.key: f for f in firings([the_rule], whole, NO_BANDS, True)}
    seen = {}
    for end in range(1, len(closes) + 1):
        start = max(0, end - window - 2)
        read = whole.iloc[start:end]
        for found in firings([the_rule], read, NO_BANDS, complete=start == 0):
            seen.setdefault(found.key, found)
            assert expected[found.key] == found
    newest_only = {k for k in expected if k[1] >= whole.index[0].value}
    assert set(seen) == newest_only
