"""Dead letters (`dead_letters`): one point per event Knative gave up delivering."""

from __future__ import annotations

import pandas as pd

from shared.contract.schema import DEAD_LETTERS
from shared.influx.client import InfluxClient


def record(client: InfluxClient, bucket: str, letter: pd.DataFrame) -> None:
    """Store one dead letter (a `dead_letters` point) in the meta bucket."""
    client.write_or_create(bucket, letter, DEAD_LETTERS, precision="ms")
