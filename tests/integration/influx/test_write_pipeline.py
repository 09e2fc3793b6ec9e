"""The write pipeline over real HTTP: a recording `/write` endpoint and the real influxd."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import StorageUnavailable, WriteRefused
from shared.contract.schema import PRICES
from shared.influx.client import InfluxClient
from shared.influx.write_pipeline import WritePipeline
from tests.support.prices import bars, select_prices


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    lines: list[str]
    client_port: int


@dataclass
class RecordingWrites:
    """A `/write` endpoint that records each request and answers `status` (204 by default)."""

    status: int = 204
    error: str = ""
    hang_up: bool = False  # close each connection after answering, unannounced (an idle timeout)
    received: list[Received] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlsplit(self.path)
                recorder.received.append(
                    Received(
                        url.path,
                        dict(parse_qsl(url.query)),
                        dict(self.headers),
                        body.decode().split("\n"),
                        self.client_address[1],
                    )
                )
                self.send_response(recorder.status)
                if recorder.error:
                    self.send_header("X-Influxdb-Error", recorder.error)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = recorder.hang_up

            def log_message(self, *args: object) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def recording() -> Iterator[tuple[RecordingWrites, str]]:
    writes = RecordingWrites()
    server = writes.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield writes, f"http://127.0.0.1:{server.server_address[1]}/influx"
    server.shutdown()
    server.server_close()


def test_batches_go_gzipped_in_order_over_one_connection_with_the_token(recording):
    writes, url = recording
    storage = InfluxClient(InfluxSettings(url=url, token="secret-token"), batch_lines=4)
    assert storage.write("b", bars(n=10), PRICES) == 10
    assert [len(r.lines) for r in writes.received] == [4, 4, 2]
    assert {r.path for r in writes.received} == {"/influx/write"}
    assert {r.client_port for r in writes.received} == {writes.received[0].client_port}
    first = writes.received[0]
    assert first.query == {"db": "b", "precision": "s"}
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Authorization"] == "Token secret-token"
    timestamps = [int(line.rsplit(" ", 1)[1]) for r in writes.received for line in r.lines]
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 10


def test_writes_of_one_thread_share_one_kept_alive_connection(recording):
    writes, url = recording
    storage = InfluxClient(InfluxSettings(url=url))
    for _ in range(3):
        storage.write("b", bars(n=2), PRICES)
    assert len({r.client_port for r in writes.received}) == 1


def test_a_kept_alive_connection_the_server_closed_is_replaced_and_the_write_sent_again(
    recording,
):
    writes, url = recording
    writes.hang_up = True
    storage = InfluxClient(InfluxSettings(url=url))
    storage.write("b", bars(n=2), PRICES)
    storage.write("b", bars(n=3), PRICES)
    assert [len(r.lines) for r in writes.received] == [2, 3]
    assert len({r.client_port for r in writes.received}) == 2


def test_v1_credentials_go_as_u_and_p(recording):
    writes, url = recording
    InfluxClient(InfluxSettings(url=url, username="reader", password="pw")).write(
        "b", bars(n=1), PRICES, precision="ms"
    )
    assert writes.received[0].query == {"db": "b", "precision": "ms", "u": "reader", "p": "pw"}
    assert "Authorization" not in writes.received[0].headers


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (500, "engine failed", StorageUnavailable),
        (503, "", StorageUnavailable),
        (401, "authorization failed", StorageUnavailable),
        (400, "unable to parse", WriteRefused),
    ],
)
def test_answers_map_to_the_contracts_errors(recording, status, error, expected):
    writes, url = recording
    writes.status, writes.error = status, error
    with pytest.raises(expected) as caught:
        InfluxClient(InfluxSettings(url=url)).write("b", bars(n=3), PRICES)
    assert error in str(caught.value) or expected is StorageUnavailable


def test_a_refused_batch_stops_the_write_before_the_next_is_sent(recording):
    writes, url = recording
    writes.status = 400
    with pytest.raises(WriteRefused):
        InfluxClient(InfluxSettings(url=url), batch_lines=2).write("b", bars(n=10), PRICES)
    assert len(writes.received) == 1  # the first answer is read before the second batch goes


def test_many_batches_reach_influxd_whole(storage, bucket):
    frame = bars(n=2_000, start="2020-01-01")
    with WritePipeline(storage.transport, bucket, "s") as pipeline:
        for lines in InfluxClient(storage.settings, batch_lines=300).line_batches(
            frame, PRICES, "s"
        ):
            pipeline.send(lines)
        pipeline.wait()
    stored = select_prices(storage, bucket, "AAPL")
    assert list(stored.index) == list(frame.index)
    assert stored["close"].tolist() == frame["close"].tolist()
    assert isinstance(stored.index, pd.DatetimeIndex)
