"""The newest stored bar of every series of a bucket, read as JSON: what a tick and the clock
rules ask before anything else, with no pandas."""

from __future__ import annotations

from datetime import datetime

from shared.contract.errors import BucketNotFound
from shared.contract.schema import PRICES
from shared.contract.timefmt import epoch_ns, from_epoch_ms
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident


def newest_times(
    client: InfluxClient, bucket: str, since: datetime | None = None
) -> dict[tuple[str, str], datetime]:
    """The time of each symbol and interval's newest stored bar, by (symbol, interval), in one
    request; with `since`, only bars after it count (a series with none is left out). A bucket
    that does not exist holds none."""
    after = f" WHERE time > {epoch_ns(since):d}" if since is not None else ""
    query = (
        f"SELECT last({ident('close')}) FROM {ident(PRICES.name)}{after} "
        f"GROUP BY {ident('symbol')}, {ident('interval')}"
    )
    try:
        result = client.execute(bucket, query)
    except BucketNotFound:
        return {}
    return {
        (str(series["tags"]["symbol"]), str(series["tags"]["interval"])): from_epoch_ms(
            series["values"][0][0]
        )
        for series in result.get("series", [])
    }
