"""Each function in its own process, served by `python -m shared.runtime.server` as in the image."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from devstack.ports import free_port, terminate, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


class FunctionProcess:
    """One function on one loopback port, with its own environment."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        port: int | None = None,
        log_path: Path | None = None,
        root: Path = ROOT,
    ) -> None:
        self.name = name
        self.root = root  # the source tree served (another checkout to compare against)
        self.port = port or free_port()
        self.env = {
            **os.environ,
            **env,
            "STOCKS_FUNCTION": name,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60.0) -> FunctionProcess:
        """Start the process and wait for its readiness probe."""
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.runtime.server"],
            cwd=self.root,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT if self.log_path else subprocess.DEVNULL,
        )
        self.process = process
        try:
            wait_until_up(
                f"{self.url}health/readiness", timeout, alive=lambda: process.poll() is None
            )
        except RuntimeError:
            raise RuntimeError(f"{self.name} exited at start: {self.last_words()}") from None
        return self

    def last_words(self) -> str:
        """The last line the process logged (a configuration error's sentence), if any."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log kept)"
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return lines[-1][:500] if lines else "(nothing logged)"

    def stop(self) -> None:
        """Terminate the process (SIGTERM) and wait for it."""
        terminate(self.process, timeout=10)
        self.process = None

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
