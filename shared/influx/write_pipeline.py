"""Line-protocol batches POSTed to InfluxDB's `/write` with one batch in flight at a time.

`send` puts a batch on the wire and returns, so the caller serializes the next batch while
InfluxDB stores this one; its answer is read just before the next batch goes. Sending and reading
are two steps on one `http.client` connection in the caller's own thread. A second posting thread
gains little: under the GIL it waits for the serializing thread at every socket call.
"""

from __future__ import annotations

import gzip
import http.client
import ssl
from types import TracebackType
from urllib.parse import urlencode, urlsplit

import certifi

from shared.contract.config import InfluxSettings
from shared.contract.errors import BucketNotFound, StorageUnavailable, WriteRefused
from shared.influx.auth import credentials, error_text, raise_for_server_status


class WritePipeline:
    """One connection to `/write` of one bucket; `send` each batch, then `wait` for the last."""

    def __init__(self, settings: InfluxSettings, bucket: str, precision: str) -> None:
        url = urlsplit(settings.url)
        auth_headers, auth_params = credentials(settings)
        params = {"db": bucket, "precision": precision} | auth_params
        self.bucket = bucket
        self.path = f"{url.path.rstrip('/')}/write?{urlencode(params)}"
        self.headers = {
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain; charset=utf-8",
            **auth_headers,
        }
        if url.scheme == "https":
            tls = ssl.create_default_context(cafile=certifi.where())
            self.connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                url.hostname or "", url.port, timeout=settings.timeout_seconds, context=tls
            )
        else:
            self.connection = http.client.HTTPConnection(
                url.hostname or "", url.port, timeout=settings.timeout_seconds
            )
        self.in_flight = False

    def send(self, lines: bytes) -> None:
        """Check the previous batch's answer, then put this batch (gzip-compressed) on the wire."""
        self.wait()
        body = gzip.compress(lines, compresslevel=1)
        try:
            self.connection.request("POST", self.path, body=body, headers=self.headers)
        except (OSError, http.client.HTTPException) as exc:
            raise StorageUnavailable("InfluxDB is unreachable; retry later.") from exc
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
            raise StorageUnavailable("InfluxDB is unreachable; retry later.") from exc
        raise_for_server_status(response.status)
        if response.status == 204:
            return
        detail = error_text(response.headers, body)
        if response.status == 404 or "database not found" in detail:
            raise BucketNotFound(f"The bucket {self.bucket!r} does not exist.")
        raise WriteRefused(f"InfluxDB refused the write: {detail[:200]}")

    def __enter__(self) -> WritePipeline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.connection.close()
