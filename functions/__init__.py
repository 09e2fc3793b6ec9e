"""One thin module per function: parse the fields, call `shared/`, answer.

Each module defines `SPEC`, a `shared.runtime.handler.FunctionSpec`. Modules are imported by
name only when their function is served, so fetch never imports what predict needs (Prophet).
"""

from __future__ import annotations

import importlib

from shared.contract.config import FUNCTIONS
from shared.contract.errors import ConfigError
from shared.runtime.handler import FunctionSpec


def load_spec(name: str | None) -> FunctionSpec:
    """The FunctionSpec of the function called `name` (STOCKS_FUNCTION)."""
    if name not in FUNCTIONS:
        raise ConfigError(f"STOCKS_FUNCTION must be one of {', '.join(FUNCTIONS)}; it is {name!r}.")
    return importlib.import_module(f"functions.{name}").SPEC
