"""Property tests of the write and read paths on a real influxd: what is written reads back equal,
typed by the schema, and what line protocol cannot carry is refused whole (nothing written).

Strings that look like numbers or booleans (`0123`, `1e5`, `TRUE`, `Infinity`, `-0`) must come
back as the same strings: the schema, not the value, says what a column is.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.contract.errors import StocksError, WriteRefused
from shared.contract.schema import Measurement

ROUNDTRIP = Measurement(
    "roundtrip", ("tag",), {"text": "str", "number": "float64", "count": "int64", "flag": "bool"}
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LOOKALIKES = ["0123", "1e5", "TRUE", "true", "Infinity", "-0", "NaN", "null", "0x1F", " 7 "]
texts = st.sampled_from(LOOKALIKES) | st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
)
floats = st.floats(allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def drop(storage, bucket: str) -> None:
    storage.execute(bucket, 'DROP MEASUREMENT "roundtrip"')


@SETTINGS
@given(tag=texts, text=texts, number=floats, count=counts, flag=st.booleans())
@example(tag="1e5", text="0123", number=-0.0, count=-(2**63), flag=False)
@example(tag="TRUE", text="Infinity", number=1e308, count=2**63 - 1, flag=True)
@example(tag='a,b=c d"e', text='say "hi" \\ , = end\\', number=5e-324, count=0, flag=True)
def test_a_point_reads_back_equal(storage, bucket, tag, text, number, count, flag):
    drop(storage, bucket)
    time = pd.DatetimeIndex([pd.Timestamp("2026-01-02 03:04:05", tz="UTC")], name="time")
    frame = pd.DataFrame(
        {"tag": [tag], "text": [text], "number": [number], "count": [count], "flag": [flag]},
        index=time,
    )
    try:
        storage.write(bucket, frame, ROUNDTRIP)
    except WriteRefused:
        assert tag.endswith("\\")  # the one value line protocol cannot carry in a tag
        assert storage.query(bucket, 'SELECT * FROM "roundtrip"', ROUNDTRIP).empty
        return

    back = storage.query(bucket, 'SELECT * FROM "roundtrip"', ROUNDTRIP)

    assert len(back) == 1
    row = back.iloc[0]
    assert row["tag"] == tag and row["text"] == text
    assert row["count"] == count and bool(row["flag"]) is flag
    assert row["number"] == number and math.copysign(1, row["number"]) in (1, -1)


@SETTINGS
@given(
    good=st.lists(floats, min_size=1, max_size=5),
    bad=st.sampled_from([math.inf, -math.inf]),
    at=st.integers(min_value=0, max_value=5),
)
def test_a_frame_with_one_value_influxdb_cannot_store_writes_nothing(
    storage, bucket, good, bad, at
):
    drop(storage, bucket)
    values = [*good[:at], bad, *good[at:]]
    frame = pd.DataFrame(
        {"tag": "t", "text": "x", "number": values, "count": 1, "flag": True},
        index=pd.DatetimeIndex(
            pd.date_range("2026-01-02", periods=len(values), freq="D", tz="UTC"), name="time"
        ),
    )
    try:
        storage.write(bucket, frame, ROUNDTRIP)
    except StocksError as error:
        assert error.status == 400
    else:
        raise AssertionError("a non-finite value was written")
    assert storage.query(bucket, 'SELECT * FROM "roundtrip"', ROUNDTRIP).empty
