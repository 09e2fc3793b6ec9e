"""Function runs (`runs`): one point per fetch or predict call, and the fetches they tell of.

A run is tagged with its `interval` (empty for a function that has none): a symbol's series are
told apart by (symbol, interval), and so is everything read back here. Recording a run and a
tick's last refreshes need no pandas; the listings the page reads are frames.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.contract.schema import RUNS
from shared.contract.timefmt import epoch_ns, from_epoch_ms
from shared.influx import one_point
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, literal, tags_equal
from shared.influx.stamps import unique_ns

if TYPE_CHECKING:
    import pandas as pd

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
    (`InfluxClient.write_soon`); the time is the call's end, unique to the run (`unique_ns`:
    calls ending in one millisecond would otherwise overwrite each other's point).
    """
    run = one_point.line(
        RUNS,
        unique_ns(),
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


def last_fetched(
    client: InfluxClient, bucket: str, since: datetime
) -> dict[tuple[str, str], datetime]:
    """The end of each (symbol, interval)'s newest successful fetch from `since` on, read as
    JSON (a run recorded before `interval` was a tag is of the empty interval)."""
    query = (
        f"SELECT {ident('symbol')}, {ident('interval')} FROM {MEASUREMENT} "
        f"WHERE {tags_equal(function='fetch', status='ok')} AND time >= {epoch_ns(since):d}"
    )
    last: dict[tuple[str, str], int] = {}
    for series in client.select(bucket, [query], missing_ok=True)[0]:
        for run in series.records():  # oldest first, as InfluxDB answers: the newest stays
            last[run["symbol"], run.get("interval") or ""] = run["time"]
    return {key: from_epoch_ms(ms) for key, ms in last.items()}


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
        f"WHERE {tags_equal(function='fetch')} AND time >= {epoch_ns(since):d}"
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
    import pandas as pd  # a frame's reader has it loaded already

    if "interval" not in frame.columns:
        return frame.assign(interval=pd.Series("", index=frame.index, dtype="string"))
    return frame.assign(interval=frame["interval"].fillna(""))
