"""Scratch space for benchmarks that is gone when they end: a directory, and an influxd in one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.influxd import InfluxServer


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed with everything in it afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def scratch_influxd() -> Iterator[InfluxServer]:
    """A real influxd on a free port whose data directory is removed when it stops."""
    with scratch_dir("bench-influxd-") as data:
        server = InfluxServer(data).start()
        try:
            yield server
        finally:
            server.stop()
