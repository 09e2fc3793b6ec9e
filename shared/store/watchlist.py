"""The watchlist: stocks users track, in InfluxDB (`watchlist`, latest point per symbol wins)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.contract.errors import BucketNotFound, Unprocessable
from shared.contract.schema import DEFAULT_BUCKET, WATCHLIST
from shared.influx.client import InfluxClient
from shared.influx.frames import point
from shared.influx.influxql import ident


@dataclass(frozen=True)
class Entry:
    """One tracked stock: which bars to fetch and where to keep them."""

    symbol: str
    interval: str = "daily"
    bucket: str = DEFAULT_BUCKET

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Watchlist:
    """The watchlist in one meta bucket; every call reads InfluxDB afresh."""

    def __init__(self, client: InfluxClient, meta_bucket: str) -> None:
        self.client = client
        self.meta_bucket = meta_bucket

    def tracked(self) -> list[Entry]:
        """Tracked entries, by symbol."""
        try:
            latest = self.client.query(
                self.meta_bucket,
                f"SELECT * FROM {ident(WATCHLIST.name)} GROUP BY {ident('symbol')} "
                "ORDER BY time DESC LIMIT 1",
                WATCHLIST,
            )
        except BucketNotFound:
            return []
        if latest.empty:
            return []
        rows = latest[latest["tracked"]].sort_values("symbol")
        return [Entry(r.symbol, r.interval, r.bucket) for r in rows.itertuples()]

    def track(self, entry: Entry) -> bool:
        """Track a stock; False when it was already tracked exactly so (nothing written)."""
        if entry in self.tracked():
            return False
        self._write(entry, tracked=True)
        return True

    def untrack(self, symbol: str) -> Entry:
        """Stop tracking a stock; Unprocessable when it is not tracked."""
        current = next((e for e in self.tracked() if e.symbol == symbol), None)
        if current is None:
            raise Unprocessable(f"The symbol {symbol} is not on the watchlist.")
        self._write(current, tracked=False)
        return current

    def _write(self, entry: Entry, tracked: bool) -> None:
        row = point(
            symbol=entry.symbol, tracked=tracked, interval=entry.interval, bucket=entry.bucket
        )
        self.client.write_or_create(self.meta_bucket, row, WATCHLIST, precision="ms")
