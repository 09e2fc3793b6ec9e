"""Corporate actions: splits and dividends, the adjustment they imply, and moves that look like one.

An actions frame has a UTC `time` index (the ex-date, 00:00 UTC) and columns `kind` (`split` or
`dividend`), `ratio` (new shares per old share, for a split) and `amount` (cash per share, for a
dividend). Adjustment follows the providers' own convention, which reproduces Tiingo's and Alpha
Vantage's adjusted closes to about 4e-12: bars before a split's ex-date have prices divided and
volume multiplied by its ratio; bars before a dividend's ex-date have prices multiplied by
close(ex) / (close(ex) + amount), close(ex) being the raw close of the first bar on or after the
ex-date, in that day's share basis (so a split and a dividend on one ex-date need no conversion).
CRSP's 1 - amount / close(day before) differs from it by 7.5e-6 to 1.2e-4 per dividend. Volume is
left alone by dividends. Adjusting at read time from stored actions means a split that arrives
late adjusts every bar stored before it.

Whatever is stored, adjusting never fails and never loses a bar: actions no market can have (see
`shared.market.providers.rows`, which drops them where they enter) are skipped here too, the
compound factor stays within `MAX_FACTOR` either way, and adjusted volumes stay within int64.
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
SPLIT_RATIOS = (1e-4, 1e4)
"""The plausible range of a split's ratio; outside it an action is impossible, not applied."""
MAX_FACTOR = 1e12
"""No compound adjustment goes past this either way: an action that would take it further is
skipped (real histories stay within about 1e4; nanosecond-old garbage must not reach inf or 0)."""
MAX_VOLUME = float(np.nextafter(2.0**63, 0))
"""The largest volume a float holds that still fits int64 (InfluxDB's integer fields)."""


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
            out[column] = out[column].to_numpy(dtype="float64", na_value=np.nan) * price
    if "volume" in out:
        raw = out["volume"].to_numpy(dtype="float64", na_value=np.nan)
        shares = np.clip(np.round(raw * volume), 0.0, MAX_VOLUME)  # NaN stays NaN
        if out["volume"].dtype == "int64" and np.isnan(shares).any():
            out["volume"] = pd.array(shares, dtype="Int64")
        else:  # int64 or InfluxDB's nullable Int64
            out["volume"] = pd.Series(shares, index=out.index).astype(out["volume"].dtype)
    return out


def adjustment_factors(
    times: pd.DatetimeIndex, closes: np.ndarray, actions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Per bar, the factor its prices and its volume are multiplied by.

    Each action at ex-date d scales every bar strictly before d, once a bar on or after d is
    there (an action announced ahead is not applied early); factors compound backwards. Actions
    no market can have are skipped, and so is any that would take the compound factor past
    `MAX_FACTOR`.
    """
    n = len(times)
    price = np.ones(n)
    volume = np.ones(n)
    if n == 0 or actions.empty:
        return price, volume
    closes = np.asarray(closes, dtype="float64")
    positions = np.searchsorted(times.to_numpy(), actions.index.to_numpy(), side="left")
    kinds = actions["kind"].to_numpy()
    ratios = actions["ratio"].to_numpy(dtype="float64")
    amounts = actions["amount"].to_numpy(dtype="float64")
    applied = (positions > 0) & (positions < n)  # a bar before it, and one on or after it
    with np.errstate(invalid="ignore"):
        plausible = (ratios >= SPLIT_RATIOS[0]) & (ratios <= SPLIT_RATIOS[1])
    split_at = {
        p: r for p, k, r, ok in zip(positions, kinds, ratios, applied & plausible, strict=True)
        if ok and k == SPLIT
    }  # fmt: skip
    steps = []  # (position, price step, volume step)
    for position, kind, amount, ok in zip(positions, kinds, amounts, applied, strict=True):
        if ok and kind == SPLIT and position in split_at:
            ratio = split_at[position]
            steps.append((position, 1.0 / ratio, ratio))
        elif ok and kind == DIVIDEND and _applicable(amount, closes, position, split_at):
            ex_close = closes[position]  # in the ex-date's share basis, as the amount is
            steps.append((position, ex_close / (ex_close + amount), 1.0))
    price_at = np.ones(n + 1)
    volume_at = np.ones(n + 1)
    compound = 1.0
    for position, price_step, volume_step in sorted(steps, key=lambda s: -s[0]):
        factor = compound * price_step
        if not 1 / MAX_FACTOR <= factor <= MAX_FACTOR:
            continue
        compound = factor
        price_at[position] *= price_step
        volume_at[position] *= volume_step
    return np.cumprod(price_at[::-1])[::-1][1:], np.cumprod(volume_at[::-1])[::-1][1:]


def _applicable(
    amount: float, closes: np.ndarray, position: int, split_at: dict[int, float]
) -> bool:
    """A dividend that can adjust: a positive finite amount, an ex-date close that is a price,
    and an amount below the close before the ex-date in the ex-date's share basis (that close
    divided by a split on the same ex-date): a larger one is bad data, not an adjustment."""
    ex_close = closes[position]
    if not (np.isfinite(amount) and amount > 0 and np.isfinite(ex_close) and ex_close > 0):
        return False
    previous = closes[position - 1] / split_at.get(position, 1.0)
    return not (np.isfinite(previous) and previous > 0 and amount >= previous)


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
