"""Timing helpers: best of several repetitions, each after an untimed set-up."""

from __future__ import annotations

import time
from collections.abc import Callable

REPEATS = 3


def best_of(
    action: Callable[[], object], setup: Callable[[], object] = lambda: None, repeats: int = REPEATS
) -> float:
    """The shortest of `repeats` timed runs of `action`, in seconds."""
    times = []
    for _ in range(repeats):
        setup()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def best_of_alternating(
    first: Callable[[], object],
    second: Callable[[], object],
    setup: Callable[[], object] = lambda: None,
    repeats: int = REPEATS,
) -> tuple[float, float]:
    """The shortest timed runs of two actions taken in turn, so drift in the machine hits both."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for action, taken in zip((first, second), times, strict=True):
            setup()
            started = time.perf_counter()
            action()
            taken.append(time.perf_counter() - started)
    return min(times[0]), min(times[1])
