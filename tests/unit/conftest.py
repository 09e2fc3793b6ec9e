"""Fixtures of the in-process tests: stand-in functions and a mesh built from test manifests."""

from tests.support.mesh import mesh_for, stand_in  # noqa: F401  (fixtures)
