"""The watchlist: stocks users track, in InfluxDB (`watchlist`, latest point per symbol wins)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from shared.contract.errors import BucketNotFound, Unprocessable
from shared.contract.schema import WATCHLIST
from shared.influx.client import InfluxClient


@dataclass(frozen=True)
class Entry:
    """One tracked stock: which bars to fetch and where to keep them."""

    symbol: str
    interval: str = "daily"
    bucket: str = "stocks"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Watchlist:
    """The watchlist in one meta bucket; every call reads InfluxDB afresh."""

    def __init__(self, storage: InfluxClient, meta_bucket: str) -> None:
        self.storage = storage
        self.meta_bucket = meta_bucket

    def tracked(self) -> list[Entry]:
        """Tracked entries, by symbol."""
        try:
            latest = self.storage.query(
                self.meta_bucket,
                'SELECT * FROM "watchlist" GROUP BY "symbol" ORDER BY time DESC LIMIT 1',
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
        self.storage.create_bucket(self.meta_bucket)
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
        point = pd.DataFrame(
            {
                "symbol": [entry.symbol],
                "tracked": [tracked],
                "interval": [entry.interval],
                "bucket": [entry.bucket],
            },
            index=pd.DatetimeIndex([pd.Timestamp.now(tz="UTC")], name="time"),
        )
        self.storage.write(self.meta_bucket, point, WATCHLIST, precision="ms")
