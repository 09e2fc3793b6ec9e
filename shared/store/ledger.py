"""The provider-request ledger (`provider_requests`): every request to a provider, reserved first.

One point per request, in the meta bucket, tagged `provider` and `symbol`, at a time unique to it
(nanoseconds, with random low digits so two processes do not pick the same one) and carrying a
random `token` that tells whose point a time holds. Its `state` is `reserved` when written, before
the request; `granted` once the budget was found to have room for it; `spent` (with the
provider's HTTP `status`, 0 when none came) once made; `released` when it was never made. State
changes overwrite the same point (same time and tags): nothing is ever deleted, which InfluxDB 3
could not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contract.errors import BucketNotFound
from shared.contract.schema import PROVIDER_REQUESTS
from shared.contract.timefmt import EPOCH, epoch_ns, from_epoch_ms
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, literal, tags_equal

MEASUREMENT = ident(PROVIDER_REQUESTS.name)
RESERVED, GRANTED, SPENT, RELEASED = "reserved", "granted", "spent", "released"


@dataclass(frozen=True)
class Entry:
    """One request's point: where it is (time in nanoseconds since the epoch, tags) and what it
    says."""

    ns: int
    provider: str
    symbol: str
    kind: str
    token: str

    @property
    def time(self) -> datetime:
        """The point's time to the microsecond (budgets count whole milliseconds)."""
        return EPOCH + timedelta(microseconds=self.ns // 1_000)


def write(client: InfluxClient, bucket: str, entry: Entry, state: str, status: int = 0) -> None:
    """Write (or overwrite) the entry's point with `state`."""
    client.write_point(
        bucket,
        PROVIDER_REQUESTS,
        "ns",
        at=entry.ns,
        provider=entry.provider,
        symbol=entry.symbol,
        kind=entry.kind,
        state=state,
        status=int(status),
        token=entry.token,
    )


@dataclass(frozen=True)
class Request:
    """A request the ledger holds, not released."""

    time: datetime
    symbol: str
    token: str
    state: str


@dataclass(frozen=True)
class Window:
    """What the ledger holds for a provider from a start: the requests not released, the tokens
    of all (released ones included), and this month's symbols of granted or spent requests."""

    requests: list[Request]
    tokens: set[str]
    month_symbols: set[str]


def window(
    client: InfluxClient,
    bucket: str,
    provider: str,
    since: datetime,
    month_start: datetime | None,
    until: datetime | None = None,
) -> Window:
    """The provider's requests from `since` on (to `until`, when given), and (when `month_start`
    is given) the symbols of the month's granted or spent requests: one request to InfluxDB."""
    end = f" AND time <= {epoch_ns(until):d}" if until is not None else ""
    where = f"{tags_equal(provider=provider)} AND time >= {epoch_ns(since):d}{end}"
    statements = [
        f"SELECT {ident('state')}, {ident('token')}, {ident('symbol')} FROM {MEASUREMENT} "
        f"WHERE {where}"
    ]
    if month_start is not None:
        firm = f"({ident('state')} = {literal(GRANTED)} OR {ident('state')} = {literal(SPENT)})"
        statements.append(
            f"SELECT count({ident('token')}) FROM {MEASUREMENT} "
            f"WHERE {tags_equal(provider=provider)} AND {firm} "
            f"AND time >= {epoch_ns(month_start):d}{end} GROUP BY {ident('symbol')}"
        )
    try:
        results = client.execute_many(statements, bucket)
    except BucketNotFound:
        return Window([], set(), set())
    requests, tokens = [], set()
    for series in results[0].get("series", []) if results else []:
        columns = series["columns"]
        at = {name: columns.index(name) for name in ("time", "state", "token", "symbol")}
        for row in series["values"]:
            tokens.add(row[at["token"]])
            if row[at["state"]] != RELEASED:
                time = from_epoch_ms(row[at["time"]])
                requests.append(
                    Request(time, row[at["symbol"]], row[at["token"]], row[at["state"]])
                )
    month = set()
    for series in results[1].get("series", []) if len(results) > 1 else []:
        month.add(series["tags"]["symbol"])
    return Window(sorted(requests, key=lambda r: r.time), tokens, month)
