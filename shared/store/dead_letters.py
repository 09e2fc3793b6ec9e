"""Dead letters (`dead_letters`): one point per event Knative gave up delivering."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.contract.schema import DEAD_LETTERS
from shared.contract.timefmt import epoch_ns
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident

if TYPE_CHECKING:  # the deadletters function records letters without pandas; readers have it
    import pandas as pd


def record(client: InfluxClient, bucket: str, letter: dict[str, object], at_ns: int) -> None:
    """Store one dead letter (a `dead_letters` point of the tags and fields `letter` names) at
    `at_ns` nanoseconds since the epoch, in the meta bucket. Its type and trigger are its only
    tags, so that time is what tells letters apart: one per event
    (`shared.usecases.deadletters.dead_letter_time`)."""
    client.write_point(bucket, DEAD_LETTERS, "ns", at=at_ns, **letter)


def recent(client: InfluxClient, bucket: str, limit: int) -> pd.DataFrame:
    """The newest `limit` dead letters, newest first."""
    query = f"SELECT * FROM {ident(DEAD_LETTERS.name)} ORDER BY time DESC LIMIT {limit:d}"
    return client.query(bucket, query, DEAD_LETTERS, missing_ok=True)


def since(client: InfluxClient, bucket: str, start: datetime) -> pd.DataFrame:
    """The dead letters recorded from `start` on, oldest first."""
    query = f"SELECT * FROM {ident(DEAD_LETTERS.name)} WHERE time >= {epoch_ns(start):d}"
    return client.query(bucket, query, DEAD_LETTERS, missing_ok=True).sort_index()
