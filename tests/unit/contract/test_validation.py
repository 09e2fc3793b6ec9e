"""Field validation: what each field accepts, its default, and the sentence refusing the rest."""

from __future__ import annotations

import pytest

from shared.contract import validation
from shared.contract.errors import BadInput
from shared.contract.schema import INTERVALS, PRICE_COLUMNS


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(BadInput) as error:
        call(*args, **kwargs)
    assert error.value.status == 400
    return error.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [("ibm", "IBM"), ("BRK.B", "BRK.B"), ("rds-a", "RDS-A"), ("A", "A"), ("X" * 12, "X" * 12)],
)
def test_symbols_are_folded_to_upper(given, expected):
    assert validation.symbol({"symbol": given}) == expected


@pytest.mark.parametrize(
    "given", ["X" * 13, "IB M", "IBM;", "\u0130BM", "\uff29\uff22\uff2d", "a/b", "ibm\n"]
)
def test_bad_symbols_are_refused_naming_the_field(given):
    message = refused(validation.symbol, {"symbol": given})
    assert message == (
        f"The symbol {given!r} is not valid: use 1 to 12 characters of A-Z, 0-9, '.' and '-'."
    )


def test_a_symbol_is_required_and_a_string():
    assert refused(validation.symbol, {}) == "The field 'symbol' is required."
    assert refused(validation.symbol, {"symbol": ""}) == "The field 'symbol' must not be empty."
    assert (
        refused(validation.symbol, {"symbol": 5}) == "The field 'symbol' must be a string, not int."
    )
    assert refused(validation.symbol, {"ticker": 5}, "ticker").startswith("The field 'ticker'")


def test_a_long_bad_symbol_is_shown_cut_short():
    message = refused(validation.symbol, {"symbol": "Z" * 100})
    assert "Z" * 40 in message and "Z" * 41 not in message


def test_buckets():
    assert validation.bucket({}) == "stocks"
    assert validation.bucket({"bucket": "My_bucket-2"}) == "My_bucket-2"
    assert validation.bucket({"bucket": "b" * 64}) == "b" * 64
    assert validation.bucket({}, "target", default="forecasts") == "forecasts"
    assert refused(validation.bucket, {}, "name", default=None) == "The field 'name' is required."
    for bad in ("_internal", "b" * 65, "a b", "a.b", "ünï", 'x"y'):
        assert refused(validation.bucket, {"bucket": bad}).startswith("The bucket ")
    assert refused(validation.bucket, {"target": "_x"}, "target").startswith("The target ")


def test_a_bucket_name_that_is_not_a_string_is_refused():
    assert "not valid" in refused(validation.bucket_name, 7)
    assert validation.bucket_name("ok") == "ok"


def test_intervals():
    assert validation.interval({}) == "daily"
    assert validation.interval({}, default="5min") == "5min"
    for value in INTERVALS:
        assert validation.interval({"interval": value}) == value
    message = refused(validation.interval, {"interval": "2min"})
    assert message == f"The interval '2min' is not valid: use one of {', '.join(INTERVALS)}."


def test_months():
    assert validation.month({}, "5min") is None
    assert validation.month({"month": "2024-02"}, "5min") == "2024-02"
    assert validation.month({"month": "2000-01"}, "1min") == "2000-01"
    assert refused(validation.month, {"month": "2024-02"}, "daily") == (
        "The field 'month' applies to intraday intervals only, not to daily bars."
    )
    for bad in ("2024-13", "2024-00", "1999-12", "2024-2", "24-02", "2024-02-01"):
        assert refused(validation.month, {"month": bad}, "5min").startswith("The month ")
    assert (
        refused(validation.month, {"month": ""}, "5min") == "The field 'month' must not be empty."
    )


def test_price_fields():
    assert validation.price_field({}) == "close"
    for value in PRICE_COLUMNS:
        assert validation.price_field({"field": value}) == value
    assert refused(validation.price_field, {"field": "adj"}).startswith("The field to forecast")


def test_integers():
    fields = {"n": "12", "m": 7, "neg": "-3", "plus": "+4", "pad": " 5 "}
    assert validation.integer(fields, "n", 0, 0, 100) == 12
    assert validation.integer(fields, "m", 0, 0, 100) == 7
    assert validation.integer(fields, "neg", 0, -5, 5) == -3
    assert validation.integer(fields, "plus", 0, 0, 5) == 4
    assert validation.integer(fields, "pad", 0, 0, 5) == 5
    assert validation.integer({}, "x", 30, 1, 365) == 30
    assert validation.integer({"x": 1}, "x", 30, 1, 365) == 1
    assert validation.integer({"x": 365}, "x", 30, 1, 365) == 365
    assert refused(validation.integer, {"x": 0}, "x", 30, 1, 365) == (
        "The field 'x' must be from 1 to 365, not 0."
    )
    assert "from 1 to 365, not 366" in refused(validation.integer, {"x": 366}, "x", 30, 1, 365)
    for bad in (True, 1.5, "1.5", "ten", "1" * 10, None, [1]):
        message = refused(validation.integer, {"x": bad}, "x", 30, 1, 365)
        assert message == "The field 'x' must be a whole number from 1 to 365."


def test_fractions():
    assert validation.fraction({}, "w", 0.8, 0.5, 0.99) == 0.8
    assert validation.fraction({"w": "0.9"}, "w", 0.8, 0.5, 0.99) == 0.9
    assert validation.fraction({"w": 0.5}, "w", 0.8, 0.5, 0.99) == 0.5
    assert validation.fraction({"w": 0.99}, "w", 0.8, 0.5, 0.99) == 0.99
    assert isinstance(validation.fraction({"w": 1}, "w", 0.8, 0, 1), float)
    for bad in (0.49, 0.995, "wide", True, None, "nan"):
        message = refused(validation.fraction, {"w": bad}, "w", 0.8, 0.5, 0.99)
        assert message == "The field 'w' must be a number from 0.5 to 0.99."


def test_booleans():
    assert validation.boolean({}, "t", True) is True
    assert validation.boolean({}, "t", False) is False
    for text, value in (
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("false", False),
        ("0", False),
    ):
        assert validation.boolean({"t": text}, "t", not value) is value
    assert validation.boolean({"t": False}, "t", True) is False
    for bad in ("yes", 1, 0, None, "on"):
        assert refused(validation.boolean, {"t": bad}, "t", True) == (
            "The field 't' must be true or false."
        )


def test_choices():
    options = ("prophet", "naive")
    assert validation.choice({}, "model", options, "prophet") == "prophet"
    assert validation.choice({"model": "naive"}, "model", options, "prophet") == "naive"
    message = refused(validation.choice, {"model": "arima"}, "model", options, "prophet")
    assert message == "The model 'arima' is not valid: use one of prophet, naive."


def test_the_bucket_refusal_in_full():
    assert refused(validation.bucket_name, "_x") == (
        "The bucket '_x' is not valid: use 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-', "
        "not starting with '_'."
    )
    assert refused(validation.bucket_name, 7).startswith("The bucket 7 is not valid")


def test_known_fields_names_the_first_unknown_field_and_the_valid_ones():
    validation.known_fields({"symbol": "IBM"}, {"symbol", "model"}, "the probe view")
    with pytest.raises(BadInput) as refused:
        validation.known_fields({"modle": 1, "zz": 2}, {"symbol", "model"}, "the probe view")
    assert refused.value.message == (
        "The field 'modle' is not one the probe view takes (it takes: model, symbol)."
    )
