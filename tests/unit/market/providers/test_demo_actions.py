"""The demo provider's corporate actions: NVDA and AAPL split, four symbols pay dividends."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.market.actions import adjusted, suspected_splits
from shared.market.providers.demo import DemoProvider

NOW = pd.Timestamp("2026-11-04 17:05", tz="UTC")
UTC = "UTC"
NVDA_SPLITS = [pd.Timestamp("2021-07-20", tz=UTC), pd.Timestamp("2024-06-10", tz=UTC)]


def demo(now: pd.Timestamp = NOW) -> DemoProvider:
    return DemoProvider(now=lambda: now)


def overnight(bars: pd.DataFrame) -> pd.Series:
    """Previous close over open, by the day of the open."""
    return pd.Series(bars["close"].to_numpy()[:-1] / bars["open"].to_numpy()[1:], bars.index[1:])


def test_nvda_raw_bars_drop_at_its_splits_and_the_adjusted_series_does_not():
    checked = demo().checked("NVDA", "daily")
    bars, actions = checked.bars, checked.actions
    splits = actions[actions["kind"] == "split"]
    assert splits.index.tolist() == NVDA_SPLITS and splits["ratio"].tolist() == [4.0, 10.0]
    moves = overnight(bars)
    assert moves[NVDA_SPLITS].round(0).tolist() == [4.0, 10.0]
    smooth = overnight(adjusted(bars, actions))
    assert smooth.max() < 1.2 and smooth.min() > 0.8
    assert [s.time for s in suspected_splits(bars)] == NVDA_SPLITS
    assert suspected_splits(bars, actions) == []


def test_volume_before_a_split_is_the_walks_divided_by_its_ratio():
    checked = demo().checked("AAPL", "daily")
    bars, actions = checked.bars, checked.actions
    day = pd.Timestamp("2020-08-31", tz=UTC)
    adjusted_volume = adjusted(bars, actions)["volume"]
    before = bars.index < day
    ratio = adjusted_volume[before].to_numpy() / bars["volume"][before].to_numpy()
    np.testing.assert_allclose(ratio, 4.0, rtol=1e-6)


def test_dividends_are_quarterly_on_trading_days_and_small():
    checked = demo().checked("KO", "daily")
    bars, actions = checked.bars, checked.actions
    paid = actions[actions["kind"] == "dividend"]
    assert (actions["kind"] == "dividend").all()
    assert paid.index.isin(bars.index).all()
    assert sorted(set(paid.index.month)) == [2, 5, 8, 11]
    assert len(paid) == 4 * 10 + 3  # 2016 to 2025, and 2026 up to November 4th
    closes = bars["close"].shift(1).reindex(paid.index)
    assert ((paid["amount"] / closes).between(0.005, 0.01)).all()


def test_symbols_without_actions_have_none_and_their_bars_are_unchanged():
    assert demo().actions("IBM").empty
    assert demo().checked("IBM", "daily").bars.equals(demo().bars("IBM", "daily"))


def test_actions_are_the_same_every_time_and_asking_later_only_adds_some():
    now, later = demo().actions("NVDA"), demo(NOW + pd.Timedelta(days=400)).actions("NVDA")
    pd.testing.assert_frame_equal(now, demo().actions("NVDA"))
    pd.testing.assert_frame_equal(later.loc[: now.index[-1]], now)
    assert len(later) > len(now)


def test_only_actions_after_since_come_with_new_bars():
    since = pd.Timestamp("2024-06-07", tz=UTC)
    checked = demo().checked("NVDA", "daily", since=since)
    bars, actions = checked.bars, checked.actions
    assert bars.index.min() == NVDA_SPLITS[1]
    assert actions.index.min() == NVDA_SPLITS[1] and (actions.index > since).all()
