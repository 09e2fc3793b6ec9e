"""Logs: one JSON object a line, values JSON cannot hold written as text, secrets masked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from shared.runtime.logs import log, redact


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
