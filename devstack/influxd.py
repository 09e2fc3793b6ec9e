"""A real `influxd` (InfluxDB 1.x, Debian's `influxdb` package) with its own data dir and port."""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

from devstack.ports import free_port, listens, logger, terminate, wait_until_up

ATTEMPTS = 3

# tsi1, not 1.6's default inmem index: inmem can drop a live series from its index when another
# series of the measurement is deleted (the forecast disappears until influxd restarts).
CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{data}/meta"
[data]
  dir = "{data}/data"
  wal-dir = "{data}/wal"
  query-log-enabled = false
  index-version = "tsi1"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
  max-body-size = 0
[continuous_queries]
  enabled = false
"""


class InfluxServer:
    """Starts and stops one `influxd` process; `url` is its HTTP API."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.started_once = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> InfluxServer:
        """Write the config, start `influxd` and wait until `/ping` answers from it.

        influxd binds its ports itself, so a port picked free may be taken before it does, and
        a `/ping` may be answered by another program on the port: the answer counts only when
        the process launched holds the listening socket (/proc tells). A first start whose port
        was taken moves to a free one, saying so; a restart keeps its port (the functions know
        it) and fails with a sentence instead.
        """
        binary = shutil.which("influxd")
        if binary is None:
            raise RuntimeError("influxd is not installed: run `apt-get install -y influxdb`.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        raise_open_file_limit()
        for attempt in range(1, ATTEMPTS + 1):
            process = self._launch(binary)
            failure = self._failure(process, timeout)
            if failure is None:
                self.started_once = True
                return self
            terminate(process, timeout=15)
            if "address already in use" not in failure or attempt == ATTEMPTS:
                raise RuntimeError(f"influxd did not start: {failure}")
            if f":{self.port}" in failure:  # else its RPC port was taken: a new one is picked
                if self.started_once:
                    raise RuntimeError(
                        f"Port {self.port} of influxd was taken by another program while it was "
                        "stopped: stop that program and start again."
                    )
                moved = free_port()
                logger.warning("Port %d is in use: influxd moved to %d.", self.port, moved)
                self.port = moved
        raise AssertionError("unreachable: the last attempt raises")

    def _failure(self, process: subprocess.Popen[bytes], timeout: float) -> str | None:
        """None once `/ping` answers from `process`, else what went wrong."""
        try:
            wait_until_up(f"{self.url}/ping", timeout, alive=lambda: process.poll() is None)
        except RuntimeError:
            return f"it exited, saying: {self._last_line()}"
        if listens(process.pid, self.port) is False:
            return f"another program answers on 127.0.0.1:{self.port} (address already in use)"
        return None

    def _launch(self, binary: str) -> subprocess.Popen[bytes]:
        config = self.data_dir / "influxdb.conf"
        config.write_text(CONFIG.format(data=self.data_dir, port=self.port, rpc_port=free_port()))
        log = (self.data_dir / "influxd.log").open("ab")
        self.process = subprocess.Popen([binary, "-config", str(config)], stdout=log, stderr=log)
        return self.process

    def _last_line(self) -> str:
        lines = (self.data_dir / "influxd.log").read_text(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else "nothing"

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        terminate(self.process, timeout=15)
        self.process = None


def raise_open_file_limit() -> None:
    """Lift the soft open-file limit to the hard one; `influxd` inherits it (tsi1 opens many)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
