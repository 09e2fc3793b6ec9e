"""`make mutate`: mutmut over shared/ and functions/ with one influxd for every mutant's tests.

mutmut runs the fast tests against each mutant in a forked process, each a pytest session of its
own; without this, every one of them would start (and stop) its own influxd.
Usage: `python -m tests.support.mutate [MUTANT NAME PATTERNS...]` (e.g. 'shared.contract.*').
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.influxd import InfluxServer

MAX_CHILDREN = "2"  # the machine's two cores are shared


def main(patterns: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="mutate-influxd-") as data:
        server = InfluxServer(Path(data)).start()
        try:
            env = {**os.environ, "STOCKS_TEST_INFLUX_URL": server.url}
            mutmut = [sys.executable, "-m", "mutmut"]
            run = subprocess.run(
                [*mutmut, "run", "--max-children", MAX_CHILDREN, *patterns], env=env
            )
            subprocess.run([*mutmut, "results"], env=env)
            return run.returncode
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
