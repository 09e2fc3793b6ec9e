"""Hostile and malformed requests to every function, by GET, by JSON POST and as a CloudEvent.

Each is refused with the contract's 4xx and a sentence, shows no traceback and writes nothing: the
whole database (every bucket's series and point counts) is the same before and after each case.
The six functions run once for the module, as real processes on the module's own real influxd.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from devstack.functions import FunctionProcess
from devstack.influxd import InfluxServer
from functions import load_spec
from shared.contract.config import InfluxSettings
from shared.contract.events import ALERT_FIRED, FETCH_REQUESTED, FETCHED, PREDICTED, TICK_COMPLETED
from shared.contract.schema import PRICES
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident
from shared.market.providers.demo import DemoProvider
from shared.runtime.invocation import MAX_BODY_BYTES
from shared.runtime.server import HARD_BODY_LIMIT
from tests.support.stack import wait_for

FUNCTIONS = (
    "fetch",
    "predict",
    "buckets",
    "watchlist",
    "chart",
    "deadletters",
    "ui",
    "alerts",
    "notifier",
)
META = "meta"
# The CloudEvent type each function takes with fields. The others take no event with fields
# (watchlist takes only the PingSource's tick), so a case sent to them as an event would be
# refused for its type before its field was read: their refusal of every event type is tested
# on its own (test_unknown_event_types_are_refused_with_400), and their cases go by GET or JSON.
EVENT_TYPE = {"fetch": FETCH_REQUESTED, "predict": FETCHED, "notifier": ALERT_FIRED}
# buckets and watchlist answer GET with their listing (no fields): see the test of that below.
# deadletters records any well-formed CloudEvent by design, so only GET and JSON are hostile there.
MODES = {
    "fetch": ("GET", "JSON", "CE"),
    "predict": ("GET", "JSON", "CE"),
    "chart": ("GET", "JSON"),
    "buckets": ("JSON",),
    "watchlist": ("JSON",),
    "deadletters": ("GET", "JSON"),
    "ui": ("GET",),  # its views; its changes (JSON) have their own table, UI_CHANGES
    "alerts": ("JSON",),  # rule changes; its events carry the fields fetch's replies do
    "notifier": ("CE",),  # alert.fired events only
}
LEAKS = re.compile(r"Traceback|File \"|\b[A-Z]\w*(?:Error|Exception|Warning)\b")

SYMBOLS: dict[str, Any] = {
    "empty": "",
    "null": None,
    "list": ["AAPL"],
    "object": {"$ne": ""},
    "float": 1e308,
    "13-chars": "A" * 13,
    "50000-chars": "A" * 50_000,
    "fullwidth": "\uff21\uff21\uff30\uff2c",
    "cyrillic-a": "\u0410APL",
    "dotless-i-upper-cases-to-ibm": "\u0131bm",
    "ligature-fi": "\ufb01",
    "kelvin-sign": "\u212aO",
    "zero-width-space": "AA\u200bPL",
    "right-to-left-override": "\u202eLPAA",
    "nul": "AA\x00PL",
    "newline": "AAPL\nDROP",
    "crlf-header-injection": "AAPL\r\nX-Injected: 1",
    "tab": "AA\tPL",
    "del": "AAPL\x7f",
    "influxql-single-quote": "A' OR '1'='1",
    "influxql-double-quote": 'AAPL"; DROP DATABASE "stocks',
    "influxql-comment": "A';--",
    "backslash": "AAPL\\",
    "backslash-quote": "A\\'B",
    "regex": "/.*/",
    "line-protocol-comma": "AAPL,x=1",
    "line-protocol-space": "AAPL c=1",
    "line-protocol-equals": "AAPL=1",
    "semicolon": "AAPL;SHOW",
    "star": "*",
    "percent": "AAPL%27",
    "html": "<b>",
    "emoji": "\U0001f4c8",
}
BUCKETS: dict[str, Any] = {
    "empty": "",
    "null": None,
    "list": ["stocks"],
    "65-chars": "b" * 65,
    "space": "my stocks",
    "comma": "stocks,symbol=X",
    "equals": "a=b",
    "newline": "stocks\nx",
    "nul": "stocks\x00",
    "double-quote": 'x"; DROP DATABASE "stocks',
    "single-quote": "x'y",
    "backslash": "stocks\\",
    "dot-dot": "../_internal",
    "reserved-underscore": "_internal",
    "cyrillic-o": "st\u043ecks",
    "zero-width-space": "stocks\u200b",
    "regex": "/.*/",
    "retention-policy": "stocks.autogen",
    "slash": "a/b",
}
FEW_SYMBOLS = (
    "null",
    "list",
    "13-chars",
    "cyrillic-a",
    "dotless-i-upper-cases-to-ibm",
    "nul",
    "newline",
    "influxql-single-quote",
    "backslash",
    "line-protocol-comma",
    "emoji",
)
FEW_BUCKETS = (
    "null",
    "65-chars",
    "space",
    "comma",
    "newline",
    "double-quote",
    "reserved-underscore",
    "cyrillic-o",
)


@dataclass(frozen=True)
class Case:
    """Hostile fields for one function, and the word its refusal must name (the field at fault)."""

    function: str
    name: str
    fields: dict[str, Any]
    blame: str


def _cases() -> list[Case]:
    cases = [Case("fetch", "symbol-missing", {"bucket": "stocks"}, "symbol")]
    cases += [Case("fetch", f"symbol-{n}", {"symbol": v}, "symbol") for n, v in SYMBOLS.items()]
    cases += [
        Case("fetch", f"bucket-{n}", {"symbol": "AAPL", "bucket": v}, "bucket")
        for n, v in BUCKETS.items()
    ]
    intervals = {
        "2min": "2min",
        "upper-case": "DAILY",
        "nul": "daily\x00",
        "integer": 5,
        "injection": "1min; DROP",
        "list": ["daily"],
        "null": None,
    }
    cases += [
        Case("fetch", f"interval-{n}", {"symbol": "AAPL", "interval": v}, "interval")
        for n, v in intervals.items()
    ]
    months = {
        "13": "2026-13",
        "before-2000": "1999-12",
        "one-digit": "2026-1",
        "integer": 202601,
        "injection": "2026-01' OR 1=1",
        "newline": "2026-01\n",
    }
    intraday = {"symbol": "IBM", "interval": "5min"}
    cases += [
        Case("fetch", f"month-{n}", {**intraday, "month": v}, "month") for n, v in months.items()
    ]
    cases.append(Case("fetch", "month-on-daily", {"symbol": "IBM", "month": "2026-01"}, "month"))

    predict = {"symbol": "AAPL", "model": "naive"}
    cases.append(Case("predict", "symbol-missing", {"model": "naive"}, "symbol"))
    cases += [
        Case("predict", f"symbol-{n}", {**predict, "symbol": SYMBOLS[n]}, "symbol")
        for n in FEW_SYMBOLS
    ]
    cases += [
        Case("predict", f"bucket-{n}", {**predict, "bucket": BUCKETS[n]}, "bucket")
        for n in ("space", "reserved-underscore")
    ]
    cases += [
        Case("predict", f"target-{n}", {**predict, "target": BUCKETS[n]}, "target")
        for n in FEW_BUCKETS
    ]
    horizons = {
        "zero": 0,
        "negative": -1,
        "huge": 10**12,
        "word": "thirty",
        "fraction": 1.5,
        "boolean": True,
        "exponent": "1e3",
        "null": None,
        "list": [30],
    }
    cases += [
        Case("predict", f"horizon-{n}", {**predict, "horizon": v}, "horizon")
        for n, v in horizons.items()
    ]
    models = {"upper-case": "NAIVE", "shell": "prophet; rm -rf /", "unknown": "arima", "empty": ""}
    cases += [
        Case("predict", f"model-{n}", {**predict, "model": v}, "model") for n, v in models.items()
    ]
    price_fields = {
        "two": "close,open",
        "newline": "volume\n",
        "upper-case": "Close",
        "line-protocol": "close=1",
    }
    cases += [
        Case("predict", f"field-{n}", {**predict, "field": v}, "field")
        for n, v in price_fields.items()
    ]
    widths = {"nan": "nan", "one": 1.0, "infinity": "Infinity", "too-narrow": 0.1, "word": "wide"}
    cases += [
        Case("predict", f"interval_width-{n}", {**predict, "interval_width": v}, "interval_width")
        for n, v in widths.items()
    ]
    cases.append(Case("predict", "interval-weekly", {**predict, "interval": "weekly"}, "interval"))

    chart = {"symbol": "AAPL"}
    cases.append(Case("chart", "symbol-missing", {"width": 400}, "symbol"))
    cases += [Case("chart", f"symbol-{n}", {"symbol": SYMBOLS[n]}, "symbol") for n in FEW_SYMBOLS]
    cases += [
        Case("chart", f"bucket-{n}", {**chart, "bucket": BUCKETS[n]}, "bucket")
        for n in ("comma", "reserved-underscore", "newline")
    ]
    cases += [
        Case("chart", f"target-{n}", {**chart, "target": BUCKETS[n]}, "target")
        for n in ("double-quote", "space")
    ]
    sizes = {
        "width-huge": ("width", 10**9),
        "width-zero": ("width", 0),
        "width-hex": ("width", "0x10"),
        "height-negative": ("height", -1),
        "height-float": ("height", 300.5),
        "points-word": ("points", "all"),
        "points-one": ("points", 1),
        "points-boolean": ("points", True),
    }
    cases += [Case("chart", n, {**chart, k: v}, k) for n, (k, v) in sizes.items()]
    cases.append(
        Case("chart", "interval-injection", {**chart, "interval": "daily' OR 1=1"}, "interval")
    )

    cases.append(Case("buckets", "name-missing", {}, "name"))
    cases += [Case("buckets", f"name-{n}", {"name": v}, "name") for n, v in BUCKETS.items()]

    cases.append(Case("watchlist", "symbol-missing", {"interval": "daily"}, "symbol"))
    cases += [
        Case("watchlist", f"symbol-{n}", {"symbol": SYMBOLS[n]}, "symbol") for n in FEW_SYMBOLS
    ]
    trackeds = {"word": "maybe", "null": None, "yes": "yes", "two": 2, "list": [False]}
    cases += [
        Case("watchlist", f"tracked-{n}", {"symbol": "MSFT", "tracked": v}, "tracked")
        for n, v in trackeds.items()
    ]
    cases += [
        Case("watchlist", f"interval-{n}", {"symbol": "MSFT", "interval": v}, "interval")
        for n, v in intervals.items()
    ]
    cases += [
        Case("watchlist", f"bucket-{n}", {"symbol": "MSFT", "bucket": BUCKETS[n]}, "bucket")
        for n in FEW_BUCKETS
    ]

    view = {"view": "symbol"}
    cases.append(Case("ui", "view-symbol-missing", dict(view), "symbol"))
    cases += [
        Case("ui", f"view-symbol-{n}", {**view, "symbol": SYMBOLS[n]}, "symbol")
        for n in FEW_SYMBOLS
    ]
    cases += [
        Case("ui", f"view-interval-{n}", {**view, "symbol": "AAPL", "interval": v}, "interval")
        for n, v in intervals.items()
    ]
    cases += [
        Case("ui", f"view-bucket-{n}", {**view, "symbol": "AAPL", "bucket": BUCKETS[n]}, "bucket")
        for n in FEW_BUCKETS
    ]
    views = {"unknown": "charts", "empty": "", "list": ["symbol"], "injection": "symbol' OR 1=1"}
    cases += [Case("ui", f"view-{n}", {"view": v}, "view") for n, v in views.items()]
    cases += [
        Case("ui", "asset-traversal", {"asset": "../func.py"}, "asset"),
        Case("ui", "asset-licence", {"asset": "vendor/uplot/LICENSE"}, "asset"),
        Case("ui", "points-word", {**view, "symbol": "AAPL", "points": "all"}, "points"),
    ]

    rule = {"symbol": "AAPL", "kind": "above", "level": 10}
    cases += [
        Case("alerts", f"symbol-{n}", {**rule, "symbol": v}, "symbol") for n, v in SYMBOLS.items()
    ]
    cases += [
        Case("alerts", f"interval-{n}", {**rule, "interval": v}, "interval")
        for n, v in intervals.items()
    ]
    kinds = {
        "unknown": "sideways",
        "empty": "",
        "null": None,
        "list": ["above"],
        "upper": "ABOVE",
        "injection": "above' OR 1=1",
    }
    cases += [Case("alerts", f"kind-{n}", {**rule, "kind": v}, "kind") for n, v in kinds.items()]
    levels = {
        "nan": "NaN",
        "infinity": "Infinity",
        "minus-infinity": "-Infinity",
        "overflow": "1e999",
        "zero": 0,
        "negative": -5,
        "bool": True,
        "word": "ten",
        "list": [10],
        "missing": None,
    }
    cases += [
        Case("alerts", f"level-{n}", {**rule, "level": v}, "level") for n, v in levels.items()
    ]
    cases += [
        Case("alerts", "level-on-stale", {"symbol": "AAPL", "kind": "stale", "level": 5}, "level"),
        Case("alerts", "percent-zero", {"symbol": "AAPL", "kind": "move", "percent": 0}, "percent"),
        Case(
            "alerts", "minutes-half", {"symbol": "AAPL", "kind": "stale", "minutes": 1.5}, "minutes"
        ),
        Case(
            "alerts",
            "failures-huge",
            {"symbol": "AAPL", "kind": "failing", "failures": 1e9},
            "failures",
        ),
    ]
    notes = {"201-chars": "n" * 201, "newline": "a\nb", "nul": "a\x00", "number": 5, "list": ["a"]}
    cases += [Case("alerts", f"note-{n}", {**rule, "note": v}, "note") for n, v in notes.items()]
    webhooks = {
        "ftp": "ftp://example.com/x",
        "javascript": "javascript:alert(1)",
        "file": "file:///etc/passwd",
        "no-host": "https://",
        "bad-port": "http://example.com:99999/",
        "space": "http://exa mple.com/",
        "idn": "https://\u00e9xample.com/",
        "501-chars": "https://example.com/" + "a" * 481,
        "number": 5,
    }
    cases += [
        Case("alerts", f"webhook-{n}", {**rule, "webhook": v}, "webhook")
        for n, v in webhooks.items()
    ]
    deletes = {"word": "nope", "null": None, "list": ["r0123456789ab"], "upper": "R0123456789AB"}
    cases += [Case("alerts", f"delete-{n}", {"delete": v}, "delete") for n, v in deletes.items()]

    alert = {
        "alert": "a1",
        "rule": "r0123456789ab",
        "at": "2026-01-02T00:00:00Z",
        "message": "m",
        "symbol": "AAPL",
    }
    cases += [
        Case("notifier", f"symbol-{n}", {**alert, "symbol": SYMBOLS[n]}, "symbol")
        for n in FEW_SYMBOLS
    ]
    for name in ("alert", "rule", "message"):
        cases += [
            Case("notifier", f"{name}-{n}", {**alert, name: v}, name)
            for n, v in {"empty": "", "null": None, "number": 7, "long": "x" * 2_001}.items()
        ]
    times = {
        "word": "yesterday",
        "date": "2026-01-02",
        "no-zone": "2026-01-02T00:00:00",
        "year-3000": "3000-01-01T00:00:00Z",
    }
    cases += [Case("notifier", f"at-{n}", {**alert, "at": v}, "at") for n, v in times.items()]

    cases += [
        Case("deadletters", "empty", {}, "deadletters"),
        Case(
            "deadletters",
            "event-like",
            {"type": PREDICTED, "data": {"symbol": "A' OR '1'='1"}},
            "deadletters",
        ),
        Case("deadletters", "knative-error", {"knativeerrordata": "\x00" * 64}, "deadletters"),
    ]
    return cases


CASES = _cases()
# The ui's changes (POST JSON): each with the field its refusal names.
UI_CHANGES: dict[str, tuple[dict[str, Any], str]] = {
    **{
        f"track-symbol-{n}": ({"action": "track", "symbol": SYMBOLS[n]}, "symbol")
        for n in FEW_SYMBOLS
    },
    **{
        f"track-bucket-{n}": ({"action": "track", "symbol": "MSFT", "bucket": BUCKETS[n]}, "bucket")
        for n in FEW_BUCKETS
    },
    **{
        f"track-model-{n}": ({"action": "track", "symbol": "MSFT", "model": v}, "model")
        for n, v in {"unknown": "arima", "null": None, "list": ["naive"], "upper": "NAIVE"}.items()
    },
    **{
        f"action-{n}": ({"action": v, "symbol": "MSFT"}, "action")
        for n, v in {"unknown": "buy", "null": None, "number": 1, "upper": "TRACK"}.items()
    },
    "untrack-interval-injection": (
        {"action": "untrack", "symbol": "MSFT", "interval": "daily' OR 1=1"},
        "interval",
    ),
    "refresh-with-a-view-field": ({"action": "refresh", "symbol": "MSFT", "view": "x"}, "'view'"),
    "misspelled-field": ({"action": "track", "symbol": "MSFT", "modle": "naive"}, "'modle'"),
}


@dataclass(frozen=True)
class Raw:
    """A request built byte by byte: a body, its headers, and a word its refusal must contain."""

    name: str
    body: bytes
    headers: dict[str, str]
    words: tuple[str, ...] = ()
    status: int = 400
    event: bool = False
    """A well-formed CloudEvent whose data is not fields: deadletters records it (issue 13)."""


JSON = {"Content-Type": "application/json"}
STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BINARY = {
    "ce-specversion": "1.0",
    "ce-id": "hostile-1",
    "ce-source": "/tests/reliability",
    "ce-type": FETCH_REQUESTED,
    "Content-Type": "application/json",
}
NESTED = b"[" * 30_000 + b"]" * 30_000  # within the body limit, far beyond the parser's depth
DIGITS = b"9" * 5_000  # beyond Python's int conversion limit


def _without(header: str) -> dict[str, str]:
    return {k: v for k, v in BINARY.items() if k != header}


def _structured(**attributes: Any) -> bytes:
    event = {
        "specversion": "1.0",
        "id": "hostile-1",
        "source": "/tests/reliability",
        "type": FETCH_REQUESTED,
        "data": {"symbol": "AAPL"},
    }
    return json.dumps({k: v for k, v in {**event, **attributes}.items() if v is not ...}).encode()


RAWS = [
    Raw("json-truncated", b'{"symbol": "AAPL"', JSON, ("not valid JSON",)),
    Raw("json-single-quotes", b"{'symbol': 'AAPL'}", JSON, ("not valid JSON",)),
    Raw("json-trailing-comma", b'{"symbol": "AAPL",}', JSON, ("not valid JSON",)),
    Raw("json-invalid-utf8", b'{"symbol": "\xff\xfe"}', JSON, ("not valid JSON",)),
    Raw("json-nested-30000-deep", b'{"symbol": ' + NESTED + b"}", JSON, ("not valid JSON",)),
    Raw("json-5000-digit-number", b'{"horizon": ' + DIGITS + b"}", JSON, ("not valid JSON",)),
    Raw("json-trailing-nul", b'{"symbol": "AAPL"}\x00', JSON, ("not valid JSON",)),
    Raw(
        "form-encoded",
        b"symbol=AAPL",
        {"Content-Type": "application/x-www-form-urlencoded"},
        ("Content-Type: application/json",),
        status=415,
    ),
    # JSON a browser sends to any site without a preflight: read only when declared JSON
    Raw("json-as-text-plain", b'{"symbol": "AAPL"}', {"Content-Type": "text/plain"}, (), 415),
    Raw("json-without-a-type", b'{"symbol": "AAPL"}', {"Content-Type": ""}, ("none",), 415),
    Raw("json-array", b'[{"symbol": "AAPL"}]', JSON, ("JSON object",)),
    Raw("json-string", b'"AAPL"', JSON, ("JSON object",)),
    Raw("json-number", b"42", JSON, ("JSON object",)),
    Raw("json-null", b"null", JSON, ("JSON object",)),
    Raw("json-true", b"true", JSON, ("JSON object",)),
    Raw("json-nan", b"NaN", JSON, ("JSON object",)),
    Raw(
        "ce-missing-specversion",
        b'{"symbol": "MSFT"}',
        _without("ce-specversion"),
        ("ce-specversion",),
    ),
    Raw("ce-missing-id", b'{"symbol": "MSFT"}', _without("ce-id"), ("ce-id",)),
    Raw("ce-missing-source", b'{"symbol": "MSFT"}', _without("ce-source"), ("ce-source",)),
    Raw("ce-missing-type", b'{"symbol": "MSFT"}', _without("ce-type"), ("ce-type",)),
    Raw("ce-empty-id", b'{"symbol": "MSFT"}', {**BINARY, "ce-id": ""}, ("'id'",)),
    Raw(
        "ce-specversion-9",
        b'{"symbol": "MSFT"}',
        {**BINARY, "ce-specversion": "9.9"},
        ("not a valid CloudEvent",),
    ),
    Raw("ce-data-not-json", b"{not json", BINARY, ("not valid JSON",), event=True),
    Raw("ce-data-array", b'[{"symbol": "MSFT"}]', BINARY, ("JSON object",), event=True),
    Raw("ce-data-string", b'"MSFT"', BINARY, ("JSON",), event=True),
    Raw(
        "ce-data-5000-digit-number",
        b'{"horizon": ' + DIGITS + b"}",
        BINARY,
        ("not valid JSON",),
        event=True,
    ),
    Raw(
        "ce-data-nested-30000-deep",
        b'{"symbol": ' + NESTED + b"}",
        BINARY,
        ("not valid JSON",),
        event=True,
    ),
    Raw("ce-data-invalid-utf8", b'{"symbol": "\xff"}', BINARY, ("not valid JSON",), event=True),
    Raw(
        "ce-data-text-plain",
        b"symbol=MSFT",
        {**BINARY, "Content-Type": "text/plain"},
        ("not valid JSON",),
        event=True,
    ),
    Raw("structured-not-json", b"{nope", STRUCTURED, ("not a valid CloudEvent",)),
    Raw("structured-array", b"[" + _structured() + b"]", STRUCTURED, ("not a valid CloudEvent",)),
    Raw(
        "structured-batch",
        b"[" + _structured() + b"]",
        {"Content-Type": "application/cloudevents-batch+json"},
        ("not a valid CloudEvent",),
    ),
    Raw(
        "structured-no-specversion",
        _structured(specversion=...),
        STRUCTURED,
        ("not a valid CloudEvent",),
    ),
    Raw("structured-missing-id", _structured(id=...), STRUCTURED, ("not a valid CloudEvent",)),
    Raw(
        "structured-missing-source",
        _structured(source=...),
        STRUCTURED,
        ("not a valid CloudEvent",),
    ),
    Raw("structured-missing-type", _structured(type=...), STRUCTURED, ("not a valid CloudEvent",)),
    Raw("structured-type-number", _structured(type=5), STRUCTURED, ("'type'",)),
    Raw("structured-type-list", _structured(type=[FETCH_REQUESTED]), STRUCTURED, ("'type'",)),
    Raw("structured-id-object", _structured(id={"a": 1}), STRUCTURED, ("'id'",)),
    Raw(
        "structured-data-array",
        _structured(data=[{"symbol": "MSFT"}]),
        STRUCTURED,
        ("JSON object",),
        event=True,
    ),
]
UNKNOWN_TYPES = {
    "other-vendor": "com.example.unknown",
    "final-type": TICK_COMPLETED,
    "upper-case": FETCH_REQUESTED.upper(),
    "5000-chars": "io.stocksmanager." + "x" * 5_000,
}


def _params() -> Iterator[Any]:
    for case in CASES:
        for mode in MODES[case.function]:
            yield pytest.param(case, mode, id=f"{case.function}-{case.name}-{mode}")


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """The module's own influxd: 'unchanged' covers all it holds, not what other modules left."""
    server = InfluxServer(tmp_path_factory.mktemp("bad_input_influxd")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def db(influx: InfluxServer) -> InfluxClient:
    return InfluxClient(InfluxSettings(url=influx.url))


@pytest.fixture(scope="module")
def functions(
    influx: InfluxServer, db: InfluxClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, FunctionProcess]]:
    """All six functions, started once, with data written through them so 'unchanged' means much."""
    logs = tmp_path_factory.mktemp("bad_input_logs")
    env = {"INFLUX_URL": influx.url, "STOCKS_META_BUCKET": META, "STOCKS_PROVIDER": "demo"}
    started: dict[str, FunctionProcess] = {}
    try:
        for name in FUNCTIONS:
            started[name] = FunctionProcess(name, env, log_path=logs / f"{name}.log").start()
        _seed(started, db)
        yield started
    finally:
        for process in started.values():
            process.stop()


def _seed(functions: dict[str, FunctionProcess], db: InfluxClient) -> None:
    """Recent bars, a tracked symbol, a fetch (incremental), a forecast, a bucket, a dead letter."""
    db.create_bucket("prices")
    recent = DemoProvider().bars("AAPL", "daily").tail(60)
    db.write("prices", recent.assign(symbol="AAPL", interval="daily"), PRICES)
    calls = [
        ("watchlist", {"symbol": "AAPL", "bucket": "prices"}),  # creates the meta bucket for runs
        ("fetch", {"symbol": "AAPL", "bucket": "prices"}),
        (
            "predict",
            {
                "symbol": "AAPL",
                "bucket": "prices",
                "target": "forecasts",
                "model": "naive",
                "horizon": 5,
            },
        ),
        ("buckets", {"name": "empty"}),
    ]
    for name, fields in calls:
        response = requests.post(functions[name].url, json=fields, timeout=120)
        assert response.status_code in (200, 201), response.text
    dead = CloudEvent(
        {
            "type": FETCH_REQUESTED,
            "source": "/tests",
            "knativeerrorcode": "502",
            "datacontenttype": "application/json",
        },
        {"symbol": "AAPL"},
    )
    headers, body = to_binary(dead)
    answer = requests.post(functions["deadletters"].url, data=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    wait_for(  # fetch's and predict's runs points, written within a second of their calls
        lambda: _count(db, META, "runs") == 2, 30, "the seeding calls' runs points"
    )


def _count(db: InfluxClient, bucket: str, measurement: str) -> int:
    (series,) = db.select(bucket, [f'SELECT count("points") FROM {ident(measurement)}'])
    return int(series[0].values[0][1]) if series else 0


# -- helpers ---------------------------------------------------------------------------------


def snapshot(db: InfluxClient) -> dict[str, Any]:
    """Every bucket with its series and per-field point counts (JSON: CSV mode hides errors)."""
    (shown,) = db.execute_many(["SHOW DATABASES"])
    names = sorted(row[0] for series in shown.get("series", []) for row in series["values"])
    statements = [
        statement
        for name in names
        for statement in (
            f"SHOW SERIES ON {ident(name)}",
            f"SELECT count(*) FROM {ident(name)}../.*/",
        )
    ]
    results = db.execute_many(statements) if statements else []
    return {"buckets": names, "contents": [result.get("series") for result in results]}


@contextmanager
def writes_nothing(db: InfluxClient) -> Iterator[None]:
    before = snapshot(db)
    yield
    assert snapshot(db) == before, "the database changed"


def as_query(fields: dict[str, Any]) -> dict[str, str]:
    """Fields as query parameters: strings as they are, null as empty, anything else as JSON."""
    return {
        k: v if isinstance(v, str) else "" if v is None else json.dumps(v)
        for k, v in fields.items()
    }


def send(process: FunctionProcess, mode: str, fields: dict[str, Any]) -> requests.Response:
    if mode == "GET":
        return requests.get(process.url, params=as_query(fields), timeout=60)
    if mode == "JSON":
        return requests.post(process.url, json=fields, timeout=60)
    event_type = EVENT_TYPE.get(process.name, FETCH_REQUESTED)
    event = CloudEvent(
        {"type": event_type, "source": "/tests/reliability", "datacontenttype": "application/json"},
        fields,
    )
    headers, body = to_binary(event)
    return requests.post(process.url, data=body, headers=headers, timeout=60)


def assert_refused(
    process: FunctionProcess, response: requests.Response, status: int, *words: str
) -> None:
    """The contract's JSON error: the status, one sentence, nothing of Python's insides."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, str) and len(error) > 10 and error.endswith("."), error
    assert not LEAKS.search(response.text), response.text[:500]
    for word in words:
        assert word in error, error
    assert process.process is not None and process.process.poll() is None, "the function died"


def assert_names_the_field(case: Case, mode: str, error: str) -> None:
    """The refusal is for the field the case is named after, said at the start of the sentence.

    Not merely the field's name somewhere: "(it takes: name, symbol)" or a refusal of the
    event's type would name it too, without the field ever having been read.
    """
    if case.function == "deadletters":  # no fields: it takes dead-lettered CloudEvents only
        expected = "does not answer GET" if mode == "GET" else "CloudEvents only"
        assert expected in error, error
        return
    starts = (f"The field '{case.blame}' ", f"The {case.blame} ")
    if case.blame == "field":  # `field` names the price field to forecast
        starts = ("The field to forecast ",)
    assert error.startswith(starts), (case.blame, error)


# -- tests -----------------------------------------------------------------------------------


def test_the_table_holds_at_least_60_hostile_inputs_for_every_mode():
    assert {case.function for case in CASES} == set(FUNCTIONS)
    assert len({(case.function, case.name) for case in CASES}) == len(CASES)
    for mode in ("GET", "JSON", "CE"):
        assert sum(mode in MODES[case.function] for case in CASES) >= 60, mode


def test_the_database_holds_what_the_functions_wrote_before_the_cases(functions, db):
    """So that 'unchanged' compares something: every measurement the functions write is there."""
    state = snapshot(db)
    assert {META, "prices", "forecasts", "empty"} <= set(state["buckets"])
    series = json.dumps(state["contents"])
    for measurement in ("prices", "forecast", "forecast_runs", "runs", "watchlist", "dead_letters"):
        assert f'"{measurement},' in series, measurement


@pytest.mark.parametrize(("case", "mode"), list(_params()))
def test_hostile_fields_are_refused_with_400_and_write_nothing(functions, db, case, mode):
    process = functions[case.function]
    with writes_nothing(db):
        response = send(process, mode, case.fields)
    assert_refused(process, response, 400)
    assert_names_the_field(case, mode, response.json()["error"])


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.function in ("buckets", "watchlist")],
    ids=lambda case: f"{case.function}-{case.name}",
)
def test_listing_gets_list_or_name_the_unknown_field_and_write_nothing(functions, db, case):
    """buckets and watchlist list by GET; a field they do not take is refused by name."""
    process = functions[case.function]
    with writes_nothing(db):
        response = requests.get(process.url, params=as_query(case.fields), timeout=60)
    unknown = sorted(set(case.fields) - load_spec(case.function).fields)
    if unknown:
        assert_refused(process, response, 400, repr(unknown[0][:40]))
        return
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == {"buckets" if case.function == "buckets" else "watchlist"}


@pytest.mark.parametrize(("fields", "blame"), UI_CHANGES.values(), ids=UI_CHANGES.keys())
def test_hostile_changes_from_the_page_are_refused_with_400_and_write_nothing(
    functions, db, fields, blame
):
    process = functions["ui"]
    with writes_nothing(db):
        response = send(process, "JSON", fields)
    assert_refused(process, response, 400, blame)


@pytest.mark.parametrize(
    ("raw", "function"),
    [
        pytest.param(raw, function, id=f"{raw.name}-{function}")
        for raw in RAWS
        for function in FUNCTIONS
        if not (raw.event and function == "deadletters")
    ],
)
def test_malformed_bodies_and_cloudevents_are_refused_with_400(functions, db, raw, function):
    process = functions[function]
    with writes_nothing(db):
        response = requests.post(process.url, data=raw.body, headers=raw.headers, timeout=60)
    assert_refused(process, response, raw.status, *raw.words)


@pytest.mark.parametrize("raw", [raw for raw in RAWS if raw.event], ids=lambda raw: raw.name)
def test_deadletters_records_a_well_formed_event_whatever_its_data(functions, db, raw):
    """A 400 would lose the letter: Knative never retries it. Each case is its own event (a
    letter is keyed on its source and id, and the cases share `hostile-1`)."""

    def letters() -> int:
        result = db.execute(META, 'SELECT count("event_id") FROM "dead_letters"')
        return result["series"][0]["values"][0][1]

    unique = f"hostile-{uuid.uuid4().hex}"
    headers = {**raw.headers, **({"ce-id": unique} if "ce-id" in raw.headers else {})}
    body = raw.body.replace(b'"hostile-1"', f'"{unique}"'.encode())
    before = letters()
    response = requests.post(functions["deadletters"].url, data=body, headers=headers, timeout=60)
    assert response.status_code == 200 and response.content == b"", response.text
    assert letters() == before + 1


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if f != "deadletters"])
@pytest.mark.parametrize("event_type", UNKNOWN_TYPES.values(), ids=UNKNOWN_TYPES.keys())
def test_unknown_event_types_are_refused_with_400(functions, db, event_type, function):
    process = functions[function]
    fields = {"symbol": "MSFT", "name": "rel_made_by_an_event", "model": "naive"}
    event = CloudEvent(
        {"type": event_type, "source": "/tests/reliability", "datacontenttype": "application/json"},
        fields,
    )
    headers, body = to_binary(event)
    with writes_nothing(db):
        response = requests.post(process.url, data=body, headers=headers, timeout=60)
    assert_refused(process, response, 400, "does not take events")


@pytest.mark.parametrize("function", ["fetch", "predict", "chart"])
def test_a_field_given_twice_in_the_query_is_refused(functions, db, function):
    process = functions[function]
    with writes_nothing(db):
        response = requests.get(
            process.url, params=[("symbol", "MSFT"), ("symbol", "A B")], timeout=60
        )
    assert_refused(process, response, 400, "more than once")


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("mode", ["JSON", "CE", "chunked"])
def test_a_body_over_the_function_limit_is_a_json_413(functions, db, function, mode):
    process = functions[function]
    body = json.dumps({"symbol": "MSFT", "padding": "x" * MAX_BODY_BYTES}).encode()
    headers = BINARY if mode == "CE" else JSON
    data: Any = iter([body[:1024], body[1024:]]) if mode == "chunked" else body
    with writes_nothing(db):
        response = requests.post(process.url, data=data, headers=headers, timeout=60)
    assert_refused(process, response, 413, str(MAX_BODY_BYTES))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_body_over_the_server_limit_is_refused_before_it_is_sent(functions, db, function):
    """50 MB declared, 1 KiB sent: the 413 comes back while the rest was never sent."""
    process = functions[function]
    declared = 50 * 1024 * 1024
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{process.port}\r\nContent-Type: application/json"
        f"\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    with writes_nothing(db), socket.create_connection(("127.0.0.1", process.port), 60) as sock:
        sock.sendall(head + b'{"symbol": "' + b"A" * 1024)
        response = http.client.HTTPResponse(sock)
        response.begin()
        status, text = response.status, response.read().decode()
    assert status == 413
    assert str(HARD_BODY_LIMIT) in text and "Traceback" not in text
    assert requests.get(f"{process.url}health/readiness", timeout=10).status_code == 200


def test_the_logs_are_one_json_object_a_line_and_show_no_failure(functions):
    """Run last: every case above logged one line, and none made a function fail (5xx)."""
    for name, process in functions.items():
        assert process.log_path is not None
        lines = process.log_path.read_text().splitlines()
        assert lines, name
        for line in lines:
            entry = json.loads(line)
            assert entry["function"] == name, line
            if "logger" in entry:  # a library's line (waitress's queue warning, say)
                assert entry["level"] not in ("ERROR", "CRITICAL"), line
                continue
            assert {"status", "seconds"} <= set(entry) and entry["status"] < 500, line
