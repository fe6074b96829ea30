"""Go tools the tests run, built from the Go module proxy by their scripts and cached by version + hash:
helm (``scripts/build-helm.sh``), and promtool + the Prometheus server from one module version
(``scripts/build-prometheus.sh``). Found through ``FLOWRELEASE_HELM`` / ``FLOWRELEASE_PROMTOOL`` /
``FLOWRELEASE_PROMETHEUS`` or the script's ``--print``; when missing, a test skips with the command that
builds them, and under ``CI=true`` fails instead (like the kube tests)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HELM_SCRIPT = REPO_ROOT / "scripts" / "build-helm.sh"
PROMETHEUS_SCRIPT = REPO_ROOT / "scripts" / "build-prometheus.sh"


def _printed(script: Path) -> Path:
    out = subprocess.run(
        ["bash", str(script), "--print"], capture_output=True, text=True, check=True, timeout=30
    )
    return Path(out.stdout.strip().splitlines()[-1])


def _require(binary: Path, script: Path, what: str) -> Path:
    if os.access(binary, os.X_OK):
        return binary
    message = (
        f"{what} not found at {binary}. Build it once with: {script.relative_to(REPO_ROOT)} "
        "(needs Go >= 1.26; a few minutes on 2 cores, then cached)"
    )
    skip_or_fail(message)


def skip_or_fail(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def helm_binary() -> Path:
    override = os.environ.get("FLOWRELEASE_HELM")
    return _require(Path(override) if override else _printed(HELM_SCRIPT), HELM_SCRIPT, "helm")


def promtool_binary() -> Path:
    override = os.environ.get("FLOWRELEASE_PROMTOOL")
    path = Path(override) if override else _printed(PROMETHEUS_SCRIPT) / "promtool"
    return _require(path, PROMETHEUS_SCRIPT, "promtool")


def prometheus_binary() -> Path:
    """The Prometheus server built from the same module version as promtool."""
    override = os.environ.get("FLOWRELEASE_PROMETHEUS")
    path = Path(override) if override else _printed(PROMETHEUS_SCRIPT) / "prometheus"
    return _require(path, PROMETHEUS_SCRIPT, "prometheus")


@pytest.fixture(scope="session")
def helm() -> Path:
    return helm_binary()


@pytest.fixture(scope="session")
def promtool() -> Path:
    return promtool_binary()


@pytest.fixture(scope="session")
def prometheus_server() -> Path:
    return prometheus_binary()
