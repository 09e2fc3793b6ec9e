"""An offline, deterministic provider: realistic bars seeded by the symbol, no network.

It knows the listings of `shared.market.listings` (a few dozen real tickers, DEMO1 to DEMO999)
and refuses any other symbol (422), so no made-up ticker looks like a real stock. Daily bars are a
geometric random walk from a fixed origin (2016-01-04) over the sessions of the symbol's exchange
that have closed, its start price, drift, volatility and volume drawn from a stable hash of the
symbol; a bar depends only on the symbol and its date, never on the day it is asked for, so asking
later only adds bars. Intraday bars (US listings only, like the real providers') of a session are
1-minute Brownian bridges from its open to its close (an early close ends them early) from that
day's daily open to its close, kept inside its daily high and low and sharing out its daily
volume, seeded by (symbol, day); coarser intervals aggregate them.

A few symbols have corporate actions, fixed here: NVDA and AAPL split on their real ex-dates, so
their raw bars drop overnight as the real ones did (the walk is the split-adjusted series), and
AAPL, MSFT, NVDA and KO pay quarterly dividends (ex-dates: the first trading day from the 15th of
February, May, August and November).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from shared.contract.schema import INTRADAY_INTERVALS
from shared.market import listings
from shared.market.actions import combine, dividends, splits
from shared.market.calendar import ExchangeCalendar, calendar
from shared.market.exchanges import check_intraday, exchange_of
from shared.market.providers.base import as_utc, check_request, empty_bars, finish
from shared.market.providers.rows import Rows, Source

ORIGIN = pd.Timestamp("2016-01-04")
RECENT_DAYS = 30
TRADING_DAYS = 252
SPLITS = {
    "NVDA": ((pd.Timestamp("2021-07-20"), 4.0), (pd.Timestamp("2024-06-10"), 10.0)),
    "AAPL": ((pd.Timestamp("2020-08-31"), 4.0),),
}
QUARTERLY_YIELD = {"AAPL": 0.0012, "MSFT": 0.002, "NVDA": 0.0003, "KO": 0.0075}
DIVIDEND_MONTHS = (2, 5, 8, 11)


class DemoProvider(Source):
    """Synthetic bars for the known listings, the same every time."""

    name = "demo"

    def __init__(self, now: Callable[[], pd.Timestamp] | None = None) -> None:
        self.now = now or (lambda: pd.Timestamp.now(tz="UTC"))

    def rows(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> Rows:
        """`_bars(...)` and the actions with ex-dates after `since` (all of them without it),
        for the provider boundary to check like any provider's."""
        bars = self._bars(symbol, interval, since=since, month=month)
        return Rows(bars, as_utc(self.now()), self.actions(symbol, since))

    def _bars(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> pd.DataFrame:
        """Bars up to now: daily bars of every closed session from the origin, or 30 days (or
        `month`) of intraday bars of the sessions' hours. Unknown symbols are refused (422)."""
        check_request(interval, month)
        sessions = _sessions(symbol, interval)
        now = as_utc(self.now())
        if interval not in INTRADAY_INTERVALS:
            closed = sessions.last_closed_session(now)
            if closed is None or closed < ORIGIN:
                return empty_bars()
            daily = _daily(symbol, closed)
            return finish(daily.set_axis(daily.index.tz_localize("UTC")), since)
        today = sessions.date_of(pd.DatetimeIndex([now]))[0]
        if month is None:
            first, last = today - pd.Timedelta(days=RECENT_DAYS - 1), today
        else:
            first = pd.Timestamp(f"{month}-01")
            last = min(first + pd.offsets.MonthEnd(0), today)
        if since is not None:
            first = max(first, sessions.date_of(pd.DatetimeIndex([as_utc(since)]))[0])
        days = sessions.sessions(max(first, ORIGIN), last)
        if days.empty:
            return empty_bars()
        daily = _daily(symbol, days[-1]).loc[days]
        frame = _intraday(symbol, daily, sessions, int(interval.removesuffix("min")))
        return finish(frame[frame.index <= now], since)

    def actions(self, symbol: str, since: pd.Timestamp | None = None) -> pd.DataFrame:
        """The symbol's splits and dividends up to today, after `since` when given."""
        _sessions(symbol, "daily")
        found = _actions(symbol, as_utc(self.now()).tz_localize(None).normalize())
        return found[found.index > as_utc(since)] if since is not None else found


def _sessions(symbol: str, interval: str) -> ExchangeCalendar:
    """The calendar of a known symbol's exchange; Unprocessable for anything else it can't serve."""
    mic = listings.served(symbol).exchange
    check_intraday(interval, mic)
    return calendar(mic)


def _seed(symbol: str) -> int:
    return zlib.crc32(symbol.encode())


def _daily(symbol: str, last: pd.Timestamp) -> pd.DataFrame:
    """Daily bars on the exchange's sessions from the origin to `last`, indexed by naive dates."""
    dates = calendar(exchange_of(symbol)).sessions(ORIGIN, last)
    traits = np.random.default_rng([_seed(symbol), 0])
    start = np.exp(traits.uniform(np.log(15), np.log(400)))
    drift = traits.uniform(-0.05, 0.20) / TRADING_DAYS
    sigma = traits.uniform(0.15, 0.45) / np.sqrt(TRADING_DAYS)
    base_volume = np.exp(traits.uniform(np.log(3e5), np.log(4e7)))
    # one row of draws per day, filled in date order: a longer range only appends rows
    z = np.random.default_rng([_seed(symbol), 1]).standard_normal((len(dates), 5))
    close = start * np.exp(np.cumsum(drift - sigma**2 / 2 + sigma * z[:, 0]))
    previous = np.concatenate(([start], close[:-1]))
    open_ = previous * np.exp(0.25 * sigma * z[:, 1])
    high = np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(z[:, 2]))
    low = np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(z[:, 3]))
    volume = base_volume * np.exp(0.35 * z[:, 4])
    later = _later_split_ratios(symbol, dates)  # raw bars before a split trade at its ratio
    prices = np.round([open_ * later, high * later, low * later, close * later], 4)
    columns = {name: prices[i] for i, name in enumerate(("open", "high", "low", "close"))}
    return pd.DataFrame(
        {**columns, "volume": (volume / later).round().astype("int64")}, index=dates
    )


def _later_split_ratios(symbol: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """Per date, the product of the ratios of the symbol's splits after it."""
    ratios = np.ones(len(dates))
    for ex_date, ratio in SPLITS.get(symbol, ()):
        ratios[dates < ex_date] *= ratio
    return ratios


def _actions(symbol: str, today: pd.Timestamp) -> pd.DataFrame:
    """Splits and dividends of `symbol` with ex-dates up to `today` (a naive date)."""
    events = [(day, ratio) for day, ratio in SPLITS.get(symbol, ()) if day <= today]
    found = [splits([day for day, _ in events], [ratio for _, ratio in events])]
    if symbol in QUARTERLY_YIELD and today > ORIGIN:
        daily = _daily(symbol, today)
        months = pd.date_range(ORIGIN, today, freq="MS")
        fifteenths = months[months.month.isin(DIVIDEND_MONTHS)] + pd.Timedelta(days=14)
        positions = daily.index.searchsorted(fifteenths)
        positions = positions[(positions > 0) & (positions < len(daily))]
        previous = daily["close"].to_numpy()[positions - 1]
        amounts = np.maximum(np.round(previous * QUARTERLY_YIELD[symbol], 2), 0.01)
        found.append(dividends(daily.index[positions], amounts))
    return combine(*found)


def _intraday(
    symbol: str, daily: pd.DataFrame, sessions: ExchangeCalendar, minutes: int
) -> pd.DataFrame:
    """Bars of `minutes` from each session's open to its close for each day of `daily` (UTC).

    Sessions of one length (regular days, early closes) are drawn together.
    """
    _, opens, closes = sessions.hours(daily.index)
    lengths = ((closes - opens) / pd.Timedelta(minutes=1)).to_numpy().astype(int)
    frames = []
    for length in np.unique(lengths):
        same = lengths == length
        frames.append(_bars(symbol, daily[same], opens[same], int(length), minutes))
    return pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]


def _bars(
    symbol: str, daily: pd.DataFrame, opens: pd.DatetimeIndex, length: int, minutes: int
) -> pd.DataFrame:
    """Bars of `minutes` over sessions all `length` minutes long, opening at `opens`."""
    open_, high, low, close, volume = (part.ravel() for part in _minutes(symbol, daily, length))
    offsets = np.arange(length)
    starts = np.flatnonzero(np.tile(offsets % minutes == 0, len(daily)))
    ends = np.append(starts[1:], len(close)) - 1
    moments = (
        opens.tz_convert(None).to_numpy()[:, None] + (offsets * np.timedelta64(1, "m"))[None, :]
    )
    return pd.DataFrame(
        {
            "open": open_[starts],
            "high": np.maximum.reduceat(high, starts),
            "low": np.minimum.reduceat(low, starts),
            "close": close[ends],
            "volume": np.add.reduceat(volume, starts),
        },
        index=pd.DatetimeIndex(moments.ravel()[starts]).tz_localize("UTC"),
    )


def _minutes(symbol: str, daily: pd.DataFrame, n: int) -> tuple[np.ndarray, ...]:
    """1-minute open, high, low, close, volume (days x `n` minutes) within each day's daily bar.

    Each day's draws come from its own generator seeded by (symbol, day).
    """
    z = np.stack(
        [
            np.random.default_rng([_seed(symbol), 2, day.toordinal()]).standard_normal(4 * n)
            for day in daily.index
        ]
    ).reshape(len(daily), 4, n)
    day_open, day_high, day_low, day_close = (
        daily[c].to_numpy()[:, None] for c in ("open", "high", "low", "close")
    )
    step = np.log(day_high / day_low) / 4 / np.sqrt(n)
    walk = np.concatenate((np.zeros((len(daily), 1)), np.cumsum(z[:, 0] * step, axis=1)), axis=1)
    fraction = np.linspace(0.0, 1.0, n + 1)
    bridge = walk - fraction * walk[:, -1:]
    line = np.log(day_open) + fraction * np.log(day_close / day_open)
    # shrink each day's bridge so its path stays within the day's high and low
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = np.where(
            bridge > 0, (np.log(day_high) - line) / bridge, (line - np.log(day_low)) / -bridge
        )
    scale = np.minimum(1.0, np.where(bridge == 0, np.inf, limit).min(axis=1))[:, None]
    path = np.clip(np.exp(line + scale * bridge).round(4), day_low, day_high)
    path[:, 0], path[:, -1] = day_open[:, 0], day_close[:, 0]
    open_, close = path[:, :-1], path[:, 1:]
    high = np.minimum(np.maximum(open_, close) * np.exp(step * np.abs(z[:, 1])), day_high)
    low = np.maximum(np.minimum(open_, close) / np.exp(step * np.abs(z[:, 2])), day_low)
    profile = (1.0 + 3.0 * np.linspace(-1.0, 1.0, n) ** 2) * np.exp(0.3 * z[:, 3])
    share = profile / profile.sum(axis=1, keepdims=True)  # busier at the open and the close
    volume = np.floor(daily["volume"].to_numpy()[:, None] * share).astype("int64")
    return open_, high.round(4), low.round(4), close, volume
