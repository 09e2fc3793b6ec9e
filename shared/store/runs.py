"""Function runs (`runs`): one point per fetch or predict call, and the fetches they tell of.

A run is tagged with its `interval` (empty for a function that has none): a symbol's series are
told apart by (symbol, interval), and so is everything read back here.
"""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import RUNS
from shared.influx import one_point
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, literal, tags_equal
from shared.influx.stamps import unique_now

MEASUREMENT = ident(RUNS.name)


def record(
    client: InfluxClient,
    bucket: str,
    *,
    function: str,
    status: int,
    symbol: str | None,
    points: int | None,
    seconds: float,
    error: str | None,
    interval: str | None = None,
    dropped: int = 0,
    warning: str | None = None,
) -> None:
    """One `runs` point: status `ok` below 300, else the HTTP status; `interval` empty for a
    function that has none; `dropped` and `warning` what a successful call left out and why.

    Written within a second, with the other calls' points of that second, in one request
    (`InfluxClient.write_soon`); the time is the call's end, unique to the run (`unique_now`:
    calls ending in one millisecond would otherwise overwrite each other's point).
    """
    run = one_point.line(
        RUNS,
        unique_now(),
        "ns",
        function=function,
        status="ok" if status < 300 else str(status),
        interval=interval or "",
        symbol=symbol or "",
        points=int(points or 0),
        seconds=float(seconds),
        error=error or "",
        dropped=int(dropped),
        warning=warning or "",
    )
    client.write_soon(bucket, run, "ns")


def fetches(
    client: InfluxClient, bucket: str, since: pd.Timestamp, *, ok_only: bool
) -> pd.DataFrame:
    """Fetch runs from `since` on (each with its `symbol` and `interval`), successful ones only if
    `ok_only`."""
    tags = {"function": "fetch", **({"status": "ok"} if ok_only else {})}
    query = (
        f"SELECT {ident('symbol')}, {ident('interval')} FROM {MEASUREMENT} "
        f"WHERE {tags_equal(**tags)} AND time >= {pd.Timestamp(since).value:d}"
    )
    return _with_interval(client.query(bucket, query, RUNS, missing_ok=True))


def recent(
    client: InfluxClient, bucket: str, limit: int, *, problems_only: bool = False
) -> pd.DataFrame:
    """The newest `limit` runs of every function, newest first; if asked, only those that failed
    or dropped impossible provider rows (what an operator should look at)."""
    where = (
        f"WHERE {ident('status')} != {literal('ok')} OR {ident('dropped')} > 0 "
        if problems_only
        else ""
    )
    query = f"SELECT * FROM {MEASUREMENT} {where}ORDER BY time DESC LIMIT {limit:d}"
    return _with_interval(client.query(bucket, query, RUNS, missing_ok=True))


def fetch_runs(client: InfluxClient, bucket: str, since: pd.Timestamp) -> pd.DataFrame:
    """Every fetch run from `since` on (status, error, symbol, interval, ...), oldest first."""
    query = (
        f"SELECT * FROM {MEASUREMENT} "
        f"WHERE {tags_equal(function='fetch')} AND time >= {pd.Timestamp(since).value:d}"
    )
    return _with_interval(client.query(bucket, query, RUNS, missing_ok=True)).sort_index()


def fetch_failure_streak(
    client: InfluxClient, bucket: str, symbol: str, interval: str, limit: int
) -> pd.DataFrame:
    """The first `limit` failed fetch runs of a symbol at an interval after its last successful
    one, oldest first (their `status` and `error`): the start of the current run of failures."""
    fetches_of = (
        f"{tags_equal(function='fetch', interval=interval)} "
        f"AND {ident('symbol')} = {literal(symbol)}"
    )
    last_ok = (
        f"SELECT last({ident('seconds')}) FROM {MEASUREMENT} "
        f"WHERE {fetches_of} AND {ident('status')} = {literal('ok')}"
    )
    ok = client.query(bucket, last_ok, missing_ok=True)
    after = f" AND time > {ok.index.max().value:d}" if len(ok) else ""
    query = (
        f"SELECT {ident('error')}, {ident('status')} FROM {MEASUREMENT} "
        f"WHERE {fetches_of} AND {ident('status')} != {literal('ok')}{after} "
        f"ORDER BY time ASC LIMIT {limit:d}"
    )
    return client.query(bucket, query, RUNS, missing_ok=True)


def _with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs recorded before `interval` was a tag read with an empty one, as if of no interval."""
    if "interval" not in frame.columns:
        return frame.assign(interval=pd.Series("", index=frame.index, dtype="string"))
    return frame.assign(interval=frame["interval"].fillna(""))
