"""Price rules (above, below, move, band) on a series of bars: which bars fire.

A rule fires on a bar where its condition holds and did not hold on the bar before (the rule
re-arms only after the condition was false); the first bar a rule watches (its `since`, the
newest bar when it was made) fires whenever the condition holds. Everything is derived from the
bars themselves, so evaluating again, twice, or bars in another order gives the same alerts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd

from shared.alerting.firing import Firing, bar_name, price
from shared.alerting.rules import PRICE_KINDS, Rule

BARS_READ = 20
"""How many of the newest bars an evaluation judges: bars a lost or late event skipped are
caught up, as long as they are among these."""
LOOKBACK = {"above": 0, "below": 0, "band": 0, "move": 1}
"""Bars before a bar that its condition needs (a move is measured from the bar before)."""
READ = BARS_READ + max(LOOKBACK.values()) + 1
"""Bars to read for judging `BARS_READ`: whether a rule was armed needs the bar before."""


def firings(
    rules: Iterable[Rule], bars: pd.DataFrame, bands: pd.DataFrame, complete: bool
) -> list[Firing]:
    """Every alert the price rules fire on `bars` (oldest first, columns `close`, as the provider
    gave it, and `adjusted`, split- and dividend-adjusted), with `bands` (the forecast band that
    covered each bar, indexed by its time). `complete`: `bars` starts at the series' first bar;
    else the oldest bars only serve to judge the ones after them."""
    found: list[Firing] = []
    for rule in rules:
        if rule.kind in PRICE_KINDS and rule.since is not None:
            found += _rule_firings(rule, bars, bands, complete)
    return found


def _rule_firings(
    rule: Rule, bars: pd.DataFrame, bands: pd.DataFrame, complete: bool
) -> list[Firing]:
    since = pd.Timestamp(rule.since)
    holds, value, why = _condition(rule, bars, bands)
    judged_from = 0 if complete else LOOKBACK[rule.kind] + 1  # the condition on the bar before
    found = []
    for i, at in enumerate(bars.index):
        if at < since or i < judged_from:
            continue  # before the rule, or too near the oldest bar read to know if it was armed
        first = i == 0 or bars.index[i - 1] < since
        if holds(i) and (first or not holds(i - 1)):
            found.append(Firing(rule, at, value(i), why(i)))
    return found


Condition = tuple[Callable[[int], bool], Callable[[int], float | None], Callable[[int], str]]


def _condition(rule: Rule, bars: pd.DataFrame, bands: pd.DataFrame) -> Condition:
    """The rule's condition on bar i, the value it reports there, and the sentence."""
    close = bars["close"].to_numpy(dtype="float64")
    level = rule.threshold or 0.0
    where = f"{rule.symbol} ({rule.interval})"

    def when(i: int) -> str:
        return bar_name(rule.interval, bars.index[i])

    if rule.kind in ("above", "below"):
        above = rule.kind == "above"

        def crossed(i: int) -> bool:
            return close[i] > level if above else close[i] < level

        return (
            crossed,
            lambda i: float(close[i]),
            lambda i: (
                f"{where} closed at {price(close[i])}, {rule.kind} {price(level)} ({when(i)})."
            ),
        )
    if rule.kind == "move":
        adjusted = bars["adjusted"].to_numpy(dtype="float64")

        def move(i: int) -> float:
            if i == 0 or not adjusted[i - 1] > 0:
                return math.nan
            return (adjusted[i] / adjusted[i - 1] - 1) * 100

        return (
            lambda i: abs(move(i)) >= level,
            lambda i: round(move(i), 4),
            lambda i: (
                f"{where} moved {move(i):+.2f}% in one bar, to {price(close[i])} "
                f"({when(i)}; the rule: at least {level:g}%)."
            ),
        )
    band = bands.reindex(bars.index)
    lower = band["yhat_lower"].to_numpy(dtype="float64")
    upper = band["yhat_upper"].to_numpy(dtype="float64")

    def outside(i: int) -> bool:  # NaN (no band covered the bar) compares false: no alert
        return bool(close[i] < lower[i] or close[i] > upper[i])

    def sentence(i: int) -> str:
        side = "above" if close[i] > upper[i] else "below"
        return (
            f"{where} closed at {price(close[i])}, {side} the 80% band the forecast gave "
            f"({price(lower[i])} to {price(upper[i])}) for {when(i)}."
        )

    return outside, lambda i: float(close[i]), sentence
