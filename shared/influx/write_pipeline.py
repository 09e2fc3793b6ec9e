"""Line-protocol batches POSTed to InfluxDB's `/write` with one batch in flight at a time.

`send` puts a batch on the wire and returns, so the caller serializes the next batch while
InfluxDB stores this one; its answer is read just before the next batch goes. Sending and reading
are two steps on the calling thread's keep-alive connection (`shared.influx.transport`). A second
posting thread gains little: under the GIL it waits for the serializing thread at every socket
call.
"""

from __future__ import annotations

import gzip
import http.client
from types import TracebackType

from shared.contract.errors import BucketNotFound, StorageUnavailable, WriteRefused
from shared.influx.auth import error_text, raise_for_server_status
from shared.influx.transport import Transport


class StaleConnection(StorageUnavailable):
    """The first batch found the thread's kept-alive connection closed by the server."""


class WritePipeline:
    """Batches to `/write` of one bucket; `send` each batch, then `wait` for the last."""

    def __init__(self, transport: Transport, bucket: str, precision: str) -> None:
        self.transport = transport
        self.bucket = bucket
        self.path = transport.path("/write", {"db": bucket, "precision": precision})
        self.headers = {
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain; charset=utf-8",
            **transport.headers,
        }
        try:
            self.connection, self.reused = transport.connection()
        except TimeoutError as exc:
            raise StorageUnavailable("InfluxDB did not answer in time; retry later.") from exc
        except OSError as exc:
            raise StorageUnavailable("InfluxDB is unreachable; retry later.") from exc
        self.in_flight = False
        self.answered = False

    def send(self, lines: bytes) -> None:
        """Check the previous batch's answer, then put this batch (gzip-compressed) on the wire."""
        self.wait()
        body = gzip.compress(lines, compresslevel=1)
        try:
            self.connection.request("POST", self.path, body=body, headers=self.headers)
        except (OSError, http.client.HTTPException) as exc:
            raise self._lost(exc) from exc
        self.in_flight = True

    def wait(self) -> None:
        """Read and check the answer to the batch in flight, if there is one."""
        if not self.in_flight:
            return
        self.in_flight = False
        try:
            response = self.connection.getresponse()
            body = response.read()
        except TimeoutError as exc:
            raise StorageUnavailable("InfluxDB did not answer in time; retry later.") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise self._lost(exc) from exc
        self.answered = True
        if response.will_close:
            self.transport.discard()
        raise_for_server_status(response.status)
        if response.status == 204:
            return
        detail = error_text(response.headers, body)
        if response.status == 404 or "database not found" in detail:
            raise BucketNotFound(f"The bucket {self.bucket!r} does not exist.")
        raise WriteRefused(f"InfluxDB refused the write: {detail[:200]}")

    def _lost(self, exc: BaseException) -> StorageUnavailable:
        if self.reused and not self.answered:
            return StaleConnection("InfluxDB closed the kept-alive connection.")
        return StorageUnavailable("InfluxDB is unreachable; retry later.")

    def __enter__(self) -> WritePipeline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is not None and not isinstance(error, (BucketNotFound, WriteRefused)):
            self.transport.discard()  # its state is unknown: an answer may still be unread
        elif self.in_flight:
            self.transport.discard()
