"""InfluxDB storage over the v1-compatible HTTP API, which InfluxDB 1.x, 2.x and 3 Core all serve.

Writes are line protocol on `/write` (serialized by `line_protocol` from the schema's types,
gzip-compressed, in pipelined batches); reads are InfluxQL on `/query`, answered as CSV straight
into pandas for series (`query`), or as JSON rows for small reads that need no frame (`select`).
Every request goes over the thread's keep-alive connection (`shared.influx.transport`).
Only bucket administration differs by server generation, which `/ping` tells.
Every failure becomes a typed `shared.contract.errors` exception carrying the contract's status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.contract.config import InfluxSettings
from shared.contract.errors import BucketNotFound, QueryRefused, StorageUnavailable
from shared.contract.schema import Measurement
from shared.contract.timefmt import rfc3339_nano
from shared.contract.validation import bucket_name
from shared.influx import one_point
from shared.influx.auth import error_text, raise_for_server_status
from shared.influx.deferred import Deferred
from shared.influx.influxql import ident, tags_equal
from shared.influx.transport import Answer, Transport
from shared.influx.write_pipeline import StaleConnection, WritePipeline

if TYPE_CHECKING:
    import pandas as pd

JSON = {"Content-Type": "application/json"}
INTERNAL_BUCKETS = frozenset({"_internal", "_monitoring", "_tasks"})
BATCH_LINES = 5_000
FAULTS = ("closed", "shutdown", "shutting down", "interrupted", "aborted", "timeout", "not open")
"""Words of InfluxDB's statement errors that are its own state, not the statement's fault
("engine is closed", "query engine shutdown", "shard not open" while influxd stops or starts):
503, which a caller retries, rather than a refused statement's 500."""
# Buckets keep prices for years: one shard group a year, not InfluxDB's default of one a week
# for infinite retention, which gives a decade of daily bars 520 shards, each with index files.
SHARD_GROUP_WEEKS = 52


@dataclass(frozen=True)
class Series:
    """One series of a JSON query result: its measurement, `GROUP BY` tags, columns and rows
    (times in milliseconds since the epoch, as `select` asks)."""

    name: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]

    def column(self, name: str) -> list[Any]:
        """The values of one column, row by row."""
        position = self.columns.index(name)
        return [row[position] for row in self.values]

    def records(self) -> list[dict[str, Any]]:
        """Each row as its columns' values by name, with the series' `GROUP BY` tags."""
        return [{**self.tags, **dict(zip(self.columns, row, strict=True))} for row in self.values]


@dataclass(frozen=True)
class Deletion:
    """The points of one series (`tags`) from `since` to `until`, both inclusive and optional."""

    tags: Mapping[str, str]
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None


class InfluxClient:
    """One InfluxDB server, reached over one keep-alive connection per thread."""

    def __init__(self, settings: InfluxSettings, batch_lines: int = BATCH_LINES) -> None:
        self.settings = settings
        self.batch_lines = batch_lines
        self.transport = Transport(settings)
        self.deferred = Deferred(self, settings.batch_seconds)
        """Points written a moment later (`write_soon`)."""

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Answer:
        answer = self.transport.request(method, path, **kwargs)
        raise_for_server_status(answer.status)
        return answer

    @cached_property
    def generation(self) -> int:
        """The server's major version (1, 2 or 3), from `/ping`'s headers."""
        headers = self._request("GET", "/ping").headers
        version = headers.get("X-Influxdb-Version", "").lstrip("v")
        if version[:1] in ("2", "3"):
            return int(version[0])
        if "core" in headers.get("X-Influxdb-Build", "").lower():
            return 3
        return 1

    # -- writes ------------------------------------------------------------------------------

    def write(
        self, bucket: str, frame: pd.DataFrame, measurement: Measurement, precision: str = "s"
    ) -> int:
        """Write a frame indexed by UTC time whose columns are the measurement's tags and fields.

        Returns the number of points written. Rows with the same tags and time overwrite each
        other, so writing the same frame twice leaves one point per row. Each batch is
        serialized while InfluxDB stores the one before (see `shared.influx.write_pipeline`).
        """
        bucket_name(bucket)
        if frame.empty:
            return 0
        self._post(bucket, lambda: self.line_batches(frame, measurement, precision), precision)
        return len(frame)

    def write_lines(
        self, bucket: str, lines: Sequence[str], precision: str = "s", *, create: bool = True
    ) -> bool:
        """Write prepared line-protocol lines (of any measurements: `line_protocol.lines` and
        `one_point.line` make them), `batch_lines` a request, creating the bucket when it
        does not exist yet if `create`; True when it had to."""
        bucket_name(bucket)
        if not lines:
            return False

        def batches() -> Iterator[bytes]:
            for start in range(0, len(lines), self.batch_lines):
                yield "\n".join(lines[start : start + self.batch_lines]).encode()

        try:
            self._post(bucket, batches, precision)
            return False
        except BucketNotFound:
            if not create:
                raise
            created = self.create_bucket(bucket)
            self._post(bucket, batches, precision)
            return created

    def write_point(
        self,
        bucket: str,
        measurement: Measurement,
        precision: str,
        /,
        *,
        at: datetime | int | None = None,
        **values: object,
    ) -> bool:
        """Write one point of `measurement` stamped `at` (a time, or nanoseconds since the epoch;
        default now) from `values` named by its tags and fields (`bucket` among them, for the
        watchlist's), creating the bucket when it does not exist yet; True when it had to."""
        line = one_point.line(
            measurement, time.time_ns() if at is None else at, precision, **values
        )
        return self.write_lines(bucket, [line], precision)

    def write_soon(self, bucket: str, line: str, precision: str = "ms") -> None:
        """Queue one prepared point to be written within a second, with every other queued then
        (`shared.influx.deferred`): for records whose loss fails no call, such as `runs`."""
        bucket_name(bucket)
        self.deferred.add(bucket, line, precision)

    def _post(self, bucket: str, batches: Callable[[], Iterable[bytes]], precision: str) -> None:
        """POST every batch over the thread's connection; once more from the first batch on a new
        connection when the kept-alive one was found closed (writes are idempotent)."""
        for attempt in (1, 2):
            try:
                with WritePipeline(self.transport, bucket, precision) as pipeline:
                    for body in batches():
                        pipeline.send(body)
                    pipeline.wait()
                return
            except StaleConnection:
                if attempt == 2:
                    raise

    def write_or_create(
        self, bucket: str, frame: pd.DataFrame, measurement: Measurement, precision: str = "s"
    ) -> bool:
        """`write`, creating the bucket when it does not exist yet; True when it had to.

        The one bucket policy of the store: buckets come into being with their first point, so
        no call pays for a `SHOW DATABASES` before it writes.
        """
        try:
            self.write(bucket, frame, measurement, precision)
            return False
        except BucketNotFound:
            created = self.create_bucket(bucket)
            self.write(bucket, frame, measurement, precision)
            return created

    def line_batches(
        self, frame: pd.DataFrame, measurement: Measurement, precision: str
    ) -> Iterator[bytes]:
        """The frame as line protocol, `batch_lines` lines a batch."""
        from shared.influx import line_protocol  # pandas: only functions that write pay for it

        return line_protocol.batches(frame, measurement, precision, self.batch_lines)

    # -- reads -------------------------------------------------------------------------------

    def query(
        self,
        bucket: str,
        influxql: str,
        measurement: Measurement | None = None,
        *,
        missing_ok: bool = False,
    ) -> pd.DataFrame:
        """Run one InfluxQL SELECT; the result as a frame with a UTC `time` index.

        Columns of `measurement` get its types; `GROUP BY` tags become columns. A bucket that does
        not exist raises `BucketNotFound`, unless `missing_ok`: then it reads as empty. An empty
        answer is confirmed before it is believed (`_holds_series`).
        """
        from shared.influx.frames import csv_frame, empty_frame  # pandas, for readers only

        bucket_name(bucket)
        for _ in range(2):  # a second time only when data arrived between the two answers
            response = self._request(
                "POST",
                "/query",
                params={"db": bucket, "epoch": "ms"},
                form={"q": influxql},
                headers={"Accept": "application/csv"},
            )
            if response.status != 200:
                raise _refused("a query", response)
            if response.content.strip():
                return csv_frame(response.content, measurement)
            if not self._holds_series(bucket, influxql, missing_ok):
                return empty_frame(measurement)
        raise StorageUnavailable("InfluxDB answered a read with nothing twice; retry later.")

    def _holds_series(self, bucket: str, influxql: str, missing_ok: bool) -> bool:
        """After an empty CSV answer: whether the statement now finds series, or raise.

        InfluxDB's CSV carries a statement's series and drops its error, so a read while influxd
        stops ("engine is closed") or a missing bucket answers as an empty result does. Asked
        again as JSON, the statement's error shows: a fault is 503 and a missing bucket
        `BucketNotFound` (no series if `missing_ok`), never "no data". Series found now (a
        write landed in between) send the caller back to read them.
        """
        try:
            (result,) = self.execute_many([influxql], bucket)
        except BucketNotFound:
            if missing_ok:
                return False
            raise
        return bool(result.get("series"))

    def select(
        self, bucket: str, statements: Sequence[str], *, missing_ok: bool = False
    ) -> list[list[Series]]:
        """Run SELECT statements in one request; each one's series, as JSON rows (no pandas).

        For the small reads a call makes on its way (a newest time, a few rows): a missing bucket
        raises `BucketNotFound`, or reads as no series if `missing_ok`.
        """
        try:
            results = self.execute_many(list(statements), bucket)
        except BucketNotFound:
            if not missing_ok:
                raise
            return [[] for _ in statements]
        return [
            [
                Series(
                    name=series.get("name", ""),
                    tags=series.get("tags") or {},
                    columns=series.get("columns", []),
                    values=series.get("values", []),
                )
                for series in result.get("series", [])
            ]
            for result in results
        ]

    def execute(self, bucket: str | None, influxql: str) -> dict[str, Any]:
        """Run one InfluxQL statement that changes state or lists metadata; its JSON result."""
        return self.execute_many([influxql], bucket)[0]

    def execute_many(
        self, statements: list[str], bucket: str | None = None
    ) -> list[dict[str, Any]]:
        """Run several InfluxQL statements in one request; one JSON result each (times in ms)."""
        params = {"epoch": "ms", **({"db": bucket_name(bucket)} if bucket else {})}
        response = self._request(
            "POST", "/query", params=params, form={"q": ";\n".join(statements)}
        )
        if response.status != 200:
            raise _refused("a statement", response)
        results = response.json().get("results", [])
        error = next((str(r["error"]) for r in results if r.get("error")), None)
        # InfluxDB 1.6 answers several statements on a missing database with one "not executed"
        # and no reason; asking which buckets exist tells, and only a refusal pays for it.
        if error and (
            "database not found" in error
            or (error == "not executed" and bucket and bucket not in self.list_buckets())
        ):
            raise BucketNotFound(f"The bucket {bucket!r} does not exist.")
        if error and any(words in error for words in FAULTS):
            raise StorageUnavailable(f"InfluxDB failed a statement ({error[:80]}); retry later.")
        if error:
            raise QueryRefused(f"InfluxDB refused a statement: {error[:200]}")
        return results

    def delete(
        self,
        bucket: str,
        measurement: str,
        tags: Mapping[str, str],
        *,
        since: pd.Timestamp | None = None,
        until: pd.Timestamp | None = None,
    ) -> None:
        """Delete the points of a measurement whose tags equal `tags`, from `since` to `until`.

        Both bounds are inclusive and optional; without them every matching point goes.
        """
        self.delete_many(bucket, measurement, [Deletion(tags, since, until)])

    def delete_many(self, bucket: str, measurement: str, deletions: Sequence[Deletion]) -> None:
        """Every one of `deletions` (as `delete`), on InfluxDB 1.x in one request."""
        bucket_name(bucket)
        if not deletions:
            return
        if self.generation == 1:
            statements = []
            for deletion in deletions:
                conditions = [tags_equal(**deletion.tags)]
                if deletion.since is not None:
                    conditions.append(f"time >= {deletion.since.value}")
                if deletion.until is not None:
                    conditions.append(f"time <= {deletion.until.value}")
                where = " AND ".join(conditions)
                statements.append(f"DELETE FROM {ident(measurement)} WHERE {where}")
            self.execute_many(statements, bucket)
        elif self.generation == 2:
            for deletion in deletions:
                self._delete_v2(bucket, measurement, deletion)
        # InfluxDB 3 Core has no point deletion: there, older points stay (see README).

    def _delete_v2(self, bucket: str, measurement: str, deletion: Deletion) -> None:
        predicate = " AND ".join(
            [f'_measurement="{measurement}"'] + [f'{k}="{v}"' for k, v in deletion.tags.items()]
        )
        since, until = deletion.since, deletion.until
        response = self._request(
            "POST",
            "/api/v2/delete",
            params={"org": self.settings.org or "", "bucket": bucket},
            body=_json_body(
                {
                    "start": rfc3339_nano(since) if since is not None else "1970-01-01T00:00:00Z",
                    "stop": rfc3339_nano(until) if until is not None else "2262-01-01T00:00:00Z",
                    "predicate": predicate,
                }
            ),
            headers=JSON,
        )
        if response.status == 404:
            raise BucketNotFound(f"The bucket {bucket!r} does not exist.")
        if response.status != 204:
            raise _refused("a delete", response)

    # -- buckets -----------------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """The names of every bucket the server holds, internal ones left out, sorted."""
        if self.generation == 3:
            response = self._request("GET", "/api/v3/configure/database", params={"format": "json"})
            if response.status != 200:
                raise _refused("to list databases", response)
            names = [row.get("iox::database", "") for row in response.json()]
        else:
            result = self.execute(None, "SHOW DATABASES")
            names = [
                row[0] for series in result.get("series", []) for row in series.get("values", [])
            ]
        return sorted(n for n in names if n and n not in INTERNAL_BUCKETS)

    def create_bucket(self, name: str) -> bool:
        """Create a bucket; False when it already existed."""
        bucket_name(name, "bucket name")
        if name in self.list_buckets():
            return False
        if self.generation == 1:
            self.execute(
                None, f"CREATE DATABASE {ident(name)} WITH SHARD DURATION {SHARD_GROUP_WEEKS}w"
            )
        elif self.generation == 2:
            self._create_v2_bucket(name)
        else:
            response = self._request(
                "POST", "/api/v3/configure/database", body=_json_body({"db": name}), headers=JSON
            )
            if response.status not in (200, 201, 204, 409):
                raise _refused(f"to create {name!r}", response)
        return True

    def _create_v2_bucket(self, name: str) -> None:
        from influxdb_client import BucketRetentionRules, InfluxDBClient
        from influxdb_client.rest import ApiException

        if not self.settings.org:
            raise StorageUnavailable("INFLUX_ORG must be set to create buckets on InfluxDB 2.")
        with InfluxDBClient(
            url=self.settings.url,
            token=self.settings.token or "",
            org=self.settings.org,
            timeout=int(self.settings.timeout_seconds * 1000),
        ) as client:
            try:
                forever = BucketRetentionRules(
                    every_seconds=0, shard_group_duration_seconds=SHARD_GROUP_WEEKS * 7 * 86_400
                )
                client.buckets_api().create_bucket(
                    bucket_name=name, org=self.settings.org, retention_rules=forever
                )
            except ApiException as exc:
                if exc.status != 422:  # 422: the bucket exists already
                    raise StorageUnavailable(
                        f"InfluxDB refused to create {name!r}: {exc.reason}"
                    ) from exc
            except Exception as exc:  # urllib3 transport errors
                raise StorageUnavailable("InfluxDB is unreachable; retry later.") from exc


def _json_body(value: object) -> bytes:
    return json.dumps(value).encode()


def _refused(what: str, response: Answer) -> QueryRefused:
    """InfluxDB's refusal of `what`, in its own (bounded) words."""
    detail = error_text(response.headers, response.content)[:200]
    return QueryRefused(f"InfluxDB refused {what}: {detail}")
