"""`tools/health-eval` for tests: kstatus's and Argo CD's verdicts on FlowRelease objects, computed by their
own code (sigs.k8s.io/cli-utils, and deploy/argocd/health.lua in gopher-lua opened as Argo CD opens it).

Registered as a pytest plugin in ``tests/conftest.py``. The binary comes from ``scripts/build-health-eval.sh``
(found through ``FLOWRELEASE_HEALTH_EVAL=<file>`` or the script's cache path); without it the tests that use
the ``health_eval`` fixture are skipped with the command that builds it, and under ``CI=true`` they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cached_build import cached_build_path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-health-eval.sh"
HEALTH_LUA = REPO_ROOT / "deploy" / "argocd" / "health.lua"


@dataclass(frozen=True)
class Verdict:
    status: str
    message: str
    error: str = ""


@dataclass(frozen=True)
class Health:
    kstatus: Verdict
    argocd: Verdict

    @property
    def pair(self) -> tuple[str, str]:
        return self.kstatus.status, self.argocd.status


@dataclass(frozen=True)
class HealthEval:
    binary: Path

    def judge(
        self, objects: Iterable[Mapping[str, Any]], *, script: Path = HEALTH_LUA, open_libs: bool = False
    ) -> list[Health]:
        """One Health per object, in order."""
        lines = "".join(json.dumps(obj) + "\n" for obj in objects)
        argv = [str(self.binary), "-script", str(script)]
        if open_libs:
            argv.append("-use-open-libs")
        result = subprocess.run(argv, input=lines, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise AssertionError(f"health-eval exited {result.returncode}: {result.stderr}")
        judged = []
        for line in result.stdout.splitlines():
            data = json.loads(line)
            judged.append(Health(kstatus=Verdict(**data["kstatus"]), argocd=Verdict(**data["argocd"])))
        return judged

    def versions(self) -> dict[str, str]:
        out = subprocess.run([str(self.binary), "-versions"], capture_output=True, text=True, check=True)
        versions: dict[str, str] = json.loads(out.stdout)
        return versions


def find_health_eval() -> tuple[Path | None, str]:
    candidate, why = cached_build_path("FLOWRELEASE_HEALTH_EVAL", BUILD_SCRIPT)
    if candidate is None:
        return None, why
    if not os.access(candidate, os.X_OK):
        return None, f"{candidate} does not exist"
    return candidate, ""


@pytest.fixture(scope="session")
def health_eval() -> HealthEval:
    binary, why = find_health_eval()
    if binary is None:
        message = (
            f"the health tests need tools/health-eval ({why}); build it once with "
            "scripts/build-health-eval.sh (needs Go >= 1.26; seconds, then cached)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return HealthEval(binary)
