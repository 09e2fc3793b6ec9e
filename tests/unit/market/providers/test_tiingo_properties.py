"""Property tests of the Tiingo parser and the provider boundary: contract data or a typed error.

Bodies are built from the classes of garbage a hostile pass sent (issue 18): any bytes; CSV and
JSON rows whose cells are numbers, number texts (`Infinity`, `1e400`, 400 digits), nulls,
booleans, lists, objects; dates from year 1 to 9999, `null` and garbage; `divCash` and
`splitFactor` of any of those; JSON nested past the parser's depth. Whatever comes, the answer is
contract bars and actions (every impossible row or action dropped and counted) or a `StocksError`
that is not a 500 or a 400: never another exception.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.contract.errors import StocksError
from shared.market.actions import DIVIDEND, SPLIT
from shared.market.providers.rows import EARLIEST, MAX_VOLUME, Checked
from shared.market.providers.tiingo import parse_daily, refusal
from tests.support.fakes.alphavantage import assert_bars

FIELDS = ("date", "close", "high", "low", "open", "volume", "divCash", "splitFactor")
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
number_texts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["", "nan", "inf", "-inf", "Infinity", "1e400", "-0", "0x10", "1_0", " 5", "x", "9" * 400]
    ),
)
date_texts = st.one_of(
    st.dates().map(str),
    st.dates().map(lambda day: f"{day}T00:00:00.000Z"),
    st.sampled_from(["9999-12-31", "1600-01-03", "2200-01-02", "", "null", "2024-13-45", "now"]),
    st.text(max_size=12),
)
csv_cells = st.one_of(number_texts, st.sampled_from(["1", "1.0", "100.5", "0.01", "10.0"]))
json_cells = st.one_of(json_values, number_texts, st.floats(min_value=0.01, max_value=1e4))


def checked_or_typed_error(body: bytes, status: int = 200) -> Checked | None:
    """What `body` gives, checked against the contract, or None after a typed error."""
    try:
        checked = parse_daily(status, body)
    except StocksError as error:
        assert 400 < error.status < 600 and error.status != 500
        return None
    assert_contract(checked)
    return checked


def assert_contract(checked: Checked) -> None:
    bars, actions = checked.bars, checked.actions
    assert_bars(bars)
    prices = bars[["open", "high", "low", "close"]].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0).all()
    assert (bars["high"] >= bars["low"]).all()
    assert ((bars["volume"] >= 0) & (bars["volume"] <= MAX_VOLUME)).all()
    if len(bars):
        assert bars.index.min() >= EARLIEST
        assert bars.index.max() <= pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=2)
    assert str(actions.index.tz) == "UTC" and actions.index.is_monotonic_increasing
    ratios = actions.loc[actions["kind"] == SPLIT, "ratio"].to_numpy()
    assert np.isfinite(ratios).all() and ((ratios >= 1e-4) & (ratios <= 1e4)).all()
    amounts = actions.loc[actions["kind"] == DIVIDEND, "amount"].to_numpy()
    assert np.isfinite(amounts).all() and (amounts > 0).all()
    assert set(actions["kind"]) <= {SPLIT, DIVIDEND}
    assert len(checked.dropped) >= 0 and len(checked.dropped.examples) <= 5


@SETTINGS
@given(body=st.binary(max_size=300), status=st.sampled_from([200, 200, 404, 429, 500]))
@example(body=b"[" * 50_000 + b"]" * 50_000, status=200)
@example(body=b'[{"date": null, "close": 1}]', status=200)
def test_any_bytes_give_contract_data_or_a_typed_error(body: bytes, status: int) -> None:
    checked_or_typed_error(body, status)


def _cell(text: str) -> str:
    """A CSV cell holding `text` as it can: no separators, quotes or line breaks."""
    return "".join(c for c in text if c not in ',"\r\n')


@SETTINGS
@given(rows=st.lists(st.tuples(date_texts, *[csv_cells] * 7), max_size=6))
@example(rows=[("2024-06-03", "1", "1", "1", "1", "9" * 400, "0", "1")])
@example(rows=[("9999-12-31", "1", "1", "1", "1", "1", "0", "1")])
@example(  # a valid bar beside a dividend and a split dated past pandas' nanoseconds
    rows=[
        ("2024-06-03", "1", "1", "1", "1", "1", "0", "1"),
        ("9999-12-31", "1", "1", "1", "1", "1", "0.5", "2"),
        ("1600-01-03", "1", "1", "1", "1", "1", "0.5", "1"),
    ]
)
@example(rows=[("2024-06-03", "Infinity", "1", "1", "1", "1", "Infinity", "Infinity")])
def test_any_csv_cells_give_contract_data_or_a_typed_error(rows: list[tuple[str, ...]]) -> None:
    lines = [",".join(FIELDS), *(",".join(_cell(c) for c in row) for row in rows)]
    checked = checked_or_typed_error(("\n".join(lines) + "\n").encode())
    if checked is not None:  # a row is kept (once a day) or dropped, never both
        reasons = checked.dropped.reasons
        dropped_bars = sum(n for reason, n in reasons.items() if reason.startswith("bar"))
        assert len(checked.bars) + dropped_bars <= len(rows)


@SETTINGS
@given(
    rows=st.lists(
        st.fixed_dictionaries({}, optional={f: json_cells for f in FIELDS[1:]}).flatmap(
            lambda cells: (json_values | date_texts).map(lambda date: {"date": date, **cells})
        )
        | json_values,
        max_size=5,
    )
)
@example(rows=[{"date": None, "close": 1, "high": 1, "low": 1, "open": 1, "volume": 1}])
@example(
    rows=[{"date": "2024-06-03", "close": 1, "high": 1, "low": 1, "open": 1, "volume": 10**400}]
)
def test_any_json_rows_give_contract_data_or_a_typed_error(rows: list) -> None:
    body = json.dumps(rows).encode()  # Infinity and NaN as JSON's common extension writes them
    checked_or_typed_error(body)


@SETTINGS
@given(document=st.dictionaries(st.text(max_size=15), json_values, max_size=4))
def test_any_refusal_document_maps_to_a_typed_error(document: dict) -> None:
    for status in (200, 401, 404, 429, 500):
        assert isinstance(refusal(status, json.dumps(document).encode(), "T0K"), StocksError)


valid_prices = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
valid_rows = st.lists(
    st.tuples(
        st.dates(min_value=EARLIEST.date(), max_value=pd.Timestamp.now().date()),
        valid_prices,
        valid_prices,
        valid_prices,
        valid_prices,
        st.integers(min_value=0, max_value=MAX_VOLUME),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda row: row[0],
)


@SETTINGS
@given(rows=valid_rows, as_json=st.booleans())
def test_valid_rows_read_back_exactly_and_nothing_is_dropped(rows, as_json: bool) -> None:
    records = [
        {
            "date": str(day),
            "close": close,
            "high": max(high, low),
            "low": min(high, low),
            "open": open_,
            "volume": volume,
            "divCash": 0.0,
            "splitFactor": 1.0,
        }
        for day, close, high, low, open_, volume in rows
    ]
    if as_json:
        body = json.dumps(records).encode()
    else:
        lines = [",".join(FIELDS)] + [
            ",".join(repr(r[f]) if isinstance(r[f], float) else str(r[f]) for f in FIELDS)
            for r in records
        ]
        body = ("\n".join(lines) + "\n").encode()
    checked = checked_or_typed_error(body)
    assert checked is not None and not checked.dropped
    expected = sorted(records, key=lambda r: r["date"])
    assert [f"{t:%Y-%m-%d}" for t in checked.bars.index] == [r["date"] for r in expected]
    for column in ("open", "high", "low", "close", "volume"):
        assert checked.bars[column].tolist() == [r[column] for r in expected]


def test_a_429_without_any_known_words_stays_a_rate_limit() -> None:
    for body in (b"", b"{}", b'{"detail": "Slow down."}', b"Please wait."):
        error = refusal(429, body, "T0K")
        assert error.status == 429 and error.retry_after > 0
