"""SinkBindings: the K_SINK each bound function gets, as a URL of the local mesh."""

from __future__ import annotations

from collections.abc import Callable

from devstack.mesh.topology import Destination, Topology


def sink_bindings(topology: Topology, resolve: Callable[[Destination, str], str]) -> dict[str, str]:
    """{subject Service name: K_SINK URL} for every SinkBinding of the topology."""
    return {
        binding.subject.name: resolve(binding.sink, f"SinkBinding {binding.name} sink")
        for binding in topology.sink_bindings
    }
