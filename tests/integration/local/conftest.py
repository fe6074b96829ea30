"""Helpers for running `flowrelease sync`/`plan` as a real subprocess against the loopback emulator.

The emulator plays the REALISTIC profile (read lag, other operation ids, renumbered drafts, ignored older
publishes, Registered jobs, no validate jobs, 410 for deleted flows, a rate-limited token endpoint) with
its async work shortened to fractions of a second: `sync` runs in real time, and the profile's seconds-long
publishes would only make these tests slow, not different (the engine's own integration tests run the full
timing on a moved clock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.emulator import EmulatorHandle

REPO = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-c", "from flowrelease.cli import main; main()"]
PUBLISH_PATH = "/api/v2/flows/actions/publish"


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, object]:
        document = json.loads(self.stdout)
        assert isinstance(document, dict)
        return document

    def releases(self) -> dict[str, dict[str, object]]:
        releases = self.json()["releases"]
        assert isinstance(releases, list)
        return {str(item["release"]): item for item in releases}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYS_")}
    env.update(extra)
    return env


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> CliRun:
    done = subprocess.run(
        [*CLI, *args], cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def cli_process(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


SECRET = """\
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: cc}}
stringData: {{clientId: {client_id}, clientSecret: {client_secret}}}
"""

RELEASE = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: {name}, namespace: cc}}
spec:
  genesys:
    environment: {environment}
    credentialsSecretRef: {{name: {secret}}}
  flow: {{type: {flow_type}, name: {flow_name}}}
  version: "{version}"
{extra}"""


@dataclass
class ManifestFolder:
    path: Path
    environment: str
    client_id: str
    client_secret: str

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.secret("genesys", self.client_id, self.client_secret)

    def secret(self, name: str, client_id: str, client_secret: str) -> None:
        text = SECRET.format(name=name, client_id=client_id, client_secret=client_secret)
        (self.path / f"secret-{name}.yaml").write_text(text)

    def release(
        self,
        name: str,
        *,
        flow_name: str = "Support IVR",
        flow_type: str = "inboundcall",
        version: str = "3.0",
        secret: str = "genesys",
        extra: str = "",
    ) -> Path:
        path = self.path / f"{name}.yaml"
        path.write_text(
            RELEASE.format(
                name=name,
                environment=self.environment,
                secret=secret,
                flow_type=flow_type,
                flow_name=flow_name,
                version=version,
                extra=extra,
            )
        )
        return path


QUICK_TIMING = {
    "publishSeconds": 0.4,
    "checkinSeconds": 0.2,
    "importJobSeconds": 0.6,
    "exportJobSeconds": 0.2,
    "validateJobSeconds": 0.2,
    "jitter": 0.25,
}


@pytest.fixture
def emulator(realistic_emulator: EmulatorHandle) -> EmulatorHandle:
    """The realistic profile, every behaviour on, with quick timing (see the module docstring)."""
    realistic_emulator.control.set_behaviour(timing=QUICK_TIMING)
    return realistic_emulator


@pytest.fixture
def manifests(tmp_path: Path, emulator: EmulatorHandle) -> ManifestFolder:
    """An empty manifest folder (plus the demo credentials Secret) aimed at the loopback emulator."""
    return ManifestFolder(
        tmp_path / "manifests",
        environment=emulator.base_url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
    )
