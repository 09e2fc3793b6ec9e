"""Parsing a caller's fields into an alert rule: every refusal is a 400 with a sentence."""

from __future__ import annotations

import pytest

from shared.alerting.rules import Rule, parse_rule, rule_id, webhook_host
from shared.contract.errors import BadInput

ID = "r0123456789ab"


def parse(**fields: object) -> Rule:
    return parse_rule(fields, ID)


def test_a_price_rule_keeps_its_level_and_defaults_to_daily_bars():
    rule = parse(symbol="aapl", kind="above", level="180.5", note=" buy ")
    assert (rule.symbol, rule.interval, rule.kind, rule.threshold, rule.note) == (
        "AAPL",
        "daily",
        "above",
        180.5,
        "buy",
    )
    assert rule.as_dict()["level"] == 180.5
    assert rule.describe() == "AAPL (daily): close above 180.5"


@pytest.mark.parametrize(
    ("kind", "field", "default"), [("stale", "minutes", 90.0), ("failing", "failures", 3.0)]
)
def test_clock_rules_have_defaults(kind, field, default):
    rule = parse(symbol="IBM", kind=kind)
    assert rule.threshold == default
    assert rule.as_dict()[field] == default


def test_a_band_rule_takes_no_number():
    assert parse(symbol="IBM", kind="band").threshold is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"symbol": "IBM"}, "The field 'kind' is required"),
        ({"symbol": "IBM", "kind": "sideways"}, "The kind 'sideways' is not valid"),
        ({"symbol": "IBM", "kind": "above"}, "The field 'level' is required"),
        ({"symbol": "IBM", "kind": "above", "level": float("nan")}, "finite number"),
        ({"symbol": "IBM", "kind": "above", "level": float("inf")}, "finite number"),
        ({"symbol": "IBM", "kind": "below", "level": "-inf"}, "finite number"),
        ({"symbol": "IBM", "kind": "below", "level": "1e999"}, "finite number"),
        ({"symbol": "IBM", "kind": "below", "level": 0}, "must be above 0"),
        ({"symbol": "IBM", "kind": "below", "level": True}, "must be a number"),
        ({"symbol": "IBM", "kind": "below", "level": "ten"}, "must be a number"),
        ({"symbol": "IBM", "kind": "move", "percent": 0}, "'percent' must be from 0.01"),
        ({"symbol": "IBM", "kind": "move", "level": 5}, "'level' does not apply to move"),
        ({"symbol": "IBM", "kind": "band", "percent": 5}, "'percent' does not apply to band"),
        ({"symbol": "IBM", "kind": "stale", "minutes": 2.5}, "whole number"),
        ({"symbol": "IBM", "kind": "failing", "failures": 1000}, "to 100, not 1000"),
        ({"symbol": "IBM", "kind": "band", "note": "x" * 201}, "longer than 200"),
        ({"symbol": "IBM", "kind": "band", "note": "a\nb"}, "control characters"),
        ({"symbol": "IBM", "kind": "band", "webhook": "ftp://example.com/x"}, "http(s) URL"),
        ({"symbol": "IBM", "kind": "band", "webhook": "javascript:alert(1)"}, "http(s) URL"),
        ({"symbol": "IBM", "kind": "band", "webhook": "https://"}, "http(s) URL"),
        ({"symbol": "IBM", "kind": "band", "webhook": "http://h:99999/"}, "http(s) URL"),
        ({"symbol": "IBM", "kind": "band", "webhook": "https://é.example/"}, "http(s) URL"),
        (
            {"symbol": "IBM", "kind": "band", "webhook": "https://x.example/" + "a" * 500},
            "longer than 500",
        ),
        ({"symbol": "$$$", "kind": "band"}, "The symbol '$$$' is not valid"),
        ({"symbol": "IBM", "kind": "band", "interval": "2min"}, "The interval '2min'"),
        ({"symbol": "IBM", "kind": "band", "colour": "red"}, "'colour' is not one"),
    ],
)
def test_bad_rules_are_refused_with_a_sentence(fields, words):
    with pytest.raises(BadInput) as refused:
        parse_rule(fields, ID)
    assert words in refused.value.message
    assert refused.value.status == 400


def test_a_webhook_is_shown_without_the_token_in_its_path():
    rule = parse(symbol="IBM", kind="band", webhook="https://hooks.example.com:8443/T0/B1/secret")
    assert rule.webhook.endswith("/secret")
    assert rule.as_dict()["webhook"] == "https://hooks.example.com:8443"
    assert webhook_host("") == ""


@pytest.mark.parametrize("value", [None, "", "r123", "R0123456789AB", "r0123456789ab; drop", 7])
def test_a_rule_id_to_delete_is_checked(value):
    with pytest.raises(BadInput, match="rule id"):
        rule_id({"delete": value})
    assert rule_id({"delete": ID}) == ID
