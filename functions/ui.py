"""ui: the web page for people who run no Grafana, its files, and the JSON views and changes."""

from __future__ import annotations

from shared.contract import validation
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.ui.assets import ASSETS, asset, page
from shared.usecases import ui


def run(invocation: Invocation, services: Services) -> Reply:
    fields = invocation.fields
    if invocation.method == "POST":  # track, untrack, refresh, rules: state changes
        body = ui.change(services, fields)
        return Reply(body, symbol=(body.get("entry") or body.get("rule") or {}).get("symbol"))
    if not fields:  # the page, with the demo label drawn from the start when it applies
        return _file(page(ui.about_page(services)["demo"]))
    if "asset" in fields:
        validation.known_fields(fields, {"asset"}, "a request for a page file")
        return _file(asset(validation.choice(fields, "asset", ASSETS, ASSETS[0])))
    return Reply(ui.read(services, fields))


def _file(file: tuple[bytes, str]) -> Reply:
    content, content_type = file
    return Reply(content=content, content_type=content_type)


SPEC = FunctionSpec(
    "ui", run, fields=ui.FIELDS, writes=frozenset({"POST"}), reads=frozenset({"GET"})
)  # the page and its views: public
