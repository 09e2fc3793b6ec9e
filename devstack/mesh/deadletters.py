"""Dead letters: Knative's error extensions on the event, and a JSON-lines file a user can read."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from cloudevents.http import CloudEvent

ERROR_DATA_MAX_LENGTH = 1024  # Knative truncates knativeerrordata to this many characters


def with_error_extensions(
    event: CloudEvent, destination: str, status: int | None, body: bytes
) -> CloudEvent:
    """A copy of `event` carrying `knativeerrordest`, `knativeerrorcode` and `knativeerrordata`.

    As Knative does: the code is the last HTTP status (absent when there was no response) and
    the data is the base64 of the response body, cut to 1024 characters (absent when empty).
    """
    attributes = dict(event.get_attributes())
    attributes["knativeerrordest"] = destination
    if status is not None:
        attributes["knativeerrorcode"] = str(status)
    if body:
        attributes["knativeerrordata"] = base64.b64encode(body).decode()[:ERROR_DATA_MAX_LENGTH]
    return CloudEvent(attributes, event.get_data())


class DeadLetterFile:
    """Appends one JSON object a line per dead letter and counts them."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Dead letters appended by this process."""
        with self._lock:
            return self._count

    def append(self, event: CloudEvent, trigger: str, sink: str | None) -> None:
        """Record `event` (with its error extensions) as dead-lettered by `trigger` to `sink`."""
        line = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(),
                "trigger": trigger,
                "dead_letter_sink": sink,
                "event": {**event.get_attributes(), "data": _readable(event.get_data())},
            }
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
            self._count += 1


def _readable(data: object) -> object:
    """Event data as JSON when it is JSON, else as text (base64 when not UTF-8)."""
    if not isinstance(data, bytes | str):
        return data
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        pass
    if isinstance(data, str):
        return data
    try:
        return data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()
