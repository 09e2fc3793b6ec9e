"""Corporate actions: splits and dividends, the adjustment they imply, and moves that look like one.

An actions frame has a UTC `time` index (the ex-date, 00:00 UTC) and columns `kind` (`split` or
`dividend`), `ratio` (new shares per old share, for a split) and `amount` (cash per share, for a
dividend). Adjustment follows CRSP, as Tiingo's adjusted columns do: bars before a split's ex-date
have prices divided and volume multiplied by its ratio; bars before a dividend's ex-date have prices
multiplied by 1 - amount / (the raw close of the bar before the ex-date). Volume is left alone by
dividends. Adjusting at read time from stored actions means a split that arrives late adjusts
every bar stored before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SPLIT = "split"
DIVIDEND = "dividend"
ACTION_DTYPES = {"kind": "object", "ratio": "float64", "amount": "float64"}
USUAL_SPLIT_RATIOS = (1.5, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0)
SPLIT_TOLERANCE = 0.08  # in log terms: a move within 8% of a usual ratio looks like that split


@dataclass(frozen=True)
class SuspectedSplit:
    """An overnight move near a usual split ratio, on `time`, that no stored split explains."""

    time: pd.Timestamp
    ratio: float  # new shares per old share that would explain it (below 1: a reverse split)


def empty_actions() -> pd.DataFrame:
    """No actions, typed as actions are."""
    index = pd.DatetimeIndex([], tz="UTC", name="time").as_unit("ns")
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in ACTION_DTYPES.items()}, index=index)


def splits(times: Iterable[pd.Timestamp], ratios: Iterable[float]) -> pd.DataFrame:
    """Split actions on `times` (ex-dates) with `ratios` (new shares per old)."""
    return _actions(SPLIT, times, ratios=list(ratios))


def dividends(times: Iterable[pd.Timestamp], amounts: Iterable[float]) -> pd.DataFrame:
    """Dividend actions on `times` (ex-dates) of `amounts` (cash per share)."""
    return _actions(DIVIDEND, times, amounts=list(amounts))


def actions_from_rows(
    times: pd.DatetimeIndex, split_factor: pd.Series, div_cash: pd.Series
) -> pd.DataFrame:
    """The actions a provider's daily rows carry: a split factor other than 1, a cash dividend."""
    split_rows = (split_factor.to_numpy() != 1.0) & (split_factor.to_numpy() > 0)
    dividend_rows = div_cash.to_numpy() > 0
    if not split_rows.any() and not dividend_rows.any():
        return empty_actions()  # most rows of most requests
    return combine(
        splits(times[split_rows], split_factor.to_numpy()[split_rows]),
        dividends(times[dividend_rows], div_cash.to_numpy()[dividend_rows]),
    )


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Actions from several frames by ex-date, then kind; one per (date, kind), the last given."""
    frames = tuple(f for f in frames if len(f))
    if not frames:
        return empty_actions()
    frame = pd.concat(frames)
    frame = frame[~pd.MultiIndex.from_arrays([frame.index, frame["kind"]]).duplicated(keep="last")]
    order = np.lexsort((frame["kind"].to_numpy(dtype=str), frame.index.asi8))
    return frame.iloc[order].astype(ACTION_DTYPES)


def adjusted(bars: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """`bars` (raw, ascending) adjusted for `actions`: split- and dividend-adjusted prices,
    split-adjusted volume; bars after the last action are unchanged."""
    price, volume = adjustment_factors(bars.index, bars["close"].to_numpy(), actions)
    out = bars.copy()
    for column in ("open", "high", "low", "close"):
        if column in out:
            out[column] = out[column].to_numpy() * price
    if "volume" in out:
        raw = out["volume"].to_numpy(dtype="float64", na_value=np.nan)
        shares = pd.Series(np.round(raw * volume), index=out.index)
        out["volume"] = shares.astype(out["volume"].dtype)  # int64 or InfluxDB's nullable Int64
    return out


def adjustment_factors(
    times: pd.DatetimeIndex, closes: np.ndarray, actions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Per bar, the factor its prices and its volume are multiplied by.

    Each action at ex-date d scales every bar strictly before d, once a bar on or after d is
    there (an action announced ahead is not applied early); factors compound backwards.
    """
    n = len(times)
    price_steps = np.ones(n + 1)
    volume_steps = np.ones(n + 1)
    if n == 0 or actions.empty:
        return price_steps[1:], volume_steps[1:]
    positions = np.searchsorted(times.to_numpy(), actions.index.to_numpy(), side="left")
    kinds = actions["kind"].to_numpy()
    ratios = actions["ratio"].to_numpy()
    amounts = actions["amount"].to_numpy()
    split_at = {
        p: r for p, k, r in zip(positions, kinds, ratios, strict=True) if k == SPLIT and r > 0
    }
    for position, kind, ratio, amount in zip(positions, kinds, ratios, amounts, strict=True):
        if position == 0 or position == n:
            continue  # no bar precedes it, or none follows it yet (an announced future action)
        if kind == SPLIT and ratio > 0:
            price_steps[position] /= ratio
            volume_steps[position] *= ratio
        elif kind == DIVIDEND and amount > 0:
            # the close before the ex-date, in the share basis of the ex-date
            previous = closes[position - 1] / split_at.get(position, 1.0)
            if amount < previous:  # a larger "dividend" is bad data, not an adjustment
                price_steps[position] *= 1.0 - amount / previous
    price = np.cumprod(price_steps[::-1])[::-1][1:]
    volume = np.cumprod(volume_steps[::-1])[::-1][1:]
    return price, volume


def suspected_splits(
    bars: pd.DataFrame, actions: pd.DataFrame | None = None
) -> list[SuspectedSplit]:
    """Overnight moves (previous close to open) within 8% of a usual split ratio or its reverse,
    on days without a stored split: the days worth asking a provider about."""
    if len(bars) < 2:
        return []
    overnight = np.log(bars["close"].to_numpy()[:-1] / bars["open"].to_numpy()[1:])
    candidates = np.log(np.array(USUAL_SPLIT_RATIOS))
    candidates = np.concatenate((candidates, -candidates))
    distance = np.abs(overnight[:, None] - candidates[None, :])
    nearest = distance.argmin(axis=1)
    hits = np.flatnonzero(distance[np.arange(len(overnight)), nearest] <= SPLIT_TOLERANCE)
    known = set()
    if actions is not None and len(actions):
        known = set(actions.index[actions["kind"] == SPLIT])
    found = []
    for hit in hits:
        time = bars.index[hit + 1]
        if time not in known:
            found.append(SuspectedSplit(time, float(np.exp(candidates[nearest[hit]]))))
    return found


def _actions(
    kind: str,
    times: Iterable[pd.Timestamp],
    ratios: list[float] | None = None,
    amounts: list[float] | None = None,
) -> pd.DataFrame:
    index = pd.DatetimeIndex(list(times), name="time")
    index = (index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")).normalize()
    n = len(index)
    return pd.DataFrame(
        {
            "kind": np.array([kind] * n, dtype=object),
            "ratio": np.asarray(ratios if ratios is not None else [np.nan] * n, dtype="float64"),
            "amount": np.asarray(amounts if amounts is not None else [np.nan] * n, dtype="float64"),
        },
        index=index.as_unit("ns"),
    )
