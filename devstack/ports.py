"""Loopback ports: bound before anyone is told them, proven to be the launched process's, and
waiting for a server to answer, and stopping its process.

A port picked free and bound later is a race with every other program on the machine (the
test suites of other checkouts included): the local stack binds first and hands the bound
socket over where it can (functions, the mesh), and checks who listens where it cannot (influxd).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

logger = logging.getLogger("devstack")
Bound = TypeVar("Bound")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bind_or_move(bind: Callable[[int], Bound], port: int, what: str, *, move: bool = True) -> Bound:
    """`bind(port)`, or `bind(0)` (any free port) when `port` is in use, saying so; with
    `move=False` a port in use is an error that says so.

    `port` 0 binds any free port at once. The bound thing is the caller's from here on: nobody
    else can take the port between choosing it and listening on it.
    """
    try:
        return bind(port)
    except OSError as error:
        if port == 0 or error.errno != errno.EADDRINUSE:
            raise
        if not move:
            raise OSError(
                error.errno, f"Port {port} is in use by another program; {what} needs it."
            ) from None
    moved = bind(0)
    logger.warning("Port %d is in use by another program: %s moved to a free port.", port, what)
    return moved


def listening_socket(
    port: int, what: str, host: str = "127.0.0.1", *, move: bool = True
) -> socket.socket:
    """A TCP socket listening on `host`:`port` (or a free port when that one is in use), with
    SO_REUSEADDR as waitress and influxd set it (a previous run's TIME-WAIT does not block)."""

    def bind(number: int) -> socket.socket:
        sock = socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, number))
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        return sock

    return bind_or_move(bind, port, what, move=move)


def listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds the socket listening on TCP `port` (Linux's /proc tells);
    None where /proc cannot tell."""
    try:
        wanted = {_listening_inode(line, port) for line in _tcp_table()} - {None}
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return None
    held = set()
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:  # closed since it was listed
            continue
        if target.startswith("socket:["):
            held.add(int(target[8:-1]))
    return bool(wanted & held)


def _tcp_table() -> list[str]:
    return [
        line
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(table).exists()
        for line in Path(table).read_text().splitlines()[1:]
    ]


def _listening_inode(line: str, port: int) -> int | None:
    """The inode of a /proc/net/tcp row listening on `port` (state 0A), else None."""
    cells = line.split()
    if len(cells) < 10 or cells[3] != "0A" or int(cells[1].rsplit(":", 1)[1], 16) != port:
        return None
    return int(cells[9])


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
