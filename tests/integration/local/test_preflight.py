"""The preflight of `sync` and `plan`: read-only checks that block the whole run before anything is written
(exit 2, every problem named with file, resource, field and fix; nothing published, no state file)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli
from tests.support.emulator import EmulatorHandle

BY_ID = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: {name}, namespace: cc}}
spec:
  genesys:
    environment: {environment}
    credentialsSecretRef: {{name: genesys}}
  flow: {{{flow}}}
  version: "{version}"
"""


def by_id(manifests: ManifestFolder, name: str, flow: str, version: str = "3.0") -> Path:
    path = manifests.path / f"{name}.yaml"
    path.write_text(BY_ID.format(name=name, environment=manifests.environment, flow=flow, version=version))
    return path


def assert_nothing_written(tmp_path: Path, emulator: EmulatorHandle) -> None:
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 0
    assert emulator.control.request_count(method="POST", path="/api/v2/flows/jobs") == 0
    assert not (tmp_path / ".flowrelease").exists(), "no state file, no audit log"


@pytest.mark.parametrize("command", ["sync", "plan"])
def test_a_release_by_name_and_one_by_id_of_the_same_flow_are_both_refused(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle, command: str
) -> None:
    by_name = manifests.release("support-ivr")
    adopted = by_id(manifests, "support-ivr-adopted", f"id: {emulator.flow_id('Support IVR')}")
    run = cli(command, str(manifests.path), "--output", "json", cwd=tmp_path)

    assert run.exit_code == 2, run.stderr
    problems = json.loads(run.stdout)["problems"]
    fix = "one flow needs exactly one FlowRelease, so remove or retarget all but one of them"
    assert problems == [  # files in name order: support-ivr-adopted.yaml sorts first
        f"{adopted} (document 1): FlowRelease cc/support-ivr-adopted: spec.flow.id: the same flow is also "
        f"released by FlowRelease cc/support-ivr from {by_name} (document 1); {fix}",
        f"{by_name} (document 1): FlowRelease cc/support-ivr: spec.flow.name: the same flow is also released "
        f"by FlowRelease cc/support-ivr-adopted from {adopted} (document 1); {fix}",
        "blocked before any release started: nothing was published, imported or committed",
    ]
    assert_nothing_written(tmp_path, emulator)


def test_a_flow_id_that_is_another_flow_than_the_name_says_is_refused_naming_both(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    billing = emulator.flow_id("Billing IVR")
    path = by_id(manifests, "support-ivr", f"id: {billing}, type: inboundcall, name: Support IVR")
    run = cli("sync", str(manifests.path), cwd=tmp_path)

    assert run.exit_code == 2
    assert (
        f"error: {path} (document 1): FlowRelease cc/support-ivr: spec.flow.id: flow id {billing} is the "
        "inboundcall flow 'Billing IVR', but spec.flow.name and spec.flow.type say the inboundcall flow "
        "'Support IVR'; keep only spec.flow.id, or correct the name and type to match it"
    ) in run.stderr.splitlines()
    assert_nothing_written(tmp_path, emulator)


def test_a_flow_id_matching_its_name_and_type_goes_ahead(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    by_id(
        manifests,
        "support-ivr",
        f"id: {emulator.flow_id('Support IVR')}, type: inboundcall, name: Support IVR",
    )
    run = cli("sync", str(manifests.path), "--output", "json", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert run.releases()["cc/support-ivr"]["phase"] == "Ready"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1


@pytest.mark.parametrize("command", ["sync", "plan"])
def test_an_unreachable_export_remote_blocks_the_run(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle, command: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}/flows.git"
    path = manifests.release("support-ivr", extra=f"  export:\n    git: {{url: '{url}', path: flows/ivr}}\n")
    manifests.release("in-queue", flow_name="Support In-Queue", flow_type="inqueuecall", version="2.0")
    run = cli(command, str(manifests.path), cwd=tmp_path)

    assert run.exit_code == 2, run.stdout
    (problem, blocked) = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert problem.startswith(
        f"error: {path} (document 1): FlowRelease cc/support-ivr: spec.export.git.url: git ls-remote {url} "
        "failed: the remote is unreachable"
    )
    assert problem.endswith("nothing was published: rerun sync once the remote answers")
    assert (
        blocked == "error: blocked before any release started: nothing was published, imported or committed"
    )
    assert_nothing_written(tmp_path, emulator)


def test_a_missing_export_repository_is_refused_as_permanent(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    url = (tmp_path / "no-such.git").as_uri()
    manifests.release("support-ivr", extra=f"  export:\n    git: {{url: '{url}', path: flows/ivr}}\n")
    run = cli("sync", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 2
    assert (
        "spec.export.git.url: git ls-remote " + url + " failed: the repository does not exist" in run.stderr
    )
    assert "; nothing was published\n" in run.stderr
    assert_nothing_written(tmp_path, emulator)
