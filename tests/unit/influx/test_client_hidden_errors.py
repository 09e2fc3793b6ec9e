"""A read never takes InfluxDB's failure for "no data".

InfluxDB 1.6's CSV answer carries a statement's series and drops its error: while influxd stops,
a SELECT answers 200 with an empty CSV body, and the same statement in JSON says "engine is
closed" (measured on a real influxd, `tests/integration/reliability/test_faults.py`). A stand-in
answers exactly so, and the client must raise a retryable 503, not return an empty frame.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import BucketNotFound, QueryRefused, StorageUnavailable
from shared.influx.client import InfluxClient
from tests.support.loopback import LoopbackServer

QUERY = 'SELECT "close" FROM "prices"'


def stand_in(
    error: str | None, series: list | None, asked: list[tuple[str, str]]
) -> type[BaseHTTPRequestHandler]:
    """An influxd whose statements fail with `error` (or succeed with `series`): CSV empty.
    Each request's answer kind and statement go to `asked`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            csv = "csv" in self.headers.get("Accept", "")
            asked.append(("csv" if csv else "json", form["q"][0]))
            if csv:
                body, kind = b"", "text/csv"
            else:
                result = {"statement_id": 0}
                result |= {"error": error} if error else {"series": series or []}
                body, kind = json.dumps({"results": [result]}).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


SERVERS: list[LoopbackServer] = []


@pytest.fixture
def serving() -> Iterator:
    def start(error: str | None, series: list | None = None) -> InfluxClient:
        asked: list[tuple[str, str]] = []
        server = LoopbackServer(stand_in(error, series, asked)).start()
        server.asked = asked  # type: ignore[attr-defined]
        SERVERS.append(server)
        return InfluxClient(InfluxSettings(url=server.base_url, timeout_seconds=5.0))

    yield start
    while SERVERS:
        SERVERS.pop().stop()


@pytest.mark.parametrize(
    "error",
    ["engine is closed", "query engine shutdown", "shard not open", "query interrupted"],
)
@pytest.mark.parametrize("missing_ok", [False, True])
def test_a_failure_hidden_by_the_csv_answer_is_503_never_no_data(serving, error, missing_ok):
    client = serving(error)
    with pytest.raises(StorageUnavailable):
        client.query("stocks", QUERY, missing_ok=missing_ok)
    with pytest.raises(StorageUnavailable) as caught:
        client.execute_many([QUERY, QUERY], "stocks")
    assert caught.value.message == f"InfluxDB failed a statement ({error}); retry later."


def test_a_missing_bucket_hidden_by_the_csv_answer_is_bucket_not_found(serving):
    client = serving("database not found: stocks")
    with pytest.raises(BucketNotFound):
        client.query("stocks", QUERY)
    assert client.query("stocks", QUERY, missing_ok=True).empty


def test_an_empty_answer_confirmed_empty_is_empty(serving):
    assert serving(None).query("stocks", QUERY).empty


def test_an_empty_answer_that_then_holds_data_is_read_again(serving):
    """A write landing between the two answers sends the client back to read it (this stand-in
    keeps answering CSV empty, so after a second try it gives up with a 503)."""
    client = serving(None, [{"name": "prices", "columns": ["time", "close"], "values": [[0, 1.0]]}])
    with pytest.raises(StorageUnavailable, match="nothing twice"):
        client.query("stocks", QUERY)
    (server,) = SERVERS
    assert [kind for kind, _ in server.asked] == ["csv", "json", "csv", "json"]


def test_a_statement_at_fault_is_still_refused(serving):
    error = "unsupported mean iterator type: *query.stringInterruptIterator"
    with pytest.raises(QueryRefused) as caught:
        serving(error).query("stocks", QUERY)
    assert caught.value.message == f"InfluxDB refused a statement: {error}"


def test_the_json_read_asks_the_same_statement(serving):
    """The second answer is about the first read: the same statement, asked as JSON."""
    client = serving("engine is closed")
    with pytest.raises(StorageUnavailable):
        client.query("stocks", QUERY)
    (server,) = SERVERS
    assert [(kind, statement) for kind, statement in server.asked] == [
        ("csv", QUERY),
        ("json", QUERY),
    ]
