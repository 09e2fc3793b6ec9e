"""The watchlist: tracked stocks in InfluxDB (`watchlist`, latest point per symbol and interval)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.contract.schema import DAILY, DEFAULT_BUCKET, WATCHLIST
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident
from shared.market.exchanges import exchange_of

DEFAULT_MODEL = "auto"
"""The model predict uses for an entry that names none: whichever backtests best."""


@dataclass(frozen=True)
class Entry:
    """One tracked stock at one interval: where its bars go, which model forecasts them and
    whose sessions they follow (`exchange`, an ISO MIC; empty: the symbol's, see `exchange_of`)."""

    symbol: str
    interval: str = DAILY
    bucket: str = DEFAULT_BUCKET
    model: str = DEFAULT_MODEL
    exchange: str = ""

    def __post_init__(self) -> None:
        if not self.exchange:
            object.__setattr__(self, "exchange", exchange_of(self.symbol))

    @property
    def key(self) -> tuple[str, str]:
        """What identifies an entry: IBM daily and IBM 5min are two entries."""
        return self.symbol, self.interval

    def as_dict(self) -> dict[str, str]:
        """The entry as JSON, and as the data of the fetch requests sent for it."""
        return asdict(self)


class Watchlist:
    """The watchlist in one meta bucket; every call reads InfluxDB afresh."""

    def __init__(self, client: InfluxClient, meta_bucket: str) -> None:
        self.client = client
        self.meta_bucket = meta_bucket

    def tracked(self) -> list[Entry]:
        """Tracked entries, by symbol then interval."""
        query = (
            f"SELECT * FROM {ident(WATCHLIST.name)} GROUP BY {ident('symbol')}, "
            f"{ident('interval')} ORDER BY time DESC LIMIT 1"
        )
        (latest,) = self.client.select(self.meta_bucket, [query], missing_ok=True)
        # a field no point has yet (model, exchange: added later) is no column of the answer
        rows = [row for series in latest for row in series.records() if row.get("tracked")]
        entries = [
            Entry(
                row["symbol"],
                row["interval"],
                row["bucket"],
                _model(row.get("model")),
                _text(row.get("exchange")),
            )
            for row in rows
        ]
        return sorted(entries, key=lambda entry: entry.key)

    def find(self, symbol: str, interval: str) -> Entry | None:
        """The tracked entry of a symbol at an interval, or None."""
        return next((e for e in self.tracked() if e.key == (symbol, interval)), None)

    def save(self, entry: Entry, tracked: bool) -> None:
        """Record that the entry is tracked (or no longer is) from now on."""
        self.client.write_point(
            self.meta_bucket,
            WATCHLIST,
            "ms",
            symbol=entry.symbol,
            interval=entry.interval,
            tracked=tracked,
            bucket=entry.bucket,
            model=entry.model,
            exchange=entry.exchange,
        )


def _model(stored: object) -> str:
    """The stored model; the default for points written before entries named one."""
    return stored if isinstance(stored, str) and stored else DEFAULT_MODEL


def _text(stored: object) -> str:
    """A stored string field; empty for points written before it existed (Entry then defaults)."""
    return stored if isinstance(stored, str) else ""
