"""Each function in its own process, served by `python -m shared.runtime.server` as in the image.

The launcher binds the function's port itself and hands the listening socket to the process
(`STOCKS_LISTEN_FD`): the port is taken before anyone is told it, and whatever answers on it is
the process launched, never another program that held the port (which readiness alone cannot
tell apart). A port in use moves to a free one, with a sentence.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from devstack.ports import listening_socket, terminate, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


class FunctionProcess:
    """One function on one loopback port (`port`, or a free one), with its own environment."""

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
        self.socket: socket.socket | None = listening_socket(port or 0, f"the {name} function")
        self.port = self.socket.getsockname()[1]
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
        """Start the process on the bound socket and wait for its readiness probe.

        After `stop` the port is bound again (the same one, or an error saying who holds it).
        Another checkout (`root`, an older tree a benchmark compares against) may not take a
        socket: it is given the port to bind itself, as before.
        """
        if self.socket is None:
            self.socket = listening_socket(self.port, f"the {self.name} function", move=False)
        handed = [self.socket.fileno()] if self.root == ROOT else []
        env = dict(self.env)
        if handed:
            env["STOCKS_LISTEN_FD"] = str(handed[0])
        else:
            self.socket.close()
            self.socket = None
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.runtime.server"],
            cwd=self.root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if self.log_path else subprocess.DEVNULL,
            pass_fds=handed,
        )
        self.process = process
        try:
            wait_until_up(
                f"{self.url}health/readiness", timeout, alive=lambda: process.poll() is None
            )
        except RuntimeError:
            raise RuntimeError(f"{self.name} exited at start: {self.last_words()}") from None
        return self

    def stop(self) -> None:
        """Terminate the process (SIGTERM), wait for it, and release the port."""
        terminate(self.process, timeout=10)
        self.process = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would; the port stays bound for
        `start`, and what arrives meanwhile waits in its backlog."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def last_words(self) -> str:
        """What the process said last (a configuration error's sentence), if anything."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log kept)"
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        if not lines:
            return "(nothing logged)"
        try:
            entry = json.loads(lines[-1])
        except ValueError:
            return lines[-1][:500]
        said = entry.get("message") or entry.get("error") if isinstance(entry, dict) else None
        return str(said or lines[-1])[:500]
