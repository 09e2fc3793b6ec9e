"""The committed session table (`calendar_sessions.json`): where it lives and what it holds.

`calendar_build` writes it (`make calendars`); `calendar` reads it as arrays and frames and
`sessions` a date at a time. Reading it costs a few milliseconds and needs no pandas.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("calendar_sessions.json")


@cache
def committed() -> dict[str, Any]:
    """The committed session table of every supported exchange, as stored."""
    with PATH.open() as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded
