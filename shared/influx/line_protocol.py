"""Frames as InfluxDB line protocol, typed by the schema: no type is guessed from the values.

Escaping follows the line-protocol reference (docs.influxdata.com, "Line protocol", special
characters): commas, equals signs and spaces are escaped in tag keys and values, double quotes and
backslashes in string field values. An empty tag value is left out (line protocol has none) and a
missing field value (NaN, None) leaves that field out of its line, as influxdb-client does.
This module stands in for influxdb-client's DataFrame serializer, which costs a function 0.15 s of
imports at start (see docs/benchmarks.md); one point without a frame is `shared.influx.one_point`'s.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from shared.contract.errors import WriteRefused
from shared.contract.schema import Measurement
from shared.influx.one_point import (
    INT64,
    KEY_ESCAPES,
    NS_PER,
    PAST_THE_END,
    STRING_ESCAPES,
    tag_ends_in_backslash,
)


def check(frame: pd.DataFrame, measurement: Measurement) -> None:
    """Refuse, with a `WriteRefused` naming the column, any value line protocol cannot carry.

    Run over the whole frame before its first batch is sent, so a write is never half done.
    """
    try:
        pd.DatetimeIndex(frame.index).as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise WriteRefused(PAST_THE_END) from None
    for tag in (t for t in measurement.tags if t in frame.columns):
        if frame[tag].astype("string").str.endswith("\\").any():
            raise tag_ends_in_backslash(tag)
    for name, kind in measurement.fields.items():
        if name not in frame.columns or kind not in ("float64", "int64"):
            continue
        values = pd.to_numeric(frame[name], errors="coerce").dropna().to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise WriteRefused(f"The field '{name}' holds a value InfluxDB cannot store (inf).")
        if kind == "int64" and len(values):
            _check_integers(frame[name], name)


def lines(frame: pd.DataFrame, measurement: Measurement, precision: str) -> list[str]:
    """One line per row of `frame` (indexed by UTC time; columns are the measurement's).

    The values must have passed `check`.
    """
    head = [measurement.name.translate(KEY_ESCAPES)] * len(frame)
    for tag in (t for t in measurement.tags if t in frame.columns):
        key = tag.translate(KEY_ESCAPES)
        values = frame[tag].to_numpy(dtype=object)
        head = [
            h if v is None or v == "" else f"{h},{key}={str(v).translate(KEY_ESCAPES)}"
            for h, v in zip(head, values, strict=True)
        ]
    columns = [
        _field_texts(name, frame[name], kind)
        for name, kind in measurement.fields.items()
        if name in frame.columns
    ]
    stamps = _timestamps(frame.index, precision)
    out = []
    for row, (prefix, stamp) in enumerate(zip(head, stamps, strict=True)):
        fields = ",".join(text for column in columns if (text := column[row]))
        if fields:  # a row whose every field is missing is no point at all
            out.append(f"{prefix} {fields} {stamp}")
    return out


def checked_lines(frame: pd.DataFrame, measurement: Measurement, precision: str) -> list[str]:
    """`lines` of the whole frame once `check` passed it, for a write of several frames."""
    check(frame, measurement)
    return lines(frame, measurement, precision)


def batches(
    frame: pd.DataFrame, measurement: Measurement, precision: str, size: int
) -> Iterator[bytes]:
    """`lines` of `frame`, `size` rows a batch, each batch one newline-joined body.

    The whole frame is checked first: a value that cannot be written stops the write before
    anything is sent.
    """
    check(frame, measurement)
    for start in range(0, len(frame), size):
        chunk = lines(frame.iloc[start : start + size], measurement, precision)
        if chunk:
            yield "\n".join(chunk).encode()


def _field_texts(name: str, column: pd.Series, kind: str) -> list[str]:
    """`key=value` for each row, or '' where the value is missing."""
    key = name.translate(KEY_ESCAPES) + "="
    values = column.to_numpy(dtype=object)
    missing = pd.isna(column).to_numpy()
    if kind == "float64":
        return [
            "" if gone else key + repr(float(v)) for v, gone in zip(values, missing, strict=True)
        ]
    if kind == "int64":
        return ["" if gone else f"{key}{int(v)}i" for v, gone in zip(values, missing, strict=True)]
    if kind == "bool":
        return [
            "" if gone else key + ("true" if v else "false")
            for v, gone in zip(values, missing, strict=True)
        ]
    return [
        "" if gone else f'{key}"{str(v).translate(STRING_ESCAPES)}"'
        for v, gone in zip(values, missing, strict=True)
    ]


def _check_integers(column: pd.Series, name: str) -> None:
    if pd.api.types.is_integer_dtype(column.dtype):  # 64-bit already: nothing can be out of range
        return
    for value in column.dropna().to_numpy(dtype=object):
        if isinstance(value, float | np.floating) and not float(value).is_integer():
            raise WriteRefused(f"The field '{name}' must hold whole numbers, not {value}.")
        if not INT64[0] <= int(value) <= INT64[1]:
            raise WriteRefused(
                f"The field '{name}' holds {int(value)}, beyond InfluxDB's 64-bit integers."
            )


def _timestamps(index: pd.Index, precision: str) -> list[int]:
    times = pd.DatetimeIndex(index)
    if times.tz is None:
        times = times.tz_localize("UTC")
    nanoseconds = times.as_unit("ns").asi8
    return (nanoseconds // NS_PER[precision]).tolist()
