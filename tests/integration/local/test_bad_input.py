"""Bad input exits 2 before anything talks to Genesys, naming file, resource, field and fix."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.local.conftest import ManifestFolder, cli
from tests.support.emulator import EmulatorHandle


def test_malformed_manifest_exits_2_with_the_problem(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    path = manifests.release("support-ivr", extra="  publish: {timeoutSeconds: 0}\n")
    run = cli("sync", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stderr.strip() == (
        f"error: {path} (document 1): FlowRelease cc/support-ivr: spec.publish.timeoutSeconds: "
        "must be > 0, e.g. 900 (got 0)"
    )
    assert emulator.control.request_count() == 0
    assert not (tmp_path / ".flowrelease").exists()


def test_json_output_lists_the_problems(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr", extra="  publsh: {}\n")
    run = cli("sync", str(manifests.path), "--output", "json", cwd=tmp_path)
    assert run.exit_code == 2
    summary = json.loads(run.stdout)
    assert summary["result"] == "invalid"
    assert summary["problems"][0].endswith("spec.publsh: unknown field; did you mean spec.publish?")


def test_every_problem_is_reported_at_once(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("a", extra="  suspend: sometimes\n")
    manifests.release("b", extra="  driftPolicy: Ignore\n")
    run = cli("plan", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 2
    assert "spec.suspend: must be true or false" in run.stderr
    assert "spec.driftPolicy: must be one of Enforce, Observe" in run.stderr


def test_unknown_environment_exits_2(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.environment = "mypurecloud.example"
    manifests.release("support-ivr")
    run = cli("sync", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 2
    assert (
        "FlowRelease cc/support-ivr: spec.genesys.environment: 'mypurecloud.example' is not a Genesys"
        in run.stderr
    )


def test_missing_credentials_exit_2(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr", secret="nowhere")
    run = cli("sync", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 2
    assert (
        "spec.genesys.credentialsSecretRef.name: Secret cc/nowhere is not among the manifests" in run.stderr
    )


def test_a_folder_without_releases_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run = cli("sync", str(tmp_path / "empty"), cwd=tmp_path)
    assert run.exit_code == 2
    assert "no FlowRelease manifests found" in run.stderr


def test_a_missing_path_exits_2(tmp_path: Path) -> None:
    run = cli("sync", str(tmp_path / "nope"), cwd=tmp_path)
    assert run.exit_code == 2
    assert "nope: no such file or folder" in run.stderr


def test_a_corrupt_state_file_exits_2(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr")
    state = tmp_path / "state.json"
    state.write_text("{torn")
    run = cli("sync", str(manifests.path), "--state", str(state), cwd=tmp_path)
    assert run.exit_code == 2
    assert "cannot read the state file" in run.stderr
