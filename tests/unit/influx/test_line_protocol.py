"""Line protocol from typed frames and of one point: escaping, missing values, refused values,
timestamps."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from shared.contract.errors import WriteRefused
from shared.contract.schema import Measurement
from shared.influx import one_point
from shared.influx.line_protocol import batches, check, lines

M = Measurement("m x", ("tag",), {"f": "float64", "i": "int64", "b": "bool", "s": "str"})
T0 = pd.Timestamp("2026-11-27T14:30:00Z")


def frame(**columns: list) -> pd.DataFrame:
    size = len(next(iter(columns.values())))
    index = pd.DatetimeIndex([T0 + pd.Timedelta(seconds=i) for i in range(size)], name="time")
    return pd.DataFrame(columns, index=index)


def test_types_come_from_the_schema_not_the_values():
    (line,) = lines(frame(tag=["a"], f=[1.0], i=[2], b=[True], s=["0123"]), M, "s")
    assert line == f'm\\ x,tag=a f=1.0,i=2i,b=true,s="0123" {T0.value // 10**9}'


def test_special_characters_are_escaped():
    (line,) = lines(frame(tag=["a,b=c d"], s=['say "hi" \\ bye']), M, "ms")
    assert line.startswith('m\\ x,tag=a\\,b\\=c\\ d s="say \\"hi\\" \\\\ bye" ')


def test_a_tag_ending_in_a_backslash_is_refused():
    # InfluxDB 1.x refuses it escaped or not (tests/integration/influx/test_client.py)
    with pytest.raises(WriteRefused, match="'tag' ends in a backslash"):
        check(frame(tag=["ok", "io.x\\"], f=[1.0, 2.0]), M)


def test_missing_values_leave_out_the_field_or_the_row_or_the_tag():
    out = lines(frame(tag=["", "b"], f=[math.nan, 2.0], i=[pd.NA, pd.NA]), M, "s")
    assert out == [f"m\\ x,tag=b f=2.0 {T0.value // 10**9 + 1}"]


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_non_finite_floats_are_refused_before_anything_is_sent(value):
    with pytest.raises(WriteRefused, match="'f'"):
        list(batches(frame(f=[1.0, 2.0, value]), M, "s", size=1))


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_integers_beyond_64_bits_are_refused(value):
    with pytest.raises(WriteRefused, match="64-bit"):
        check(frame(i=np.array([value], dtype=object)), M)


def test_integers_at_the_ends_of_64_bits_are_written():
    ends = frame(i=np.array([2**63 - 1, -(2**63), None], dtype=object))
    check(ends, M)
    assert [line.rsplit(" ", 2)[1] for line in lines(ends, M, "s")] == [
        "i=9223372036854775807i",
        "i=-9223372036854775808i",
    ]


def test_fractional_integers_are_refused():
    with pytest.raises(WriteRefused, match="whole numbers"):
        check(frame(i=[1.5]), M)


@pytest.mark.parametrize(("precision", "divisor"), [("s", 10**9), ("ms", 10**6), ("ns", 1)])
def test_timestamps_follow_the_precision(precision, divisor):
    (line,) = lines(frame(f=[1.0]), M, precision)
    assert line.endswith(f" {T0.value // divisor}")


def test_batches_split_rows_and_skip_empty_ones():
    rows = frame(f=[float(i) for i in range(5)])
    assert [b.count(b"\n") + 1 for b in batches(rows, M, "s", 2)] == [2, 2, 1]


def test_times_past_2262_are_refused():
    late = pd.DataFrame(
        {"f": [1.0]}, index=pd.DatetimeIndex([pd.Timestamp("2262-04-11")]).as_unit("us")
    )
    late.index = late.index + pd.Timedelta(days=2)
    with pytest.raises(WriteRefused, match="2262"):
        check(late, M)


@pytest.mark.parametrize(
    "row",
    [
        {"tag": "a,b=c d", "f": 1.5, "i": 2, "b": True, "s": 'say "hi" \\ bye'},
        {"tag": "", "f": float("nan"), "i": -(2**63), "b": False, "s": "0123"},
        {"tag": "x", "f": 1e-300, "i": 2**63 - 1, "b": None, "s": ""},
    ],
)
@pytest.mark.parametrize("precision", ["s", "ms", "ns"])
def test_one_point_is_the_line_its_one_row_frame_gives(row, precision):
    single = frame(**{name: [value] for name, value in row.items()})
    assert one_point.line(M, T0, precision, **row) == lines(single, M, precision)[0]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tag": "io.x\\", "f": 1.0}, "ends in a backslash"),
        ({"f": math.inf}, "cannot store"),
        ({"i": 2**63}, "64-bit"),
        ({"i": 1.5}, "whole numbers"),
        ({"tag": "a"}, "at least one field"),
    ],
)
def test_a_point_line_protocol_cannot_carry_is_refused(values, message):
    with pytest.raises(WriteRefused, match=message):
        one_point.line(M, T0, "s", **values)


@pytest.mark.parametrize(
    "at",
    [
        pd.Timestamp("2026-11-27T14:30:00.123456789Z"),
        1_795_789_800_123_456_789,
        pd.Timestamp("2026-11-27T15:30:00.123456789+01:00"),
    ],
)
def test_a_point_is_stamped_to_the_nanosecond_from_a_time_or_an_epoch(at):
    assert one_point.line(M, at, "ns", f=1.0).endswith(" 1795789800123456789")
    assert one_point.line(M, at, "ms", f=1.0).endswith(" 1795789800123")


def test_a_plain_datetime_stamps_a_point_and_a_naive_one_is_utc():
    aware = datetime(2026, 11, 27, 14, 30, 0, 250_000, tzinfo=UTC)
    assert one_point.line(M, aware, "us", f=1.0).endswith(" 1795789800250000")
    assert one_point.line(M, aware.replace(tzinfo=None), "us", f=1.0).endswith(" 1795789800250000")


def test_a_point_past_the_end_of_nanosecond_time_is_refused():
    assert one_point.line(M, 2**63 - 1, "ns", f=1.0).endswith(" 9223372036854775807")
    with pytest.raises(WriteRefused, match="2262"):
        one_point.line(M, datetime(2263, 1, 1, tzinfo=UTC), "s", f=1.0)
    with pytest.raises(WriteRefused, match="2262"):
        one_point.line(M, 2**63, "s", f=1.0)
