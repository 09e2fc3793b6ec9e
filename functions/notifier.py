"""notifier: posts each `io.stocksmanager.alert.fired` to its webhook, signed, once."""

from __future__ import annotations

from shared.contract.errors import BadInput
from shared.contract.events import ALERT_FIRED
from shared.contract.payloads import AlertFired
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases import notify


def run(invocation: Invocation, services: Services) -> Reply:
    if invocation.event is None:
        raise BadInput(f"The notifier function takes {ALERT_FIRED} events only.")
    alert = AlertFired.from_fields(invocation.fields)
    outcome = notify.deliver(services, alert)
    return Reply(outcome, symbol=alert.symbol, points=int(outcome["delivered"]))


SPEC = FunctionSpec("notifier", run, accepts=frozenset({ALERT_FIRED}), methods=frozenset({"POST"}))
