"""kubeconform, the offline validator GitOps pipelines run before `kubectl apply`, over our CRD's schema.

Registered as a pytest plugin in ``tests/conftest.py``. The binary comes from ``scripts/build-kubeconform.sh``
(built from the Go module proxy, cached) and is found through ``FLOWRELEASE_KUBECONFORM=<path>`` or the
script's cache path; without it the tests that use the fixture are skipped with the command to build it, and
under ``CI=true`` they fail instead.

``kubeconform`` (session) is a :class:`Kubeconform`: the CRD's ``openAPIV3Schema`` written as the JSON schema
file kubeconform looks up for ``FlowRelease`` ``v1alpha1`` (what openapi2jsonschema does for a CRD), and
``validate(paths)`` running ``kubeconform -strict`` (unknown fields and duplicate keys refused, as kubectl's
strict field validation does) over files, returning each resource's verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.cached_build import cached_build_path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-kubeconform.sh"
CRD_PATH = REPO_ROOT / "crds" / "flowreleases.flowrelease.io.yaml"


@dataclass(frozen=True)
class Verdict:
    filename: str
    status: str
    """statusValid | statusInvalid | statusError | statusSkipped | statusEmpty"""
    message: str
    errors: tuple[tuple[str, str], ...]
    """(JSON pointer such as /spec/publish/timeoutSeconds, message) per schema violation."""

    @property
    def refused(self) -> bool:
        return self.status in ("statusInvalid", "statusError")


@dataclass(frozen=True)
class Kubeconform:
    binary: Path
    schema_dir: Path

    def validate(self, paths: Sequence[Path]) -> dict[str, Verdict]:
        """Verdicts by file name (one resource per file expected)."""
        done = subprocess.run(
            [
                str(self.binary),
                "-strict",
                "-verbose",
                "-output",
                "json",
                "-schema-location",
                str(self.schema_dir / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"),
                *(str(path) for path in paths),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        try:
            report = json.loads(done.stdout)
        except ValueError as error:
            raise AssertionError(f"kubeconform printed no JSON ({done.returncode}): {done.stderr}") from error
        verdicts: dict[str, Verdict] = {}
        for resource in report.get("resources", []):
            errors = tuple(
                (str(item.get("path", "")), str(item.get("msg", "")))
                for item in resource.get("validationErrors") or []
            )
            verdicts[resource["filename"]] = Verdict(
                resource["filename"], resource["status"], str(resource.get("msg", "")), errors
            )
        return verdicts


def find_kubeconform() -> tuple[Path | None, str]:
    candidate, why = cached_build_path("FLOWRELEASE_KUBECONFORM", BUILD_SCRIPT)
    if candidate is None:
        return None, why
    if not os.access(candidate, os.X_OK):
        return None, f"{candidate} not found"
    return candidate, ""


@pytest.fixture(scope="session")
def kubeconform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubeconform]:
    binary, why = find_kubeconform()
    if binary is None:
        message = (
            f"these tests need kubeconform ({why}); build it once with scripts/build-kubeconform.sh "
            "(needs Go >= 1.24, cached afterwards)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    crd = yaml.safe_load(CRD_PATH.read_text())
    (version,) = crd["spec"]["versions"]
    schema_dir = tmp_path_factory.mktemp("kubeconform-schemas")
    kind = crd["spec"]["names"]["kind"].lower()
    (schema_dir / f"{kind}_{version['name']}.json").write_text(
        json.dumps(version["schema"]["openAPIV3Schema"], indent=1)
    )
    yield Kubeconform(binary, schema_dir)
