"""Logs: one JSON object a line, values JSON cannot hold written as text, secrets masked."""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from shared.runtime.logs import log, redact, route_library_logs


def test_one_json_line_per_call(capsys):
    log(function="fetch", status=200, seconds=0.25)
    log(function="fetch", status=503)
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"function": "fetch", "status": 200, "seconds": 0.25},
        {"function": "fetch", "status": 503},
    ]
    assert lines[0] == '{"function":"fetch","status":200,"seconds":0.25}'  # compact


def test_values_json_cannot_hold_are_written_as_text(capsys):
    log(points=np.int64(3), at=pd.Timestamp("2026-11-25T14:30:00Z"))
    entry = json.loads(capsys.readouterr().out)
    assert entry == {"points": "3", "at": "2026-11-25 14:30:00+00:00"}


def test_secrets_are_masked_as_they_are_and_as_a_query_string_carries_them(capsys):
    secret = "s3cr et+key/="
    text = f"token {secret} in url ?apikey=s3cr+et%2Bkey%2F%3D"
    assert redact(text, [secret, None, ""]) == "token *** in url ?apikey=***"
    log([secret], error=text)
    out = capsys.readouterr().out
    assert secret not in out and "s3cr+et%2Bkey" not in out


def test_nothing_to_mask():
    assert redact("plain", []) == "plain"
    assert redact("plain", [None]) == "plain"


@pytest.fixture
def routed():
    """Library logs routed to JSON lines for one test; the process's logging restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    route_library_logs("fetch", ("lib-secret",))
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    sys.excepthook, threading.excepthook = saved[2], saved[3]
    logging.captureWarnings(False)


def test_library_lines_warnings_and_uncaught_errors_are_json_lines(routed, capsys):
    logging.getLogger("waitress.queue").warning("Task queue depth is %d", 1)
    logging.getLogger("parliament").info("below the level: not written")
    warnings.warn("lib-secret is deprecated", FutureWarning, stacklevel=1)
    try:
        raise ValueError("bad\nthing")
    except ValueError as error:
        logging.getLogger("waitress").exception("Exception while serving /")
        sys.excepthook(type(error), error, error.__traceback__)
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["logger"], e["level"]) for e in entries] == [
        ("waitress.queue", "WARNING"),
        ("py.warnings", "WARNING"),
        ("waitress", "ERROR"),
        ("stocks-manager.uncaught", "ERROR"),
        ("stocks-manager.uncaught", "ERROR"),
    ]
    assert all(e["function"] == "fetch" for e in entries)
    assert entries[0]["message"] == "Task queue depth is 1"
    assert "lib-secret" not in json.dumps(entries) and "***" in entries[1]["message"]
    assert entries[2]["message"] == "Exception while serving / (ValueError: bad thing)"
    assert entries[4]["message"] == "uncaught ZeroDivisionError: division by zero"
