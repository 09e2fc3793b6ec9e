"""The dashboards match Grafana's published dashboard JSON schema, but for the listed exceptions.

The schema (grafana-foundation-sdk's `jsonschema/dashboard.jsonschema.json`, kept as test data)
is checked offline. Where it is stricter than Grafana, the property is relaxed here with the
reason, and docs/grafana.md lists the same exceptions.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "tests" / "data" / "grafana" / "dashboard.jsonschema.json"
DASHBOARDS = sorted((ROOT / "knative" / "grafana" / "dashboards").glob("*.json"))

# (definition, property): why the schema's type is wrong there. Grafana's own schema types both
# `_` (any value); the SDK's generator writes that as an object, though Grafana's editor saves a
# field name (the byName matcher), a refId (byRefId), a number or a string (most overrides).
ALLOWED: dict[tuple[str, str], str] = {
    ("MatcherConfig", "options"): "a matcher's options are any value: byName takes a field name",
    ("DynamicConfigValue", "value"): "an override's value is any value: a number, a string...",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def relaxed(exceptions: dict[tuple[str, str], str]) -> Draft7Validator:
    """The schema with each listed property accepting any value."""
    schema = copy.deepcopy(load(SCHEMA))
    for (definition, name), reason in exceptions.items():
        schema["definitions"][definition]["properties"][name] = {"description": reason}
    return Draft7Validator(schema)


def problems(validator: Draft7Validator, dashboard: dict[str, Any]) -> list[str]:
    """Every leaf error, as `path: message` (anyOf branches unfolded)."""
    found, pending = [], list(validator.iter_errors(dashboard))
    while pending:
        error = pending.pop()
        if error.context:
            pending.extend(error.context)
        else:
            found.append(f"{'/'.join(map(str, error.absolute_path))}: {error.message[:120]}")
    return sorted(found)


def test_the_schema_is_grafanas_dashboard_schema() -> None:
    schema = load(SCHEMA)
    Draft7Validator.check_schema(schema)
    assert schema["$ref"] == "#/definitions/Dashboard"
    assert {"Panel", "RowPanel", "VariableModel"} <= set(schema["definitions"])


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_matches_the_schema_with_the_allowed_exceptions(path: Path) -> None:
    validator = relaxed(ALLOWED)
    dashboard = load(path)
    # A panel that fails as a Panel is reported through the anyOf with RowPanel, so a real
    # finding shows up as "not valid under any of the given schemas" on that panel.
    assert problems(validator, dashboard) == []


@pytest.mark.parametrize("exception", list(ALLOWED), ids=lambda e: ".".join(e))
def test_every_allowed_exception_is_still_needed(exception: tuple[str, str]) -> None:
    others = {key: why for key, why in ALLOWED.items() if key != exception}
    validator = relaxed(others)
    assert any(problems(validator, load(path)) for path in DASHBOARDS), (
        f"{exception} is no longer needed: remove it here and from docs/grafana.md"
    )


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["panels"][0]["gridPos"].update(w="wide"), "panels/0/gridPos/w"),
        (lambda d: d["templating"]["list"].append({"name": "x", "type": "nope"}), "templating"),
        (lambda d: d.update(graphTooltip="shared"), "graphTooltip"),
    ],
    ids=["grid-width-text", "unknown-variable-type", "tooltip-text"],
)
def test_the_relaxed_schema_still_finds_real_faults(change: Any, where: str) -> None:
    dashboard = load(DASHBOARDS[0])
    change(dashboard)
    assert any(p.startswith(where) for p in problems(relaxed(ALLOWED), dashboard))
