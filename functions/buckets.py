"""list-buckets: GET lists the buckets; POST `name` creates a bucket (201, 200 if it exists)."""

from __future__ import annotations

from shared.contract import validation
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from shared.store import buckets


def run(invocation: Invocation, services: Services) -> Reply:
    if invocation.method == "POST":
        name = validation.bucket(invocation.fields, "name", default=None)
        created = services.influx.create_bucket(name)
        return Reply({"name": name, "created": created}, status=201 if created else 200)
    return Reply({"buckets": buckets.describe(services.influx)})


SPEC = FunctionSpec(
    "buckets",
    run,
    fields=frozenset({"name"}),
    writes=frozenset({"POST"}),
    reads=frozenset({"GET"}),
)
