"""Frames as the JSON the page and the API answer: times in RFC 3339, numbers finite or None."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from shared.contract.timefmt import rfc3339


def finite(value: float | None) -> float | None:
    """A number JSON can carry, rounded for the page; None for NaN and infinities."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: the time in RFC 3339, numbers finite or None, text as text."""
    rows = []
    for time, row in zip(frame.index, frame.to_dict("records"), strict=True):
        rows.append({"time": rfc3339(time), **{k: json_value(v) for k, v in row.items()}})
    return rows


def json_value(value: Any) -> Any:
    """A frame cell as JSON: None for missing, then bool, int, finite float or text."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return finite(float(value))
    return str(value)


def values(column: pd.Series) -> list[float | None]:
    """A column's numbers as JSON, None where missing."""
    return [finite(float(v)) if pd.notna(v) else None for v in column]


def seconds(index: pd.DatetimeIndex) -> list[int]:
    """Times as Unix seconds, the page's chart axis."""
    return [int(t.timestamp()) for t in index]
