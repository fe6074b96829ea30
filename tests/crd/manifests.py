"""The CRD manifests under test: valid and invalid FlowReleases, the full status sample, the CRD schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CRD_PATH = REPO_ROOT / "crds" / "flowreleases.flowrelease.io.yaml"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "crd"
EXAMPLES = REPO_ROOT / "examples"


@dataclass(frozen=True)
class InvalidCase:
    """An invalid manifest and the substrings the apiserver's error must contain (`# expect:` lines)."""

    path: Path
    expected: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = yaml.safe_load(self.path.read_text())
        return doc


def invalid_cases() -> list[InvalidCase]:
    cases = []
    for path in sorted((FIXTURES / "invalid").glob("*.yaml")):
        expected = tuple(
            line.removeprefix("# expect:").strip()
            for line in path.read_text().splitlines()
            if line.startswith("# expect:")
        )
        cases.append(InvalidCase(path, expected))
    return cases


def valid_manifests() -> list[Path]:
    """Our own valid FlowReleases plus every YAML file under examples/ (written by others)."""
    own = sorted((FIXTURES / "valid").glob("*.yaml"))
    examples = sorted(p for p in EXAMPLES.rglob("*.y*ml") if p.suffix in {".yaml", ".yml"})
    return own + [p for p in examples if _core_and_flowrelease_only(p)]


def _core_and_flowrelease_only(path: Path) -> bool:
    """Files of FlowReleases, Secrets and ConfigMaps (an Argo CD ApplicationSet needs Argo CD's CRDs)."""
    docs = kubernetes_documents(path)
    return bool(docs) and all(str(d["apiVersion"]) in ("v1", "flowrelease.io/v1alpha1") for d in docs)


def kubernetes_documents(path: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects in a YAML file (kustomization files and other non-objects left out)."""
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return [
        d
        for d in docs
        if "apiVersion" in d
        and "kind" in d
        and not str(d["apiVersion"]).startswith("kustomize.config.k8s.io")
    ]


def full_status() -> dict[str, Any]:
    status: dict[str, Any] = yaml.safe_load((FIXTURES / "status-full.yaml").read_text())
    return status


def crd() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(CRD_PATH.read_text())
    return doc


def crd_schema() -> dict[str, Any]:
    """openAPIV3Schema of the single served version."""
    (version,) = crd()["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def leaf_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    """Every property path in a structural schema (`a.b`, `list[].c`), objects and leaves alike."""
    paths: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        paths.add(path)
        paths |= leaf_paths(sub, path)
    if "items" in schema:
        paths |= leaf_paths(schema["items"], f"{prefix}[]")
    return paths


def value_paths(value: Any, prefix: str = "") -> set[str]:
    """The same paths as leaf_paths, for a concrete value (lists contribute their items' keys)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for name, sub in value.items():
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            paths |= value_paths(sub, path)
    elif isinstance(value, list):
        for item in value:
            paths |= value_paths(item, f"{prefix}[]")
    return paths
