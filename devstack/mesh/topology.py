"""Knative eventing objects (Broker, Trigger, PingSource, SinkBinding) read into checked values.

Checks what Knative's webhooks would refuse and the CRD schemas cannot see (cron syntax, time
zones, ISO-8601 durations, backoff policies) and that every reference points at an object of
the manifests, so a wiring mistake fails when the mesh starts.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from devstack.mesh.durations import parse_duration

DEFAULT_NAMESPACE = "default"
FINAL_TYPES_ANNOTATION = "stocksmanager.io/final-event-types"
EMITS_ANNOTATION = "stocksmanager.io/emits"
BACKOFF_POLICIES = ("exponential", "linear")
SERVING = "serving.knative.dev/v1"


class MeshConfigError(ValueError):
    """The manifests cannot be run as they are; the message names the object at fault."""


@dataclass(frozen=True)
class Ref:
    """A reference to another object, its namespace defaulted to the referrer's."""

    kind: str
    name: str
    namespace: str


@dataclass(frozen=True)
class Destination:
    """Where events go (Knative duck type): an object reference or an absolute URI."""

    ref: Ref | None = None
    uri: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A delivery spec; None fields fall back to the Broker's, then to Knative's defaults."""

    retry: int | None = None
    backoff_policy: str | None = None
    backoff_delay: float | None = None
    dead_letter_sink: Destination | None = None

    def over(self, defaults: Delivery) -> Delivery:
        """This spec with its unset fields taken from `defaults`."""
        return Delivery(
            retry=self.retry if self.retry is not None else defaults.retry,
            backoff_policy=self.backoff_policy or defaults.backoff_policy,
            backoff_delay=(
                self.backoff_delay if self.backoff_delay is not None else defaults.backoff_delay
            ),
            dead_letter_sink=self.dead_letter_sink or defaults.dead_letter_sink,
        )


@dataclass(frozen=True)
class Broker:
    namespace: str
    name: str
    delivery: Delivery
    final_event_types: frozenset[str]


@dataclass(frozen=True)
class Trigger:
    namespace: str
    name: str
    broker: str
    subscriber: Destination
    delivery: Delivery
    filter: Mapping[str, str] = field(default_factory=dict)

    def matches(self, attributes: Mapping[str, object]) -> bool:
        """Knative's exact attribute filter: every listed attribute equal ("" matches any)."""
        return all(
            value == "" or (key in attributes and str(attributes[key]) == value)
            for key, value in self.filter.items()
        )


@dataclass(frozen=True)
class PingSource:
    namespace: str
    name: str
    schedule: str
    timezone: str
    sink: Destination
    content_type: str | None = None
    data: bytes | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The `source` attribute Knative gives this PingSource's events."""
        return f"/apis/v1/namespaces/{self.namespace}/pingsources/{self.name}"


@dataclass(frozen=True)
class SinkBinding:
    namespace: str
    name: str
    subject: Ref
    sink: Destination


@dataclass(frozen=True)
class Topology:
    """The eventing objects of a set of manifests and the Knative Services they may refer to."""

    services: frozenset[str]
    brokers: tuple[Broker, ...]
    triggers: tuple[Trigger, ...]
    ping_sources: tuple[PingSource, ...]
    sink_bindings: tuple[SinkBinding, ...]
    emits: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def final_event_types(self) -> frozenset[str]:
        """Event types documented as final (no Trigger) on any Broker."""
        return frozenset().union(*(broker.final_event_types for broker in self.brokers))

    def broker(self, namespace: str, name: str) -> Broker | None:
        return next((b for b in self.brokers if (b.namespace, b.name) == (namespace, name)), None)

    @classmethod
    def from_objects(cls, objects: list[dict]) -> Topology:
        """Read and cross-check the objects; MeshConfigError on the first problem."""
        by_kind: dict[str, list[dict]] = {}
        for obj in sorted(objects, key=lambda o: _meta(o)):
            by_kind.setdefault(obj["kind"], []).append(obj)
        knative_services = [s for s in by_kind.get("Service", []) if s.get("apiVersion") == SERVING]
        topology = cls(
            services=frozenset(s["metadata"]["name"] for s in knative_services),
            brokers=tuple(_broker(o) for o in by_kind.get("Broker", [])),
            triggers=tuple(_trigger(o) for o in by_kind.get("Trigger", [])),
            ping_sources=tuple(_ping_source(o) for o in by_kind.get("PingSource", [])),
            sink_bindings=tuple(_sink_binding(o) for o in by_kind.get("SinkBinding", [])),
            emits={
                s["metadata"]["name"]: frozenset(_split(_annotation(s, EMITS_ANNOTATION)))
                for s in knative_services
            },
        )
        topology._check_references()
        return topology

    def _check_references(self) -> None:
        for trigger in self.triggers:
            if self.broker(trigger.namespace, trigger.broker) is None:
                raise MeshConfigError(
                    f"Trigger {trigger.name}: broker {trigger.broker!r} is not in the manifests"
                )
        for ping in self.ping_sources:
            self._check_sink(f"PingSource {ping.name}", ping.sink)
        for binding in self.sink_bindings:
            self._check_sink(f"SinkBinding {binding.name}", binding.sink)
            if binding.subject.kind != "Service" or binding.subject.name not in self.services:
                raise MeshConfigError(
                    f"SinkBinding {binding.name}: subject {binding.subject.kind} "
                    f"{binding.subject.name!r} is not a Knative Service of the manifests"
                )

    def _check_sink(self, what: str, sink: Destination) -> None:
        ref = sink.ref
        if ref is None:
            return
        known = (
            self.broker(ref.namespace, ref.name) is not None
            if ref.kind == "Broker"
            else ref.kind == "Service" and ref.name in self.services
        )
        if not known:
            raise MeshConfigError(f"{what}: sink {ref.kind} {ref.name!r} is not in the manifests")


def _meta(obj: dict) -> tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return metadata.get("namespace") or DEFAULT_NAMESPACE, metadata["name"]


def _annotation(obj: dict, key: str) -> str:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key, "")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _destination(spec: dict | None, namespace: str, what: str) -> Destination:
    spec = spec or {}
    ref, uri = spec.get("ref"), spec.get("uri")
    if not ref and not uri:
        raise MeshConfigError(f"{what}: needs a ref or a uri")
    if ref:
        if ref.get("kind") not in ("Service", "Broker") or not ref.get("name"):
            raise MeshConfigError(f"{what}: the mesh routes to a Service or a Broker, not {ref}")
        return Destination(ref=Ref(ref["kind"], ref["name"], ref.get("namespace") or namespace))
    return Destination(uri=uri)


def _delivery(spec: dict | None, namespace: str, what: str) -> Delivery:
    spec = spec or {}
    retry, policy, delay = spec.get("retry"), spec.get("backoffPolicy"), spec.get("backoffDelay")
    if retry is not None and (not isinstance(retry, int) or isinstance(retry, bool) or retry < 0):
        raise MeshConfigError(f"{what}: delivery.retry must be a whole number >= 0, not {retry!r}")
    if policy is not None and policy not in BACKOFF_POLICIES:
        raise MeshConfigError(f"{what}: delivery.backoffPolicy must be one of {BACKOFF_POLICIES}")
    try:
        seconds = parse_duration(delay) if delay is not None else None
    except (TypeError, ValueError) as exc:
        raise MeshConfigError(f"{what}: delivery.backoffDelay: {exc}") from exc
    sink = spec.get("deadLetterSink")
    return Delivery(
        retry=retry,
        backoff_policy=policy,
        backoff_delay=seconds,
        dead_letter_sink=_destination(sink, namespace, f"{what} deadLetterSink") if sink else None,
    )


def _broker(obj: dict) -> Broker:
    namespace, name = _meta(obj)
    spec = obj.get("spec") or {}
    return Broker(
        namespace=namespace,
        name=name,
        delivery=_delivery(spec.get("delivery"), namespace, f"Broker {name}"),
        final_event_types=frozenset(_split(_annotation(obj, FINAL_TYPES_ANNOTATION))),
    )


def _trigger(obj: dict) -> Trigger:
    namespace, name = _meta(obj)
    spec = obj.get("spec") or {}
    what = f"Trigger {name}"
    if spec.get("filters"):
        raise MeshConfigError(f"{what}: spec.filters is not supported here; use filter.attributes")
    if not spec.get("broker"):
        raise MeshConfigError(f"{what}: spec.broker is missing")
    attributes = (spec.get("filter") or {}).get("attributes") or {}
    if not all(isinstance(value, str) for value in attributes.values()):
        raise MeshConfigError(f"{what}: filter.attributes values must be strings")
    return Trigger(
        namespace=namespace,
        name=name,
        broker=spec["broker"],
        subscriber=_destination(spec.get("subscriber"), namespace, f"{what} subscriber"),
        delivery=_delivery(spec.get("delivery"), namespace, what),
        filter=dict(attributes),
    )


def _ping_source(obj: dict) -> PingSource:
    namespace, name = _meta(obj)
    spec = obj.get("spec") or {}
    what = f"PingSource {name}"
    schedule, timezone = spec.get("schedule", ""), spec.get("timezone") or "UTC"
    if not croniter.is_valid(schedule):
        raise MeshConfigError(f"{what}: schedule {schedule!r} is not a valid cron expression")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MeshConfigError(f"{what}: timezone {timezone!r} is not an IANA time zone") from exc
    text, encoded = spec.get("data"), spec.get("dataBase64")
    if text is not None and encoded is not None:
        raise MeshConfigError(f"{what}: set data or dataBase64, not both")
    data = text.encode() if text is not None else None
    if encoded is not None:
        data = base64.b64decode(encoded)
    return PingSource(
        namespace=namespace,
        name=name,
        schedule=schedule,
        timezone=timezone,
        sink=_destination(spec.get("sink"), namespace, f"{what} sink"),
        content_type=spec.get("contentType"),
        data=data,
        extensions={
            k: str(v) for k, v in ((spec.get("ceOverrides") or {}).get("extensions") or {}).items()
        },
    )


def _sink_binding(obj: dict) -> SinkBinding:
    namespace, name = _meta(obj)
    spec = obj.get("spec") or {}
    subject = spec.get("subject") or {}
    if not subject.get("name"):
        raise MeshConfigError(f"SinkBinding {name}: the mesh binds a subject by name only")
    return SinkBinding(
        namespace=namespace,
        name=name,
        subject=Ref(
            subject.get("kind", ""), subject["name"], subject.get("namespace") or namespace
        ),
        sink=_destination(spec.get("sink"), namespace, f"SinkBinding {name} sink"),
    )
