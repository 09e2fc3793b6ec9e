"""Chart titles: symbol, interval, the forecast's model and its skill against naive."""

from __future__ import annotations

import pytest

from shared.usecases.chart import title


@pytest.mark.parametrize(
    ("interval", "model", "rel_naive", "expected"),
    [
        ("daily", "drift", 0.934, "IBM daily (UTC), drift forecast (error 0.93x naive's)"),
        (
            "5min",
            "prophet",
            1.2,
            "IBM 5min (New York sessions), prophet forecast (error 1.20x naive's)",
        ),
        ("daily", "naive", None, "IBM daily (UTC), naive forecast"),
        ("daily", "auto", float("nan"), "IBM daily (UTC), auto forecast"),
        ("daily", "drift", float("inf"), "IBM daily (UTC), drift forecast"),
        ("daily", None, None, "IBM daily (UTC), no forecast"),
    ],
)
def test_title(interval: str, model: str | None, rel_naive: float | None, expected: str) -> None:
    assert title("IBM", interval, model, rel_naive) == expected
