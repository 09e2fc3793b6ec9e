"""Trigger delivery with Knative's semantics, on a pool of worker threads.

Each event goes to the subscriber in binary mode. A 2xx ends delivery; a CloudEvent in the
reply goes back into the broker; a 2xx with any other body is a failure (502, as Knative's
broker answers it). 404, 408, 409, 429, 5xx and transport errors are retried `retry` times,
waiting `backoffDelay`, then 2x, 4x... (exponential) or 2x, 3x... (linear), times
`backoff_scale`; other statuses are not. After the last attempt the event, with Knative's
`knativeerror*` extensions, goes to the dead-letter file and the dead-letter sink.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent

from devstack.mesh.codec import read_event, write_binary
from devstack.mesh.deadletters import DeadLetterFile, with_error_extensions
from devstack.mesh.records import Delivery, Journal

logger = logging.getLogger("devstack.mesh")

RETRYABLE_STATUSES = frozenset({404, 408, 409, 429})
NOT_A_CLOUDEVENT = 502


def is_retryable(status: int | None) -> bool:
    """Whether Knative retries a delivery that ended with `status` (None: no response)."""
    return status is None or status in RETRYABLE_STATUSES or status >= 500


def backoff_seconds(policy: str, delay: float, retry: int) -> float:
    """The wait before retry number `retry` (1, 2, ...): delay x 2^(retry-1), or delay x retry."""
    return delay * (2 ** (retry - 1) if policy == "exponential" else retry)


@dataclass(frozen=True)
class Route:
    """A Trigger with its URLs resolved: where to deliver, how to retry, where to dead-letter."""

    trigger: str
    broker: tuple[str, str]
    subscriber: str
    retry: int = 0
    backoff_policy: str = "exponential"
    backoff_delay: float = 0.0
    dead_letter_sink: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One POST to a subscriber: its status (None without a response), body and reply."""

    status: int | None
    body: bytes = b""
    reply: CloudEvent | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post_event(session: requests.Session, url: str, event: CloudEvent, timeout: float) -> Attempt:
    """POST `event` in binary mode and read the subscriber's answer."""
    headers, body = write_binary(event)
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return Attempt(None, error=f"{type(exc).__name__}: {exc}")
    if not 200 <= response.status_code < 300:
        return Attempt(response.status_code, response.content, error=_refusal(response))
    return _read_reply(response)


def _refusal(response: requests.Response) -> str:
    """The subscriber's own words for a failure: its JSON `error`, else the start of its body."""
    try:
        said = response.json().get("error")
    except (ValueError, AttributeError):
        said = None
    text = said if isinstance(said, str) else response.text[:200]
    return f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"


def _read_reply(response: requests.Response) -> Attempt:
    content_type = response.headers.get("content-type", "")
    if "ce-specversion" not in response.headers and "cloudevents" not in content_type:
        if response.content:
            return Attempt(NOT_A_CLOUDEVENT, response.content, error="reply is not a CloudEvent")
        return Attempt(response.status_code)
    try:
        reply = read_event(response.headers, response.content)
    except GenericException as exc:
        return Attempt(NOT_A_CLOUDEVENT, response.content, error=f"invalid CloudEvent reply: {exc}")
    return Attempt(response.status_code, reply=reply)


class Dispatcher:
    """Delivers events to routes concurrently; every submitted event ends in the journal."""

    def __init__(
        self,
        on_reply: Callable[[Route, CloudEvent, int], None],
        journal: Journal,
        dead_letters: DeadLetterFile,
        *,
        workers: int = 16,
        backoff_scale: float = 1.0,
        request_timeout: float = 600.0,
    ) -> None:
        self._on_reply = on_reply
        self._journal = journal
        self._dead_letters = dead_letters
        self._backoff_scale = backoff_scale
        self._request_timeout = request_timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mesh-delivery")
        self._local = threading.local()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, route: Route, event: CloudEvent, hops: int, delay: float = 0.0) -> None:
        """Queue `event` for delivery to `route`, starting after `delay` seconds; `hops` counts
        replies that led to it."""
        with self._idle:
            self._pending += 1
        try:
            self._pool.submit(self._run, route, event, hops, delay)
        except RuntimeError:  # closed: account for the event (a dead letter in the file) here
            self._run(route, event, hops)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no delivery is queued or running; False if `timeout` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Let deliveries finish for up to `timeout` s, then stop retrying and stop.

        Events still queued or waiting for a retry then end, undelivered, in the dead-letter
        file (not sent to the sink), so the journal accounts for every submitted event.
        """
        idle = self.wait_idle(timeout)
        self._stopping.set()
        self._pool.shutdown(wait=True)
        return idle

    def _run(self, route: Route, event: CloudEvent, hops: int, delay: float = 0.0) -> None:
        if delay > 0:
            self._stopping.wait(delay)
        started = time.monotonic()
        try:
            self._journal.delivered(self._deliver(route, event, hops, started))
        except Exception as exc:  # an unexpected bug must not lose the event's record
            logger.exception("delivery of %s to %s failed", event["id"], route.trigger)
            self._journal.delivered(
                Delivery(
                    event_id=event["id"],
                    event_type=event["type"],
                    trigger=route.trigger,
                    subscriber=route.subscriber,
                    attempts=0,
                    status=None,
                    outcome="dropped",
                    seconds=time.monotonic() - started,
                    error=repr(exc),
                )
            )
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, route: Route, event: CloudEvent, hops: int, started: float) -> Delivery:
        attempts = 0
        attempt = Attempt(None, error="the mesh stopped before delivering it")
        while not self._stopping.is_set():
            attempts += 1
            attempt = post_event(self._session(), route.subscriber, event, self._request_timeout)
            if attempt.ok or not is_retryable(attempt.status) or attempts > route.retry:
                break
            wait = backoff_seconds(route.backoff_policy, route.backoff_delay, attempts)
            if self._stopping.wait(wait * self._backoff_scale):
                break
        if attempt.ok:
            if attempt.reply is not None:
                self._on_reply(route, attempt.reply, hops + 1)
            outcome = "delivered"
        else:
            outcome = self._dead_letter(route, event, attempt)
        return Delivery(
            event_id=event["id"],
            event_type=event["type"],
            trigger=route.trigger,
            subscriber=route.subscriber,
            attempts=attempts,
            status=attempt.status,
            outcome=outcome,
            seconds=round(time.monotonic() - started, 6),
            error=attempt.error,
            reply_type=attempt.reply["type"] if attempt.reply is not None else None,
        )

    def _dead_letter(self, route: Route, event: CloudEvent, attempt: Attempt) -> str:
        letter = with_error_extensions(event, route.subscriber, attempt.status, attempt.body)
        self._dead_letters.append(letter, route.trigger, route.dead_letter_sink)
        if route.dead_letter_sink is None or self._stopping.is_set():
            return "dropped"
        sent = post_event(self._session(), route.dead_letter_sink, letter, self._request_timeout)
        return "dead-lettered" if sent.ok else "dropped"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # loopback only: never through a proxy from the env
        return session
