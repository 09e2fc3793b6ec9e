"""The frame every function runs in: parse the call, run it, answer by the contract, log one line.

A function is a `FunctionSpec`: its name, the CloudEvent types it takes, the type of the event it
replies with, and a `run(invocation, services) -> Reply`. The handler turns typed failures into
the contract's JSON errors, successes into JSON or (for CloudEvent calls) a binary-mode CloudEvent,
records the run in InfluxDB when asked, and never lets a traceback reach the caller.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudevents.http import CloudEvent

from shared.contract import validation
from shared.contract.errors import BadInput, Forbidden, RateLimited, StocksError, Unauthorized
from shared.contract.events import binary, new_event
from shared.runtime import origin
from shared.runtime.invocation import Invocation, looks_like_event, method_of, read_invocation
from shared.runtime.logs import log, redact
from shared.runtime.services import Services

if TYPE_CHECKING:
    from flask import Request

Response = tuple[bytes | str, int, dict[str, str]]
REFUSED = frozenset({400, 401, 403, 413, 415})
"""Statuses of a request refused as it came: no run is recorded (bad input writes nothing)."""


@dataclass
class Reply:
    """A successful answer: a JSON body, or raw content such as a PNG."""

    body: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    symbol: str | None = None
    interval: str | None = None
    points: int | None = None
    content: bytes | None = None
    content_type: str = "application/json"
    dropped: int = 0
    """Provider rows or actions left out as impossible (fetch), recorded with the run."""
    warning: str | None = None
    """What an operator should see about a successful call (what was dropped), with the run."""
    attributes: dict[str, str] = field(default_factory=dict)
    """Extension attributes of the reply event (a Trigger may filter on them)."""


@dataclass(frozen=True)
class FunctionSpec:
    """A function: its name, accepted event types, reply event type and what it runs."""

    name: str
    run: Callable[[Invocation, Services], Reply]
    accepts: frozenset[str] | None = frozenset()  # None: any event type
    reply_type: str | None = None
    methods: frozenset[str] = frozenset({"GET", "POST"})
    records_runs: bool = False
    fields: frozenset[str] = frozenset()
    """The fields a direct call (GET or JSON) may send; events may carry more (replies do)."""
    opaque_data: bool = False
    """CloudEvent data is kept as it came, not read as fields (a dead-letter sink takes any)."""
    writes: frozenset[str] = frozenset()
    """The methods of a direct call that change state: they need the API token (CloudEvents,
    which only the broker inside the cluster sends, do not)."""
    reads: frozenset[str] = frozenset()
    """The methods of a direct call that only read, which a page of another site may send (a
    link to the page, a chart shown in another page); any other call from such a page is
    refused (403), token or not."""


@dataclass(frozen=True)
class Series:
    """What a call was about, as its run and its log line record it."""

    symbol: str | None
    interval: str | None


class Handler:
    """Calls one FunctionSpec for each request parliament hands over."""

    def __init__(self, spec: FunctionSpec, services: Services) -> None:
        self.spec = spec
        self.services = services

    def __call__(self, request: Request, parsed_event: CloudEvent | None) -> Response:
        started = time.perf_counter()
        invocation: Invocation | None = None
        series = Series(None, None)
        try:
            # Who may ask comes before anything about what is asked: a caller refused for its
            # site or its token learns nothing of the fields.
            self._check_site(request)
            self._check_token(request, parsed_event)
            invocation = read_invocation(request, parsed_event, self.spec.opaque_data)
            self._check_allowed(invocation)
            reply = self.spec.run(invocation, self.services)
            series = self._series_of(invocation, reply)
            response = self._success(invocation, reply)
            self._finish(invocation, started, reply.status, series, None, reply)
            return response
        except StocksError as error:
            series = series if series.symbol else self._series_of(invocation)
            self._finish(invocation, started, error.status, series, error.message)
            return self._error(error)
        except Exception as error:  # a defect: answer without a traceback, log it in one line
            trace = traceback.format_exception_only(type(error), error)[-1].strip()
            self._finish(invocation, started, 500, self._series_of(invocation), trace)
            return _json({"error": "The function failed unexpectedly; see its logs."}, 500)

    def _check_allowed(self, invocation: Invocation) -> None:
        if invocation.event is not None:
            event_type = invocation.event["type"]
            if self.spec.accepts is not None and event_type not in self.spec.accepts:
                accepted = ", ".join(sorted(self.spec.accepts)) or "none"
                raise BadInput(
                    f"The {self.spec.name} function does not take events of type "
                    f"{event_type[:80]!r} (it takes: {accepted})."
                )
        elif invocation.method not in self.spec.methods:
            raise BadInput(f"The {self.spec.name} function does not answer {invocation.method}.")
        else:
            self._check_fields(invocation)

    def _check_site(self, request: Request) -> None:
        """A page of another site may only read: any other call it sends is refused, token or
        not (a browser sends a form or a `text/plain` POST anywhere without asking first)."""
        method = method_of(request)
        if method in self.spec.reads:
            return
        reason = origin.foreign({k.lower(): v for k, v in request.headers.items()})
        if reason is not None:
            raise Forbidden(
                f"{method} to the {self.spec.name} function is refused from another site's "
                f"page: {reason}."
            )

    def _check_token(self, request: Request, parsed_event: CloudEvent | None) -> None:
        """A state change needs `Authorization: Bearer <STOCKS_API_TOKEN>` when a token is set.

        Checked before the body is read, so a caller without the token learns no field rules.
        Compared in constant time; the header is never logged or echoed.
        """
        token = self.services.settings.api_token
        method = method_of(request)
        if (
            token is None
            or parsed_event is not None
            or looks_like_event(request)
            or method not in self.spec.writes
        ):
            return
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            raise Unauthorized(
                f"{method} to the {self.spec.name} function changes state and needs "
                "the API token: send Authorization: Bearer <STOCKS_API_TOKEN>."
            )

    def _check_fields(self, invocation: Invocation) -> None:
        """A misspelled field is refused, not ignored (`validation.known_fields`).

        Functions that take no fields (deadletters) take events only and say so when run.
        """
        if self.spec.fields:
            validation.known_fields(
                invocation.fields, self.spec.fields, f"the {self.spec.name} function"
            )

    def _success(self, invocation: Invocation, reply: Reply) -> Response:
        if reply.content is not None:
            return reply.content, reply.status, {"Content-Type": reply.content_type}
        if invocation.event is None:
            return _json(reply.body, reply.status)
        if self.spec.reply_type is None:
            return "", 200, {}
        event = new_event(self.spec.reply_type, self.spec.name, reply.body, subject=reply.symbol)
        for name, value in reply.attributes.items():
            event[name] = value
        headers, body = binary(event)
        return body, 200, headers

    def _error(self, error: StocksError) -> Response:
        message = redact(error.message, self.services.secrets)  # InfluxDB's texts are quoted
        body, status, headers = _json({"error": message}, error.status)
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after)
        if isinstance(error, Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer realm="stocks-manager"'
        return body, status, headers

    def _finish(
        self,
        invocation: Invocation | None,
        started: float,
        status: int,
        series: Series,
        error: str | None,
        reply: Reply | None = None,
    ) -> None:
        """Log the call and record its run; `reply` is the successful call's (its points, and
        what it dropped)."""
        seconds = round(time.perf_counter() - started, 4)
        entry = {
            "function": self.spec.name,
            "symbol": series.symbol,
            "interval": series.interval,
            "event_id": invocation.event_id if invocation else None,
            "status": status,
            "seconds": seconds,
        }
        if error:
            entry["error"] = error
        if reply is not None and reply.warning:
            entry["warning"] = reply.warning
        log(self.services.secrets, **entry)
        if self.spec.records_runs and status not in REFUSED:
            self._record_run(status, series, seconds, error, reply)

    def _series_of(self, invocation: Invocation | None, reply: Reply | None = None) -> Series:
        """The symbol and interval a call was about, as its reply says or else as it asked.

        A function that takes an `interval` field and was sent none worked on the default one.
        """
        symbol = reply.symbol if reply and reply.symbol else _symbol_of(invocation)
        interval = reply.interval if reply and reply.interval else None
        if interval is None and invocation is not None and "interval" in self.spec.fields:
            with contextlib.suppress(BadInput):
                interval = validation.interval(invocation.fields)
        return Series(symbol, interval)

    def _record_run(
        self,
        status: int,
        series: Series,
        seconds: float,
        error: str | None,
        reply: Reply | None,
    ) -> None:
        """One `runs` point; best effort, since InfluxDB may be the very thing that failed."""
        from shared.store import runs  # pandas: only the functions that record runs pay for it

        with contextlib.suppress(StocksError):
            runs.record(
                self.services.influx,
                self.services.settings.meta_bucket,
                function=self.spec.name,
                status=status,
                symbol=series.symbol,
                interval=series.interval,
                points=reply.points if reply else 0,
                seconds=seconds,
                error=error,
                dropped=reply.dropped if reply else 0,
                warning=reply.warning if reply else None,
            )


def _symbol_of(invocation: Invocation | None) -> str | None:
    value = invocation.fields.get("symbol") if invocation else None
    return value[:12].upper() if isinstance(value, str) else None


def _json(body: dict[str, Any], status: int) -> Response:
    return json.dumps(body), status, {"Content-Type": "application/json"}
