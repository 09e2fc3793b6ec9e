"""How `auto` chooses: naive, unless a challenger beats it clearly and consistently in CV.

On daily prices the naive forecast is the one to beat and a challenger that wins one window often
won by luck, so a challenger must have at least `MARGIN` less pooled error than naive over the
cross-validation windows and less error in at least `CONSISTENCY` of those windows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.forecasting.metrics import EPSILON, WindowScore, relative

CANDIDATES = ("naive", "drift")  # prophet is not one: see docs/forecasting.md
CV_WINDOWS = 6  # at least; short horizons get more, so the windows span CV_SPAN bars ...
CV_SPAN = 60
CV_MAX_WINDOWS = 20  # ... up to this many (auto's nested CV costs windows squared)
MIN_WINDOWS = 5
MARGIN = 0.1  # tuned on the tuning series (docs/forecasting.md)
CONSISTENCY = 1.0  # share of windows; 1.0: every window


def windows(horizon: int) -> int:
    """How many cross-validation windows to use at this horizon."""
    return min(max(CV_WINDOWS, -(-CV_SPAN // horizon)), CV_MAX_WINDOWS)


@dataclass(frozen=True)
class Choice:
    """The chosen model, why, and each candidate's cross-validation scores."""

    model: str
    reason: str
    scores: dict[str, dict[str, float]]


def summary(windows: Sequence[WindowScore], naive: Sequence[WindowScore]) -> dict[str, float]:
    """A model's CV scores: pooled MAE relative to naive, share of windows it beat naive, MASE."""
    return {
        "rel_naive": relative(sum(w.mae for w in windows), sum(w.naive_mae for w in naive)),
        "wins": sum(w.mae < n.mae for w, n in zip(windows, naive, strict=True)) / len(windows),
        "mase": sum(w.mae / max(w.scale, EPSILON) for w in windows) / len(windows),
        "windows": float(len(windows)),
    }


def choose(cv: Mapping[str, Sequence[WindowScore]]) -> Choice:
    """Apply the rule to CV scores of every candidate ('naive' among them) on the same windows."""
    naive = cv["naive"]
    count = len(naive)
    scores = {name: summary(windows, naive) for name, windows in cv.items()} if count else {}
    if count < MIN_WINDOWS:
        reason = (
            f"naive: the history holds {count} cross-validation windows, fewer than the "
            f"{MIN_WINDOWS} needed to prefer another model"
        )
        return Choice("naive", reason, scores)
    challengers = [name for name in cv if name != "naive"]
    best = min(challengers, key=lambda name: scores[name]["rel_naive"])
    rel, wins = scores[best]["rel_naive"], scores[best]["wins"]
    if rel <= 1 - MARGIN and wins >= CONSISTENCY - 1e-9:
        reason = (
            f"{best}: {1 - rel:.0%} less error than naive over {count} windows, "
            f"less in {wins * count:.0f} of them"
        )
        return Choice(best, reason, scores)
    needed = math.ceil(CONSISTENCY * count - 1e-9)
    reason = (
        f"naive: no model had {MARGIN:.0%} less error than naive and less in at least "
        f"{needed} of {count} windows (best, {best}: {rel:.2f} times naive's error, less in "
        f"{wins * count:.0f})"
    )
    return Choice("naive", reason, scores)
