"""deadletters: the dead-letter sink of every Trigger; records each event it gets in InfluxDB."""

from __future__ import annotations

from shared.contract.errors import BadInput
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.usecases.deadletters import record


def run(invocation: Invocation, services: Services) -> Reply:
    if invocation.event is None:
        raise BadInput("The deadletters function takes dead-lettered CloudEvents only.")
    record(services.influx, services.settings.meta_bucket, invocation.event)
    return Reply()


SPEC = FunctionSpec("deadletters", run, accepts=None, methods=frozenset({"POST"}), opaque_data=True)
