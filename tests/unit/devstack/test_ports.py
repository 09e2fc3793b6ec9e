"""A port in TIME-WAIT from the previous `make run` is reused; one someone listens on is not;
a port is bound before anyone is told it, and who listens on it is known by pid."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from devstack.ports import free_port, listening_socket, listens, port_or_free


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


def test_a_listening_socket_takes_its_port_and_keeps_it() -> None:
    port = leave_in_time_wait()
    with listening_socket(port, "a test") as sock:
        assert sock.getsockname()[1] == port  # TIME-WAIT does not move it
        assert port_or_free(port) != port  # nobody else can take it from now on


def test_a_listening_socket_moves_off_a_port_in_use_and_says_so(caplog) -> None:
    with listening() as server:
        taken = server.getsockname()[1]
        with listening_socket(taken, "the probe") as sock:
            assert sock.getsockname()[1] != taken
    assert f"Port {taken} is in use by another program: the probe moved" in caplog.text


def test_a_port_in_use_that_must_not_move_is_an_error_that_says_so() -> None:
    with listening() as server:
        taken = server.getsockname()[1]
        with pytest.raises(OSError, match=f"Port {taken} is in use by another program; the probe"):
            listening_socket(taken, "the probe", move=False)


def test_who_listens_on_a_port_is_told_by_its_pid() -> None:
    with listening_socket(0, "a test") as sock:
        port = sock.getsockname()[1]
        assert listens(os.getpid(), port) is True
        assert listens(os.getppid(), port) is False
    assert listens(os.getpid(), port) is False  # closed
