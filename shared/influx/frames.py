"""InfluxDB's answers as typed pandas frames.

A frame read from a measurement takes its column types from `shared.contract.schema`, never from
the values: the schema says what each field is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from shared.contract.errors import Unprocessable
from shared.contract.schema import Measurement

if TYPE_CHECKING:
    from shared.influx.client import Series


def empty_frame(measurement: Measurement | None) -> pd.DataFrame:
    columns = list(measurement.columns) if measurement else []
    frame = pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], tz="UTC", name="time"))
    return typed(frame, measurement)


def csv_frame(content: bytes, measurement: Measurement | None) -> pd.DataFrame:
    # Text columns are read as text: inferred, an event id "007" or a symbol "0700" lost its zeros.
    text = dict.fromkeys(_text_columns(measurement), str)
    frame = pd.read_csv(io.BytesIO(content), keep_default_na=False, na_values=[""], dtype=text)
    frame = frame.loc[:, ~frame.columns.duplicated()]  # `SHOW` results repeat `name`
    if "tags" in frame.columns and frame["tags"].notna().any():
        frame = pd.concat([frame, _tag_columns(frame["tags"].fillna(""))], axis=1)
    frame = frame.drop(columns=[c for c in ("name", "tags") if c in frame.columns])
    if "time" in frame.columns:
        frame.index = pd.DatetimeIndex(
            pd.to_datetime(frame.pop("time"), unit="ms", utc=True), name="time"
        )
    return typed(frame, measurement)


def rows_frame(series: Sequence[Series], measurement: Measurement | None) -> pd.DataFrame:
    """The series of a JSON answer (`InfluxClient.select`) as one frame, typed as `csv_frame`
    types a CSV answer: a UTC `time` index, `GROUP BY` tags as columns."""
    if not any(s.values for s in series):
        return empty_frame(measurement)
    parts = []
    for one in series:
        part = pd.DataFrame(one.values, columns=one.columns)
        for key, value in one.tags.items():
            part[key] = value
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for column in (c for c in _text_columns(measurement) if c in frame.columns):
        frame[column] = frame[column].where(frame[column] != "", None)  # as CSV reads it: NA
    frame.index = pd.DatetimeIndex(
        pd.to_datetime(frame.pop("time"), unit="ms", utc=True), name="time"
    )
    return typed(frame, measurement)


def _tag_columns(tags: pd.Series) -> pd.DataFrame:
    """One column per tag key from the `tags` cells (`k=v,...`), each distinct cell parsed once:
    a grouped read repeats its few series' tags on every row."""
    parsed = {cell: parse_tags(cell) for cell in tags.unique()}
    keys = sorted({key for values in parsed.values() for key in values})
    return pd.DataFrame(
        {key: tags.map({cell: values.get(key) for cell, values in parsed.items()}) for key in keys},
        index=tags.index,
    )


def typed(frame: pd.DataFrame, measurement: Measurement | None) -> pd.DataFrame:
    """`frame`'s columns as the schema types them; `Unprocessable` (422: no retry can fix
    stored data) when a stored value is not of its field's type (a float `volume` written to
    an older shard, before the field's type was settled)."""
    if measurement is None:
        return frame
    types = {c: t for c, t in measurement.fields.items() if c in frame.columns}
    for column, dtype in types.items():
        if dtype in ("int64", "float64"):
            frame[column] = _numbers(frame[column], dtype, measurement.name)
        elif dtype == "bool":
            frame[column] = frame[column].map(lambda v: str(v).lower() == "true").astype("bool")
        else:
            frame[column] = frame[column].astype("string")
    for tag in measurement.tags:
        if tag in frame.columns:
            frame[tag] = frame[tag].astype("string")
    return frame


def _numbers(column: pd.Series, dtype: str, measurement: str) -> pd.Series:
    try:
        return pd.to_numeric(column).astype("Int64" if dtype == "int64" else "float64")
    except (ValueError, TypeError):
        raise Unprocessable(
            f"The stored field '{column.name}' of {measurement} holds values that are not "
            f"{'whole numbers' if dtype == 'int64' else 'numbers'}, as its schema says it must."
        ) from None


def _text_columns(measurement: Measurement | None) -> list[str]:
    """The measurement's tags and string fields."""
    if measurement is None:
        return []
    return [*measurement.tags, *(c for c, t in measurement.fields.items() if t == "str")]


def parse_tags(text: str) -> dict[str, str]:
    """`symbol=A\\ B,interval=daily` (line-protocol escaping) into a dict."""
    tags: dict[str, str] = {}
    key, value, current, escaped, in_value = "", "", [], False, False
    for char in text + ",":
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "=" and not in_value:
            key, current, in_value = "".join(current), [], True
        elif char == ",":
            value = "".join(current)
            if key:
                tags[key] = value
            key, current, in_value = "", [], False
        else:
            current.append(char)
    return tags
