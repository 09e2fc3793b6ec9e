"""InfluxQL pieces: identifiers and literals quoted so no value can change a statement's shape."""

from __future__ import annotations

import pytest

from shared.contract.errors import BadInput
from shared.influx.influxql import ident, literal, tags_equal


def test_identifiers_are_double_quoted_and_escaped():
    assert ident("prices") == '"prices"'
    assert ident('we"ird') == '"we\\"ird"'
    assert ident("back\\slash") == '"back\\\\slash"'
    assert ident('a\\"b') == '"a\\\\\\"b"'  # the backslash first, then the quote


def test_literals_are_single_quoted_and_escaped():
    assert literal("IBM") == "'IBM'"
    assert literal("O'Neil") == "'O\\'Neil'"
    assert literal("x\\' OR 1=1") == "'x\\\\\\' OR 1=1'"
    assert literal("") == "''"


@pytest.mark.parametrize("value", ["a\nb", "a\x00", "tab\there", "del\x7f"])
def test_control_characters_are_refused(value):
    with pytest.raises(BadInput) as error:
        literal(value)
    assert "control characters" in error.value.message and error.value.status == 400
    with pytest.raises(BadInput) as error:
        ident(value)
    assert error.value.message.startswith("The identifier ")


def test_a_value_that_is_not_text_is_refused():
    with pytest.raises(BadInput):
        literal(5)  # type: ignore[arg-type]


def test_tag_conditions_in_keyword_order():
    assert tags_equal(symbol="IBM", interval="daily") == (
        "\"symbol\" = 'IBM' AND \"interval\" = 'daily'"
    )
    assert tags_equal(function="fetch") == "\"function\" = 'fetch'"
    assert tags_equal() == ""


def test_the_refusal_says_what_was_refused():
    with pytest.raises(BadInput) as error:
        literal("a\nb")
    assert (
        error.value.message
        == "The value 'a\\nb' contains control characters and cannot be queried."
    )
