"""A server that takes the connection and never answers: the client gives up at its timeout."""

from __future__ import annotations

import socket
import time

import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import StorageUnavailable
from shared.influx.client import InfluxClient


def test_a_server_that_never_answers_is_unavailable_within_the_timeout():
    with socket.socket() as silent:  # listens, so connections complete; it never reads or writes
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        client = InfluxClient(InfluxSettings(url=url, timeout_seconds=0.3))
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="did not answer in time"):
            client.execute(None, "SHOW DATABASES")
        assert time.monotonic() - started < 5
