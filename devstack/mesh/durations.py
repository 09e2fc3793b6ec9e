"""ISO-8601 durations as Knative's delivery spec writes them: `PT2S`, `PT0.5S`, `P1DT2H30M`."""

from __future__ import annotations

import re

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_SECONDS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}


def parse_duration(text: str) -> float:
    """Seconds in an ISO-8601 duration of days, hours, minutes and seconds; ValueError otherwise.

    Years, months and weeks are refused: their length in seconds is not fixed.
    """
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as PT2S or P1DT2H30M")
    return sum(float(value) * _SECONDS[unit] for unit, value in match.groupdict().items() if value)
