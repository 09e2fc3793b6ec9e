"""One point as one line of line protocol, with no pandas: the records a call writes one at a time.

Escaping follows the line-protocol reference (docs.influxdata.com, "Line protocol", special
characters): commas, equals signs and spaces are escaped in tag keys and values, double quotes and
backslashes in string field values. Values are typed by the schema, never guessed from the value.
Functions that write only such records (deadletters, notifier) then start without pandas, which
costs about 0.4 s of a cold start (docs/benchmarks.md); `line_protocol` writes frames alike.
"""

from __future__ import annotations

import math
from datetime import datetime

from shared.contract.errors import WriteRefused
from shared.contract.schema import Measurement
from shared.contract.timefmt import epoch_ns

KEY_ESCAPES = str.maketrans(
    {",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n", "\r": r"\r", "\t": r"\t"}
)
STRING_ESCAPES = str.maketrans({'"': r"\"", "\\": r"\\"})
NS_PER = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
INT64 = (-(2**63), 2**63 - 1)
PAST_THE_END = "A point is dated past 2262-04-11, beyond InfluxDB's nanosecond timestamps."


def line(measurement: Measurement, at: datetime | int, precision: str, **values: object) -> str:
    """One line of `measurement` stamped `at` (a time, or nanoseconds since the epoch), from
    `values` named by its tags and fields; an empty tag or a missing field is left out."""
    head = measurement.name.translate(KEY_ESCAPES)
    for tag in measurement.tags:
        value = values.get(tag)
        if value is None or value == "":
            continue
        text = str(value)
        if text.endswith("\\"):
            raise tag_ends_in_backslash(tag)
        head += f",{tag.translate(KEY_ESCAPES)}={text.translate(KEY_ESCAPES)}"
    fields = [
        field_text(name, values[name], kind)
        for name, kind in measurement.fields.items()
        if not missing(values.get(name))
    ]
    if not fields:
        raise WriteRefused(f"A point of {measurement.name} needs at least one field.")
    nanoseconds = at if isinstance(at, int) else epoch_ns(at)
    if not INT64[0] <= nanoseconds <= INT64[1]:
        raise WriteRefused(PAST_THE_END)
    return f"{head} {','.join(fields)} {nanoseconds // NS_PER[precision]}"


def tag_ends_in_backslash(tag: str) -> WriteRefused:
    """InfluxDB's parser reads a trailing backslash as escaping the separator after it, escaped
    or not: no tag value may end in one."""
    return WriteRefused(f"The tag '{tag}' ends in a backslash, which line protocol cannot carry.")


def missing(value: object) -> bool:
    """Whether a field value is absent (None or NaN): its field is left out of the line."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def field_text(name: str, value: object, kind: str) -> str:
    """`name=value` typed by the schema's `kind`; `WriteRefused` for what InfluxDB cannot hold."""
    key = name.translate(KEY_ESCAPES)
    if kind == "float64":
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise WriteRefused(f"The field '{name}' holds a value InfluxDB cannot store (inf).")
        return f"{key}={number!r}"
    if kind == "int64":
        if isinstance(value, float) and not value.is_integer():
            raise WriteRefused(f"The field '{name}' must hold whole numbers, not {value}.")
        whole = int(value)  # type: ignore[call-overload]
        if not INT64[0] <= whole <= INT64[1]:
            raise WriteRefused(
                f"The field '{name}' holds {whole}, beyond InfluxDB's 64-bit integers."
            )
        return f"{key}={whole}i"
    if kind == "bool":
        return f"{key}={'true' if value else 'false'}"
    return f'{key}="{str(value).translate(STRING_ESCAPES)}"'
