"""Corporate actions (`corporate_actions`): the splits and dividends stored per symbol.

A point is one action at its ex-date (00:00 UTC), tagged `symbol` and `kind`; a split carries
`ratio`, a dividend `amount`. Writing an action again leaves one point, so every source (Tiingo's
rows, Alpha Vantage's lists, the demo) may be written whenever it is read. Beside them,
`corporate_actions_checked` says when a provider that lists actions apart from bars last listed a
symbol's, and up to which bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from shared.contract.schema import ACTIONS_CHECKED, CORPORATE_ACTIONS
from shared.contract.timefmt import rfc3339
from shared.influx.client import InfluxClient, Series
from shared.influx.influxql import ident, tags_equal
from shared.market.actions import ACTION_DTYPES, combine, empty_actions

MEASUREMENT = ident(CORPORATE_ACTIONS.name)
CHECKED = ident(ACTIONS_CHECKED.name)


def write_actions(client: InfluxClient, bucket: str, symbol: str, actions: pd.DataFrame) -> int:
    """Store `actions` of `symbol` in `bucket` (created if missing); the points written."""
    if actions.empty:
        return 0
    client.write_or_create(bucket, actions.assign(symbol=symbol), CORPORATE_ACTIONS)
    return len(actions)


def read_actions(client: InfluxClient, bucket: str, symbol: str) -> pd.DataFrame:
    """Every stored action of `symbol`, ascending by ex-date; none when the bucket is missing."""
    (series,) = client.select(bucket, [actions_query(symbol)], missing_ok=True)
    return actions_of(series)


def actions_query(symbol: str, database: str | None = None) -> str:
    """The statement `read_actions` runs, for a store reading more in the same request (from
    `database` when the request is made to another: InfluxDB 1.x)."""
    columns = ", ".join(ident(c) for c in ACTION_DTYPES)
    source = f"{ident(database)}..{MEASUREMENT}" if database else MEASUREMENT
    return f"SELECT {columns} FROM {source} WHERE {tags_equal(symbol=symbol)}"


def actions_of(series: list[Series]) -> pd.DataFrame:
    """The actions frame of `actions_query`'s answer."""
    if not series or not series[0].values:
        return empty_actions()
    rows = series[0]
    times = pd.to_datetime(rows.column("time"), unit="ms", utc=True)
    stored = pd.DataFrame(
        {column: rows.column(column) for column in ACTION_DTYPES},
        index=pd.DatetimeIndex(times, name="time"),
    )
    return combine(stored.astype(ACTION_DTYPES))


@dataclass(frozen=True)
class Check:
    """A listing of a symbol's actions: when it was made and the newest bar it covered."""

    time: pd.Timestamp
    as_of: pd.Timestamp | None


def mark_checked(
    client: InfluxClient,
    bucket: str,
    symbol: str,
    provider: str,
    as_of: pd.Timestamp | None,
    found: int,
) -> None:
    """Record that `provider` listed `symbol`'s actions now (`found` of them), with bars up to
    `as_of` known."""
    client.write_point(
        bucket, ACTIONS_CHECKED, "ms", symbol=symbol, provider=provider,
        as_of=rfc3339(as_of) if as_of is not None else "", found=int(found),
    )  # fmt: skip


def last_check(client: InfluxClient, bucket: str, symbol: str) -> Check | None:
    """The newest listing of `symbol`'s actions; None when there was none."""
    query = (
        f"SELECT {ident('as_of')} FROM {CHECKED} WHERE {tags_equal(symbol=symbol)} "
        "ORDER BY time DESC LIMIT 1"
    )
    found = client.query(bucket, query, ACTIONS_CHECKED, missing_ok=True)
    if found.empty:
        return None
    as_of = str(found["as_of"].iloc[0])
    return Check(found.index[0], pd.Timestamp(as_of) if as_of else None)


def checked_times(client: InfluxClient, bucket: str) -> dict[str, pd.Timestamp]:
    """Each symbol's newest listing time in `bucket`."""
    query = f"SELECT last({ident('found')}) FROM {CHECKED} GROUP BY {ident('symbol')}"
    found = client.query(bucket, query, ACTIONS_CHECKED, missing_ok=True)
    return dict(zip(found["symbol"], found.index, strict=True)) if len(found) else {}
