"""Free loopback ports, waiting for a server to answer, and stopping its process."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_or_free(port: int) -> int:
    """`port` when nothing listens on it, else any free port.

    The check binds with SO_REUSEADDR, as the servers themselves do (waitress, influxd): the
    connections of a previous run left in TIME-WAIT do not keep a server from the port, so they
    must not make it look busy either (a second `make run` keeps the same ports).
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def wait_until_up(
    url: str, timeout: float = 30.0, alive: Callable[[], bool] = lambda: True
) -> None:
    """Poll `url` until it answers below 500; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process behind {url} exited before it answered")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def terminate(process: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """SIGTERM the process, SIGKILL it if it has not exited after `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
