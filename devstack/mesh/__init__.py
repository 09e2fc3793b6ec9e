"""A local Knative event mesh that runs the eventing objects of knative/ against local functions."""

from devstack.mesh.mesh import DEFAULT_DEAD_LETTER_FILE, DEFAULT_PORT, Chaos, Mesh
from devstack.mesh.records import Delivery, Received
from devstack.mesh.topology import MeshConfigError, Topology

__all__ = [
    "DEFAULT_DEAD_LETTER_FILE",
    "DEFAULT_PORT",
    "Chaos",
    "Delivery",
    "Mesh",
    "MeshConfigError",
    "Received",
    "Topology",
]
