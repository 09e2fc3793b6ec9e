"""The local event mesh: the brokers, Triggers, PingSources and SinkBindings of knative/, run
in-process against functions served on local URLs.

    mesh = Mesh.from_manifests("knative", {"fetch": "http://127.0.0.1:8081/", ...}).start()
    env = {"K_SINK": mesh.sink_bindings()["watchlist"]}
    mesh.fire_ping("market-close")
    mesh.stop()
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudevents.http import CloudEvent

from devstack.mesh.deadletters import DeadLetterFile
from devstack.mesh.delivery import Dispatcher, Route
from devstack.mesh.ingress import BrokerKey, Ingress
from devstack.mesh.manifests import load_objects
from devstack.mesh.ping import PingScheduler, ping_event
from devstack.mesh.records import Delivery, Journal, Received
from devstack.mesh.sinkbinding import sink_bindings
from devstack.mesh.topology import Destination, MeshConfigError, PingSource, Topology, Trigger

logger = logging.getLogger("devstack.mesh")

DEFAULT_PORT = 8090
DEFAULT_DEAD_LETTER_FILE = Path(".stocks/dead-letters.jsonl")
MAX_HOPS = 255  # as Knative's knativebrokerttl: a reply loop ends after this many replies


@dataclass(frozen=True)
class Chaos:
    """At-least-once delivery made visible: every event goes to each of its Triggers `copies`
    times, each copy after a random wait of up to `reorder` seconds, so copies arrive together
    and events overtake each other (Knative may do both; consumers must not care).

    From the environment: STOCKS_MESH_COPIES (default 1) and STOCKS_MESH_REORDER_SECONDS
    (default 0); STOCKS_MESH_SEED makes the order repeatable.
    """

    copies: int = 1
    reorder: float = 0.0
    seed: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Chaos:
        seed = environ.get("STOCKS_MESH_SEED")
        return cls(
            copies=max(1, int(environ.get("STOCKS_MESH_COPIES") or 1)),
            reorder=max(0.0, float(environ.get("STOCKS_MESH_REORDER_SECONDS") or 0)),
            seed=int(seed) if seed else None,
        )


class Mesh:
    """Routes CloudEvents between local functions as Knative eventing does for knative/.

    `subscribers` maps each Knative Service name a Trigger, dead-letter sink or SinkBinding
    refers to onto the URL where that function runs; a missing one is a MeshConfigError here.
    `backoff_scale` multiplies every retry wait (tests use a small one); `chaos` duplicates
    and reorders deliveries on demand.
    """

    def __init__(
        self,
        topology: Topology,
        subscribers: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        dead_letter_file: Path = DEFAULT_DEAD_LETTER_FILE,
        backoff_scale: float = 1.0,
        workers: int = 16,
        request_timeout: float = 600.0,
        schedule_pings: bool = True,
        chaos: Chaos = Chaos(),
    ) -> None:
        self.topology = topology
        self.chaos = chaos
        self._random = random.Random(chaos.seed)
        self._subscribers = dict(subscribers)
        self._ingress = Ingress(host, port or 0, self._accept, self._fire_named, self._describe)
        self._routes = {
            (broker.namespace, broker.name): [
                (trigger, self._route(trigger))
                for trigger in topology.triggers
                if (trigger.namespace, trigger.broker) == (broker.namespace, broker.name)
            ]
            for broker in topology.brokers
        }
        self._pings = {ping.name: ping for ping in topology.ping_sources}
        self._ping_brokers = {ping.name: _ping_broker(ping) for ping in topology.ping_sources}
        self._bindings = sink_bindings(topology, self._resolve)
        self._journal = Journal()
        self._dead_letters = DeadLetterFile(dead_letter_file)
        self._dispatcher = Dispatcher(
            self._reply,
            self._journal,
            self._dead_letters,
            workers=workers,
            backoff_scale=backoff_scale,
            request_timeout=request_timeout,
        )
        self._scheduler = PingScheduler(
            list(self._pings.values()) if schedule_pings else [], self.fire_ping
        )

    @classmethod
    def from_manifests(
        cls,
        path: Path | str,
        subscribers: Mapping[str, str],
        *,
        use_kubectl: bool | None = None,
        **options: Any,
    ) -> Mesh:
        """A mesh for the manifests under `path` (rendered by kubectl when it can be)."""
        topology = Topology.from_objects(load_objects(Path(path), use_kubectl))
        return cls(topology, subscribers, **options)

    @property
    def url(self) -> str:
        """Base URL of the mesh's HTTP ingress."""
        return self._ingress.url

    def broker_url(self, name: str = "default", namespace: str | None = None) -> str:
        """Ingress URL of a broker, as Knative's: <ingress>/<namespace>/<broker>."""
        return "/".join((self.url, *self._broker_key(name, namespace)))

    def start(self) -> Mesh:
        """Serve the ingress and start the PingSource schedules."""
        self._ingress.start()
        self._scheduler.start()
        logger.info(
            "event mesh on %s (brokers: %s)", self.url, ", ".join(self._describe()["brokers"])
        )
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking events, let deliveries finish for up to `timeout` s, then stop."""
        self._ingress.stop()
        self._scheduler.stop()
        if not self._dispatcher.close(timeout):
            logger.warning("deliveries were unfinished at stop: see %s", self._dead_letters.path)

    def __enter__(self) -> Mesh:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fire_ping(self, name: str | PingSource) -> CloudEvent:
        """Fire a PingSource now; its event, already in the broker."""
        ping = self._pings[name] if isinstance(name, str) else name
        event = ping_event(ping)
        self._ingest(self._ping_brokers[ping.name], event, f"ping:{ping.name}", 0)
        return event

    def sink_bindings(self) -> dict[str, str]:
        """{function (Knative Service) name: its K_SINK} for every SinkBinding."""
        return dict(self._bindings)

    def deliveries(self) -> list[Delivery]:
        """Every finished delivery so far, in the order they finished."""
        return self._journal.all_deliveries()

    def received(self) -> list[Received]:
        """Every event a broker accepted so far, in order."""
        return self._journal.all_received()

    @property
    def dead_letter_count(self) -> int:
        return self._dead_letters.count

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no delivery is queued or running; False if `timeout` passed first."""
        return self._dispatcher.wait_idle(timeout)

    def _broker_key(self, name: str, namespace: str | None) -> BrokerKey:
        keys = [
            (b.namespace, b.name)
            for b in self.topology.brokers
            if b.name == name and namespace in (None, b.namespace)
        ]
        if len(keys) != 1:
            raise KeyError(f"no single broker {name!r} in namespace {namespace or 'any'}")
        return keys[0]

    def _route(self, trigger: Trigger) -> Route:
        broker = self.topology.broker(trigger.namespace, trigger.broker)
        if broker is None:  # Topology.from_objects checked every Trigger's broker exists
            raise KeyError(f"Trigger {trigger.name} names no known broker")
        delivery = trigger.delivery.over(broker.delivery)
        dead_letter = delivery.dead_letter_sink
        return Route(
            trigger=trigger.name,
            broker=(trigger.namespace, trigger.broker),
            subscriber=self._resolve(trigger.subscriber, f"Trigger {trigger.name} subscriber"),
            retry=delivery.retry or 0,
            backoff_policy=delivery.backoff_policy or "exponential",
            backoff_delay=delivery.backoff_delay or 0.0,
            dead_letter_sink=(
                self._resolve(dead_letter, f"Trigger {trigger.name} deadLetterSink")
                if dead_letter
                else None
            ),
        )

    def _resolve(self, destination: Destination, what: str) -> str:
        ref = destination.ref
        if ref is None:
            if destination.uri is None:
                raise KeyError(f"{what} has neither a ref nor a uri")
            return destination.uri
        if ref.kind == "Broker":
            return self.broker_url(ref.name, ref.namespace)
        if ref.name not in self._subscribers:
            raise MeshConfigError(
                f"{what}: no URL for Service {ref.name!r}; the mesh was started with URLs for "
                f"{sorted(self._subscribers) or 'no function'}"
            )
        return self._subscribers[ref.name]

    def _accept(self, broker: BrokerKey, event: CloudEvent) -> bool:
        if broker not in self._routes:
            return False
        self._ingest(broker, event, "ingress", 0)
        return True

    def _reply(self, route: Route, reply: CloudEvent, hops: int) -> None:
        self._ingest(route.broker, reply, f"reply:{route.trigger}", hops)

    def _ingest(self, broker: BrokerKey, event: CloudEvent, origin: str, hops: int) -> None:
        if hops > MAX_HOPS:
            logger.warning(
                "dropped %s %s: more than %d replies in a row", event["type"], event["id"], MAX_HOPS
            )
            return
        attributes = event.get_attributes()
        routes = [route for trigger, route in self._routes[broker] if trigger.matches(attributes)]
        final = event["type"] in self.topology.final_event_types
        self._journal.received(
            Received(
                event_id=event["id"],
                event_type=event["type"],
                source=event["source"],
                broker="/".join(broker),
                origin=origin,
                triggers=len(routes),
                final=final,
            )
        )
        # a Trigger taking the type but filtering this event out on another attribute is routing
        typed = any(
            t.filter.get("type", "") in ("", event["type"]) for t, _ in self._routes[broker]
        )
        if not routes and not final and not typed:
            logger.warning("no Trigger takes %s and it is not a final type", event["type"])
        for route in routes:
            for _ in range(self.chaos.copies):
                delay = self._random.uniform(0, self.chaos.reorder) if self.chaos.reorder else 0.0
                self._dispatcher.submit(route, event, hops, delay)

    def _fire_named(self, name: str | None) -> list[CloudEvent]:
        names = list(self._pings) if name is None else [name]
        return [self.fire_ping(self._pings[n]) for n in names]

    def _describe(self) -> dict:
        return {
            "brokers": [f"{self.url}/{ns}/{name}" for ns, name in self._routes],
            "triggers": {
                trigger.name: route.subscriber
                for routes in self._routes.values()
                for trigger, route in routes
            },
            "pingsources": sorted(self._pings),
            "sink_bindings": self._bindings,
        }


def _ping_broker(ping: PingSource) -> BrokerKey:
    ref = ping.sink.ref
    if ref is None or ref.kind != "Broker":
        raise MeshConfigError(f"PingSource {ping.name}: the mesh sends pings to a Broker only")
    return ref.namespace, ref.name
