"""Stored bars (`prices`): writing a provider's bars, the newest bar's time, recent series (adjusted
by the stored corporate actions unless asked raw), and their adjusted copy (`prices_adjusted`).

fetch's path is one read and one write: `stored` tells in one request what the bucket holds of a
series (its newest bar, its adjusted copy's, the symbol's actions), and `store` writes the new
bars, their adjusted copy and new actions in one request whenever the copy needs no rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from shared.contract.errors import BucketNotFound
from shared.contract.schema import CORPORATE_ACTIONS, DAILY, PRICE_COLUMNS, PRICES, PRICES_ADJUSTED
from shared.influx import line_protocol
from shared.influx.client import InfluxClient, Series
from shared.influx.frames import rows_frame
from shared.influx.influxql import ident, literal, tags_equal
from shared.market.actions import adjusted as adjust
from shared.market.actions import combine
from shared.store import actions

MEASUREMENT = ident(PRICES.name)
ADJUSTED = ident(PRICES_ADJUSTED.name)


def write_bars(
    client: InfluxClient, bucket: str, symbol: str, interval: str, bars: pd.DataFrame
) -> bool:
    """Store `bars` (a provider's OHLCV frame) under the symbol and interval; True if the bucket
    had to be created. Writing the same bars twice leaves one point each."""
    return client.write_or_create(bucket, bars.assign(symbol=symbol, interval=interval), PRICES)


class Stored:
    """What a bucket holds of one series, as fetch needs it before asking the provider.

    Frames are made only when asked for: a fetch that finds nothing new needs only `last`.
    """

    def __init__(
        self,
        newest: list[Series],
        copied: list[Series],
        stored_actions: list[Series],
        also: list[list[Series]] | None = None,
    ) -> None:
        self._newest, self._copied, self._actions = newest, copied, stored_actions
        self.also = also
        """The answers of the `also` statements, or None when they could not be read with it."""

    @property
    def last(self) -> pd.Timestamp | None:
        """The time of the newest raw bar."""
        return _newest_time(self._newest)

    @property
    def adjusted_last(self) -> pd.Timestamp | None:
        """The time of the adjusted copy's newest bar."""
        return _newest_time(self._copied)

    @cached_property
    def newest(self) -> pd.DataFrame:
        """The newest raw bar's open and close (no row when there is none)."""
        return _frame(self._newest, ("open", "close"))

    @cached_property
    def actions(self) -> pd.DataFrame:
        """Every stored corporate action of the symbol."""
        return actions.actions_of(self._actions)


def stored(
    client: InfluxClient,
    bucket: str,
    symbol: str,
    interval: str,
    *,
    until: pd.Timestamp | None = None,
    also: Sequence[str] = (),
) -> Stored:
    """The series' newest bar (at or before `until` when given), its adjusted copy's newest
    time and the symbol's actions, in one request (nothing of each when the bucket does not
    exist), with the `also` statements of other stores (e.g. reading another database).

    When a database is missing, the bucket's or one an `also` statement reads, the bucket is read
    alone (a second request) and `Stored.also` is None.
    """
    where = tags_equal(symbol=symbol, interval=interval)
    bound = f" AND time <= {pd.Timestamp(until).value:d}" if until is not None else ""
    statements = [
        f"SELECT {ident('open')}, {ident('close')} FROM {MEASUREMENT} WHERE {where}{bound} "
        "ORDER BY time DESC LIMIT 1",
        f"SELECT last({ident('close')}) FROM {ADJUSTED} WHERE {where}",
        actions.actions_query(symbol),
    ]
    if also:
        try:
            answers = client.select(bucket, [*statements, *also])
        except BucketNotFound:
            pass
        else:
            newest, copied, stored_actions, *more = answers
            return Stored(newest, copied, stored_actions, more)
    newest, copied, stored_actions = client.select(bucket, statements, missing_ok=True)
    return Stored(newest, copied, stored_actions)


def store(
    client: InfluxClient,
    bucket: str,
    symbol: str,
    interval: str,
    bars: pd.DataFrame,
    new_actions: pd.DataFrame,
    since: pd.Timestamp | None,
    before: Stored,
) -> bool:
    """Store a provider's bars after `since` and the actions that came with them, and bring the
    adjusted copy up to date (see `refresh_adjusted`), as `before` (read before the provider was
    asked) says it stood; True if the bucket had to be created.

    When no action applies to the new bars and the copy was up to date, the new bars are their
    own adjusted values: bars, copy and actions go in one write. Otherwise the bars and actions
    are written, then the whole copy is rewritten from the stored bars.
    """
    if bars.empty and new_actions.empty:
        return False
    every_action = combine(before.actions, new_actions)
    whole = (
        since is None
        or before.adjusted_last is None
        or before.adjusted_last < since
        or bool((every_action.index > since).any())
    )
    tagged = bars.assign(symbol=symbol, interval=interval)
    lines = line_protocol.checked_lines(tagged, PRICES, "s")
    if not whole and len(bars):
        copy = tagged.dropna().astype({"volume": "int64"})
        lines += line_protocol.checked_lines(copy, PRICES_ADJUSTED, "s")
    if len(new_actions):
        lines += line_protocol.checked_lines(
            new_actions.assign(symbol=symbol), CORPORATE_ACTIONS, "s"
        )
    created = client.write_lines(bucket, lines)
    if whole:
        refresh_adjusted(client, bucket, symbol, interval, since)
    return created


def last_bar_time(
    client: InfluxClient, bucket: str, symbol: str, interval: str, *, adjusted: bool = False
) -> pd.Timestamp | None:
    """The time of the newest stored bar of a symbol and interval (in `prices_adjusted` if
    asked); None if there is none."""
    query = (
        f"SELECT last({ident('close')}) FROM {ADJUSTED if adjusted else MEASUREMENT} "
        f"WHERE {tags_equal(symbol=symbol, interval=interval)}"
    )
    (latest,) = client.select(bucket, [query], missing_ok=True)
    return _newest_time(latest)


def delete_after(
    client: InfluxClient, bucket: str, symbol: str, interval: str, after: pd.Timestamp
) -> None:
    """Delete the stored bars (raw and adjusted) of a symbol and interval dated after `after`.

    InfluxDB 3 cannot delete points: there they stay, and readers bound their times instead.
    """
    since = pd.Timestamp(after) + pd.Timedelta(1)
    for measurement in (PRICES.name, PRICES_ADJUSTED.name):
        client.delete(bucket, measurement, {"symbol": symbol, "interval": interval}, since=since)


def newest(
    client: InfluxClient,
    bucket: str,
    symbol: str,
    interval: str,
    fields: tuple[str, ...],
    limit: int,
    *,
    adjusted: bool = True,
) -> pd.DataFrame:
    """The newest `limit` bars' `fields`, oldest first (an empty frame when there are none).

    Split- and dividend-adjusted by the symbol's stored corporate actions, whenever they arrived
    (volume adjusts for splits only); `adjusted=False` gives the bars as the provider gave them.
    """
    read = NewestRead(symbol, interval, fields, limit, adjusted)
    return read.frame(client.select(bucket, read.statements()))


@dataclass(frozen=True)
class NewestRead:
    """`newest`'s read, for a caller that makes it beside other statements in one request."""

    symbol: str
    interval: str
    fields: tuple[str, ...]
    limit: int
    adjusted: bool = True

    @property
    def wanted(self) -> tuple[str, ...]:
        """The fields read: the adjustment of dividends needs the close."""
        return tuple(dict.fromkeys((*self.fields, "close"))) if self.adjusted else self.fields

    def statements(self, database: str | None = None) -> list[str]:
        """The bars' statement, and the actions' when adjusted (reading from `database` when
        the request is made to another: InfluxDB 1.x)."""
        source = f"{ident(database)}..{MEASUREMENT}" if database else MEASUREMENT
        columns = ", ".join(ident(field) for field in self.wanted)
        query = (
            f"SELECT {columns} FROM {source} "
            f"WHERE {tags_equal(symbol=self.symbol, interval=self.interval)} "
            f"ORDER BY time DESC LIMIT {self.limit:d}"
        )
        if not self.adjusted:
            return [query]
        return [query, actions.actions_query(self.symbol, database)]

    def frame(self, answers: list[list[Series]]) -> pd.DataFrame:
        """The bars from the answers to `statements`, oldest first."""
        bars = _frame(answers[0], self.wanted).iloc[::-1]
        if not self.adjusted or bars.empty:
            return bars
        return adjust(bars, actions.actions_of(answers[1]))[list(self.fields)]


def refresh_adjusted(
    client: InfluxClient, bucket: str, symbol: str, interval: str, since: pd.Timestamp | None
) -> int:
    """Bring `prices_adjusted` up to date after bars newer than `since` were stored; the points
    written. Only those bars are written when every stored action was already applied (bars after
    the last action are their own adjusted values); every bar is rewritten when an action is newer
    than `since`, or when the adjusted copy lags (it was never made, or a refresh was missed)."""
    stored = actions.read_actions(client, bucket, symbol)
    copied = last_bar_time(client, bucket, symbol, interval, adjusted=True)
    whole = since is None or copied is None or copied < since or bool((stored.index > since).any())
    where = tags_equal(symbol=symbol, interval=interval)
    if not whole:
        where += f" AND time > {pd.Timestamp(since).value:d}"
    columns = ", ".join(ident(field) for field in PRICE_COLUMNS)
    try:
        bars = client.query(bucket, f"SELECT {columns} FROM {MEASUREMENT} WHERE {where}", PRICES)
    except BucketNotFound:
        return 0
    bars = bars.sort_index().dropna()
    if bars.empty:
        return 0
    if whole:
        bars = adjust(bars, stored)
    bars = bars.astype({"volume": "int64"}).assign(symbol=symbol, interval=interval)
    return client.write(bucket, bars, PRICES_ADJUSTED)


def _frame(series: list[Series], fields: tuple[str, ...]) -> pd.DataFrame:
    """Bars of a JSON answer, typed as `query` types them: `fields` in order, UTC `time`."""
    return rows_frame(series, PRICES).reindex(columns=list(fields))


def _newest_time(series: list[Series]) -> pd.Timestamp | None:
    """The time of a `last(...)` answer's row, or None."""
    if not series or not series[0].values:
        return None
    return pd.Timestamp(series[0].values[0][0], unit="ms", tz="UTC")


def daily_closes(client: InfluxClient, bucket: str, days: int) -> dict[tuple[str, str], pd.Series]:
    """Every symbol and interval's adjusted closes of its last `days` trading days, oldest first,
    by (symbol, interval): daily bars as stored, intraday bars' last close of each UTC day.

    Both statements go in one request, answered as JSON with one series per symbol and
    interval; daily bars need no grouping by time, the costly part.
    """
    daily = tags_equal(interval=DAILY)
    statements = [
        f"SELECT {ident('close')} FROM {ADJUSTED} WHERE {daily} "
        f"GROUP BY {ident('symbol')}, {ident('interval')} ORDER BY time DESC LIMIT {days:d}",
        f"SELECT last({ident('close')}) FROM {ADJUSTED} WHERE {ident('interval')} != "
        f"{literal(DAILY)} AND time > now() - {days * 3 // 2:d}d "
        f"GROUP BY time(1d), {ident('symbol')}, {ident('interval')} fill(none)",
    ]
    try:
        results = client.execute_many(statements, bucket)
    except BucketNotFound:
        return {}
    closes = {}
    for series in (s for result in results for s in result.get("series", [])):
        rows = np.array(series["values"], dtype="float64")  # [[time ms, close], ...]
        index = pd.DatetimeIndex(rows[:, 0].astype("datetime64[ms]"), name="time").tz_localize(
            "UTC"
        )
        key = (series["tags"]["symbol"], series["tags"]["interval"])
        closes[key] = pd.Series(rows[:, 1], index=index, name="close").sort_index()
    return closes
