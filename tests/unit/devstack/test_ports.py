"""A port in TIME-WAIT from the previous `make run` is reused; one someone listens on is not."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from devstack.ports import free_port, port_or_free


@contextmanager
def listening(port: int = 0) -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress and influxd do
        server.bind(("127.0.0.1", port))
        server.listen()
        yield server


def leave_in_time_wait() -> int:
    """A port whose server closed a connection first, as a stopped function does."""
    with listening() as server:
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the side that closes first keeps the port in TIME-WAIT
        client.recv(1)
        client.close()
    return port


def test_a_port_in_time_wait_is_reused() -> None:
    port = leave_in_time_wait()
    with socket.socket() as plain:  # what the old check did: it saw the port as busy
        try:
            plain.bind(("127.0.0.1", port))
            busy_without_reuse = False
        except OSError:
            busy_without_reuse = True
    assert busy_without_reuse, "the set-up left no TIME-WAIT socket, so the test proves nothing"
    assert port_or_free(port) == port


def test_a_port_someone_listens_on_is_replaced_by_a_free_one() -> None:
    with listening() as server:
        taken = server.getsockname()[1]
        other = port_or_free(taken)
        assert other != taken
        with listening(other):  # and the replacement really is free
            pass


def test_a_free_port_is_kept() -> None:
    port = free_port()
    assert port_or_free(port) == port
