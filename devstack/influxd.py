"""A real `influxd` (InfluxDB 1.x, Debian's `influxdb` package) with its own data dir and port."""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

from devstack.ports import free_port, terminate, wait_until_up

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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> InfluxServer:
        """Write the config, start `influxd` and wait until `/ping` answers."""
        binary = shutil.which("influxd")
        if binary is None:
            raise RuntimeError("influxd is not installed: run `apt-get install -y influxdb`.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        raise_open_file_limit()
        config = self.data_dir / "influxdb.conf"
        config.write_text(CONFIG.format(data=self.data_dir, port=self.port, rpc_port=free_port()))
        log = (self.data_dir / "influxd.log").open("ab")
        process = subprocess.Popen([binary, "-config", str(config)], stdout=log, stderr=log)
        self.process = process
        wait_until_up(f"{self.url}/ping", timeout, alive=lambda: process.poll() is None)
        return self

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        terminate(self.process, timeout=15)
        self.process = None


def raise_open_file_limit() -> None:
    """Lift the soft open-file limit to the hard one; `influxd` inherits it (tsi1 opens many)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
