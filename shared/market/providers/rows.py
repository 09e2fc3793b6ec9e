"""The provider boundary: every provider's rows are checked here, once, and impossible ones dropped.

A provider's answer is first read for its structure by the provider's own parser (a body that is
not rows at all, or is cut short, is `ProviderFailed`: 502, nothing written). What the parser
reads is `Rows`: times (NaT where a date is missing or unreadable) and cells as the body gave them
(text, JSON values, numbers). `check` types and checks every cell and drops, one by one, the rows
and corporate actions no market can have, recording each drop (`Dropped`) so fetch can say what it
left out. Refusing the whole answer instead would freeze a symbol: the same bad row comes back on
every fetch of a long history. What `check` keeps meets the contract:

- a bar is dated from 1900 to the provider's now plus one day; its prices are finite and above
  zero, its high not below its low; its volume a whole number from 0 to 2**63 - 1;
- a split's ratio (new shares per old) is finite, from 1e-4 to 1e4, and not 1;
- a dividend is finite, above zero and below the close before its ex-date (in the ex-date's share
  basis) when that close is known; an action is dated from 1900 to a year after the provider's now
  (dividends are declared weeks before they go ex).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shared.market.actions import DIVIDEND, SPLIT, combine, empty_actions
from shared.market.providers.base import as_utc, finish

EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")
"""No bar or action is older: the oldest exchange histories providers serve start after it."""
LATEST_AHEAD = pd.Timedelta(days=1)
"""How far past the provider's now a bar may be stamped (a daily bar is stamped at 00:00 UTC)."""
ACTIONS_AHEAD = pd.Timedelta(days=366)
"""How far ahead an announced action may be dated."""
MAX_VOLUME = int(np.iinfo(np.int64).max)
MIN_SPLIT_RATIO, MAX_SPLIT_RATIO = 1e-4, 1e4
PRICE_FIELDS = ("open", "high", "low", "close")
EXAMPLES = 5
DIGITS = r"[0-9]{1,18}"  # ASCII digits below 10**18: inside int64 whatever they are


@dataclass(frozen=True)
class Dropped:
    """What `check` left out: a count per reason and the first few items, for an operator."""

    reasons: Counter[str] = field(default_factory=Counter)
    examples: tuple[str, ...] = ()

    def __len__(self) -> int:
        return sum(self.reasons.values())

    def __add__(self, other: Dropped) -> Dropped:
        return Dropped(self.reasons + other.reasons, (self.examples + other.examples)[:EXAMPLES])

    def summary(self) -> str:
        """One sentence: how many were dropped and why ('' when none were)."""
        if not self:
            return ""
        reasons = ", ".join(f"{reason} ({n})" for reason, n in self.reasons.most_common())
        return f"Dropped {len(self)} impossible provider rows or actions: {reasons}."


@dataclass(frozen=True)
class Rows:
    """A provider's answer read but not checked: bars and the actions that came with them.

    `bars` is indexed by UTC times (NaT where unreadable) with the columns open, high, low, close
    and volume holding the body's cells; `actions` is an actions frame (kind, ratio, amount) whose
    values are not checked yet; `now` is the provider's clock when it answered.
    """

    bars: pd.DataFrame
    now: pd.Timestamp
    actions: pd.DataFrame = field(default_factory=empty_actions)


@dataclass(frozen=True)
class Checked:
    """Contract bars and actions, and what was dropped to get them."""

    bars: pd.DataFrame
    actions: pd.DataFrame
    dropped: Dropped = field(default_factory=Dropped)


class Source:
    """What every provider is: `rows` read from its answer; checked bars and actions from them."""

    name: str

    def rows(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> Rows:
        """The provider's answer for bars of `symbol` at `interval`, read but not checked.

        `since` asks only for what is newer (bars strictly after it, where the provider can say
        so); `month` (YYYY-MM) asks for that month of intraday history.
        """
        raise NotImplementedError

    def checked(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
        before: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    ) -> Checked:
        """Contract bars after `since` and the actions that came with them, impossible ones
        dropped (`check`; `before` is the newest stored bar)."""
        return check(self.rows(symbol, interval, since=since, month=month), since, before)

    def bars(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> pd.DataFrame:
        """Contract bars of `symbol` at `interval` after `since`: a UTC `time` index, ascending,
        columns open, high, low, close, volume."""
        return self.checked(symbol, interval, since=since, month=month).bars


def check(
    rows: Rows,
    since: pd.Timestamp | None = None,
    before: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
) -> Checked:
    """The contract bars and actions in `rows` after `since`; impossible ones dropped.

    `before` is the newest stored bar (a frame with its close, or a callable reading it when it
    is needed): the close a dividend on the first new bar is checked against.
    """
    bars, dropped = check_bars(rows.bars, rows.now, since)
    raw_actions = rows.actions
    if since is not None and len(raw_actions):
        raw_actions = raw_actions[~(raw_actions.index <= as_utc(since))]
    actions, dropped_actions = check_actions(raw_actions, rows.now, bars, before)
    return Checked(bars, actions, dropped + dropped_actions)


def check_bars(
    frame: pd.DataFrame, now: pd.Timestamp, since: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, Dropped]:
    """Contract bars from read rows (after `since`), and the rows dropped as impossible."""
    times = pd.DatetimeIndex(frame.index)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    reasons = np.full(len(frame), "", dtype=object)
    latest = as_utc(now) + LATEST_AHEAD
    _mark(reasons, times.isna(), "bar without a readable date")
    _mark(reasons, _before(times, EARLIEST), f"bar dated before {EARLIEST:%Y}")
    _mark(reasons, _after(times, latest), f"bar dated after {latest:%Y-%m-%d}")
    old = _at_or_before(times, since) & (reasons == "")  # stored already: not checked again
    prices = {name: numbers(frame[name]) for name in PRICE_FIELDS}
    for values in prices.values():
        _mark(reasons, np.isnan(values), "bar with a price missing or not a number")
        impossible = ~np.isnan(values) & ~(np.isfinite(values) & (values > 0))
        _mark(reasons, impossible, "bar with a price infinite, zero or negative")
    _mark(reasons, prices["high"] < prices["low"], "bar with its high below its low")
    volume = whole_numbers(frame["volume"])
    _mark(reasons, volume.isna().to_numpy(), "bar with a volume not a whole number in int64")
    keep = (reasons == "") & ~old
    dropped = _dropped(times, np.where(old, "", reasons))
    kept = pd.DataFrame(
        {
            **{name: values[keep] for name, values in prices.items()},
            "volume": volume[keep].to_numpy(dtype="int64"),
        },
        index=times[keep].as_unit("ns"),
    )
    return finish(kept, since), dropped


def check_actions(
    actions: pd.DataFrame,
    now: pd.Timestamp,
    bars: pd.DataFrame | None = None,
    before: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, Dropped]:
    """Contract actions from read ones, and the ones dropped as impossible.

    A dividend is checked against the close before its ex-date when `bars` (new, checked) or
    `before` (the newest stored bar) holds it; others are checked again where they are applied.
    """
    if actions.empty:
        return empty_actions(), Dropped()
    times = pd.DatetimeIndex(actions.index)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    kinds = actions["kind"].to_numpy()
    ratios = actions["ratio"].to_numpy(dtype="float64")
    amounts = actions["amount"].to_numpy(dtype="float64")
    reasons = np.full(len(actions), "", dtype=object)
    latest = as_utc(now) + ACTIONS_AHEAD
    _mark(reasons, times.isna(), "action without a readable ex-date")
    out_of_range = _before(times, EARLIEST) | _after(times, latest)
    _mark(reasons, out_of_range, f"action dated before {EARLIEST:%Y} or after {latest:%Y-%m-%d}")
    splits, dividends = kinds == SPLIT, kinds == DIVIDEND
    with np.errstate(invalid="ignore"):
        plausible = (ratios >= MIN_SPLIT_RATIO) & (ratios <= MAX_SPLIT_RATIO)
        positive = np.isfinite(amounts) & (amounts > 0)
    ratio_range = f"{MIN_SPLIT_RATIO:g} to {MAX_SPLIT_RATIO:g}"
    _mark(reasons, splits & ~plausible, f"split with a ratio not from {ratio_range}")
    _mark(reasons, dividends & ~positive, "dividend not a positive finite amount")
    _mark(reasons, ~(splits | dividends), "action of an unknown kind")
    candidates = dividends & positive & (reasons == "")  # dated in range: the rest are dropped
    too_large = _not_below_close(times, amounts, actions, candidates, bars, before)
    _mark(reasons, too_large, "dividend not below the close before it")
    keep = reasons == ""
    kept = actions[keep].set_axis(times[keep].normalize().as_unit("ns").rename("time"))
    return combine(kept), _dropped(times, reasons)


def read_actions(
    split: tuple[pd.DatetimeIndex, np.ndarray] | None = None,
    dividend: tuple[pd.DatetimeIndex, np.ndarray] | None = None,
) -> pd.DataFrame:
    """An actions frame of read, unchecked values: `split` (ex-dates, ratios) and `dividend`
    (ex-dates, amounts); times as read (NaT where unreadable, any year)."""
    parts = []
    for kind, given in ((SPLIT, split), (DIVIDEND, dividend)):
        if given is None or not len(given[0]):
            continue
        times, values = given
        values = np.asarray(values, dtype="float64")
        empty = np.full(len(values), np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "kind": np.array([kind] * len(values), dtype=object),
                    "ratio": values if kind == SPLIT else empty,
                    "amount": values if kind == DIVIDEND else empty,
                },
                index=pd.DatetimeIndex(times, name="time"),
            )
        )
    return pd.concat(parts) if parts else empty_actions()


def numbers(cells: pd.Series) -> np.ndarray:
    """Cells as float64: numbers as they are, number texts parsed, anything else NaN.

    Booleans, lists and objects (a JSON body may hold any) are not numbers.
    """
    if pd.api.types.is_float_dtype(cells.dtype) or pd.api.types.is_integer_dtype(cells.dtype):
        return cells.to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_bool_dtype(cells.dtype):
        return np.full(len(cells), np.nan)
    return np.fromiter((_number(v) for v in cells), dtype="float64", count=len(cells))


def whole_numbers(cells: pd.Series) -> pd.Series:
    """Cells as nullable Int64: whole numbers from 0 to `MAX_VOLUME`, NA for anything else.

    All-digit texts short enough to fit int64 convert at once; the rest cell by cell.
    """
    if pd.api.types.is_integer_dtype(cells.dtype) and not pd.api.types.is_bool_dtype(cells.dtype):
        values = cells.astype("Int64")
        return values.where(values >= 0).astype("Int64")
    texts = pd.api.types.infer_dtype(cells, skipna=False) == "string"
    if texts and cells.str.fullmatch(DIGITS).all():
        return cells.astype("int64").astype("Int64")
    return pd.Series([_whole(v) for v in cells], index=cells.index, dtype="Int64")


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None:
        return np.nan
    if isinstance(value, float):
        return value
    if isinstance(value, int | np.integer):
        try:
            return float(value)
        except OverflowError:  # an integer past float's range: not a price
            return np.inf
    if isinstance(value, str | bytes):
        try:
            return float(value)
        except (ValueError, OverflowError):
            return np.nan
    if isinstance(value, np.floating):
        return float(value)
    return np.nan


def _whole(value: object) -> int | None:
    """A whole number from 0 to `MAX_VOLUME`, or None: 12, "12", 12.0 and "1.2e1" are 12."""
    if isinstance(value, bool) or value is None:
        return None
    digits = isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19
    if digits or isinstance(value, int | np.integer):
        number = int(value)  # type: ignore[call-overload]
    elif isinstance(value, float | np.floating | str):
        try:
            real = float(value)
        except (ValueError, OverflowError):
            return None
        if not (np.isfinite(real) and real == int(real) and real < 2.0**63):
            return None
        number = int(real)
    else:
        return None
    return number if 0 <= number <= MAX_VOLUME else None


def _not_below_close(
    times: pd.DatetimeIndex,
    amounts: np.ndarray,
    actions: pd.DataFrame,
    candidates: np.ndarray,
    bars: pd.DataFrame | None,
    before: pd.DataFrame | Callable[[], pd.DataFrame] | None,
) -> np.ndarray:
    """Per action, whether it is one of the `candidates` (dividends dated in range) at least the
    close before its ex-date, when that close is known.

    The close is taken in the ex-date's share basis: divided by a split on the same ex-date.
    """
    result = np.zeros(len(times), dtype=bool)
    at = np.flatnonzero(candidates)
    if not len(at):
        return result
    when = times[at].as_unit("ns")  # in range, so nanoseconds hold them
    known = bars["close"] if bars is not None and len(bars) else pd.Series(dtype="float64")
    first_new = known.index.min() if len(known) else None
    if before is not None and (first_new is None or (when <= first_new).any()):
        stored = before() if callable(before) else before
        if stored is not None and len(stored):
            known = pd.concat([stored["close"].astype("float64"), known])
    known = known[~known.index.duplicated(keep="last")].sort_index()
    if known.empty:
        return result
    split_on = {
        t: r for t, k, r in zip(times, actions["kind"], actions["ratio"], strict=True) if k == SPLIT
    }
    positions = known.index.searchsorted(when, side="left")
    for i, position in zip(at, positions, strict=True):
        if position == 0 or position == len(known):
            continue  # no bar known before it, or none after it: the bar before may be unknown
        ratio = split_on.get(times[i], 1.0)
        previous = known.iloc[position - 1] / (ratio if np.isfinite(ratio) and ratio > 0 else 1.0)
        result[i] = bool(np.isfinite(previous) and previous > 0 and amounts[i] >= previous)
    return result


def _before(times: pd.DatetimeIndex, bound: pd.Timestamp) -> np.ndarray:
    return np.asarray((times < bound) & ~times.isna())


def _after(times: pd.DatetimeIndex, bound: pd.Timestamp) -> np.ndarray:
    return np.asarray((times > bound) & ~times.isna())


def _at_or_before(times: pd.DatetimeIndex, since: pd.Timestamp | None) -> np.ndarray:
    if since is None:
        return np.zeros(len(times), dtype=bool)
    return np.asarray((times <= as_utc(since)) & ~times.isna())


def _mark(reasons: np.ndarray, where: np.ndarray, reason: str) -> None:
    """Give `reason` to the rows in `where` that have none yet (the first reason found counts)."""
    reasons[np.asarray(where, dtype=bool) & (reasons == "")] = reason


def _dropped(times: pd.DatetimeIndex, reasons: np.ndarray) -> Dropped:
    at = np.flatnonzero(reasons != "")
    if not len(at):
        return Dropped()
    counts = Counter(str(reason) for reason in reasons[at])
    examples = tuple(
        f"{'no date' if pd.isna(times[i]) else f'{times[i]:%Y-%m-%d}'}: {reasons[i]}"
        for i in at[:EXAMPLES]
    )
    return Dropped(counts, examples)
