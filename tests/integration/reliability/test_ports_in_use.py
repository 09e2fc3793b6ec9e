"""The local stack never mistakes another program on its port for what it launched.

Another program holds the port a function or influxd is to use, and answers every request
(readiness and `/ping` included) as if it were the server. The launch moves to a free port,
says so, and what answers there is the process launched; a restart whose port was taken
meanwhile fails with a sentence rather than talk to the other program.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
import requests

from devstack.functions import FunctionProcess
from devstack.influxd import InfluxServer
from tests.support.loopback import LoopbackServer


class Impostor(BaseHTTPRequestHandler):
    """Answers 200 (204 to /ping, as influxd does) to anything, and counts what it was asked."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Impostor.asked.append(self.path)
        self.send_response(204 if self.path.startswith("/ping") else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[int]:
    Impostor.asked = []
    server = LoopbackServer(Impostor).start()
    yield server.server.server_address[1]
    server.stop()


def test_a_function_whose_port_is_taken_moves_and_answers_itself(
    influx_server, tmp_path, impostor, caplog
):
    caplog.set_level(logging.WARNING, logger="devstack")
    env = {"INFLUX_URL": influx_server.url}
    process = FunctionProcess("buckets", env, port=impostor, log_path=tmp_path / "b.log").start()
    try:
        assert process.port != impostor
        assert f"Port {impostor} is in use by another program" in caplog.text
        answer = requests.get(process.url, timeout=30)
        assert answer.status_code == 200 and "buckets" in answer.json()
        assert Impostor.asked == []  # readiness never asked the other program
    finally:
        process.stop()


def test_influxd_whose_port_is_taken_moves_and_answers_itself(tmp_path, impostor, caplog):
    caplog.set_level(logging.WARNING, logger="devstack")
    server = InfluxServer(tmp_path / "influxd", port=impostor).start()
    try:
        assert server.port != impostor
        assert f"Port {impostor} is in use: influxd moved to {server.port}" in caplog.text
        ping = requests.get(f"{server.url}/ping", timeout=30)
        assert ping.status_code == 204 and ping.headers["X-Influxdb-Version"]
    finally:
        server.stop()


def test_influxd_restarted_after_its_port_was_taken_fails_with_a_sentence(tmp_path):
    server = InfluxServer(tmp_path / "influxd").start()
    server.stop()
    taken = LoopbackServer(Impostor, port=server.port).start()  # while influxd was stopped
    try:
        with pytest.raises(RuntimeError, match=f"Port {server.port} of influxd was taken"):
            server.start()
    finally:
        taken.stop()
        server.stop()
