"""The Kubernetes objects under a manifests directory, as `kubectl apply -k` would see them.

With kubectl on the PATH and a kustomization.yaml, the directory is rendered by
`kubectl kustomize`; otherwise the YAML files are read directly, following the kustomization's
`resources` and `namespace` when there is one (generators and patches, which the mesh does not
need, are left out).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from devstack.mesh.topology import MeshConfigError

KUSTOMIZATION = "kustomization.yaml"
CLUSTER_SCOPED_KINDS = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
)


def load_objects(path: Path, use_kubectl: bool | None = None) -> list[dict]:
    """Every object under `path`; `use_kubectl` None renders with kubectl when it can."""
    path = Path(path)
    kustomized = (path / KUSTOMIZATION).is_file()
    if use_kubectl is None:
        use_kubectl = kustomized and shutil.which("kubectl") is not None
    if not use_kubectl:
        return _read(path)
    if not kustomized:
        raise MeshConfigError(f"{path} has no {KUSTOMIZATION} for kubectl kustomize to render")
    return _render(path)


def _render(path: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise MeshConfigError("kubectl is not installed: it is needed to render the manifests")
    done = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise MeshConfigError(f"kubectl kustomize {path} failed: {done.stderr.strip()}")
    return _documents(done.stdout, f"kubectl kustomize {path}")


def _read(path: Path) -> list[dict]:
    if path.is_file():
        return _documents(path.read_text(), str(path))
    kustomization = path / KUSTOMIZATION
    if not kustomization.is_file():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        return [obj for file in files for obj in _documents(file.read_text(), str(file))]
    spec = yaml.safe_load(kustomization.read_text()) or {}
    objects = [obj for entry in spec.get("resources", []) for obj in _read(path / entry)]
    namespace = spec.get("namespace")
    if namespace:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED_KINDS:
                obj.setdefault("metadata", {})["namespace"] = namespace
    return objects


def _documents(text: str, origin: str) -> list[dict]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise MeshConfigError(f"{origin} is not valid YAML: {exc}") from exc
    return [doc for doc in documents if isinstance(doc, dict) and "kind" in doc]
