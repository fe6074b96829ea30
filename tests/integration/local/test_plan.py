"""`flowrelease plan`: what sync would do, from a read-only look at Genesys; nothing is changed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.local.conftest import REPO, ManifestFolder, cli
from tests.support.emulator import EmulatorHandle


def writes(emulator: EmulatorHandle) -> list[str]:
    return [
        f"{entry['method']} {entry['path']}"
        for entry in emulator.control.request_log()
        if entry["method"] != "GET" and entry["path"] != "/oauth/token"
    ]


def test_plan_says_what_sync_would_publish_and_changes_nothing(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    manifests.release("support-ivr")
    manifests.release("in-queue", flow_name="Support In-Queue", flow_type="inqueuecall", version="1.0")
    run = cli("plan", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 3, run.stderr  # changes pending
    assert run.stdout.splitlines() == [
        "cc/in-queue (Support In-Queue): no publish: 1.0 is already live; verify and export only",
        "cc/support-ivr (Support IVR): publish 3.0 (published now: 2.0)",
    ]
    assert writes(emulator) == []
    assert not (tmp_path / ".flowrelease").exists()


def test_plan_after_sync_has_nothing_to_do(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr")
    assert cli("sync", str(manifests.path), cwd=tmp_path).exit_code == 0
    run = cli("plan", str(manifests.path), "--output", "json", cwd=tmp_path)
    assert run.exit_code == 0
    assert json.loads(run.stdout)["exitCode"] == 0
    [planned] = json.loads(run.stdout)["releases"]
    assert planned["action"] == "nothing"
    assert planned["description"].startswith("nothing to do: 3.0 is live")


def test_plan_after_a_rollback_is_blocked_on_the_failed_version(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.fail_operation(emulator.flow_id("Support IVR"), action="PUBLISH", version="3.0")
    manifests.release("support-ivr")
    assert cli("sync", str(manifests.path), cwd=tmp_path).exit_code == 1
    run = cli("plan", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 1
    assert run.stdout.startswith("cc/support-ivr (Support IVR): blocked: failedVersion 3.0: ")


def test_plan_of_a_suspended_release(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr", extra="  suspend: true\n")
    run = cli("plan", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 0
    assert run.stdout.strip() == "cc/support-ivr (Support IVR): nothing: spec.suspend is true"


def test_plan_of_the_examples_with_the_emulator(tmp_path: Path) -> None:
    run = cli("plan", str(REPO / "examples"), "--emulator", cwd=tmp_path)
    assert run.exit_code == 3, run.stderr
    assert run.stdout.splitlines() == [
        "contact-center/billing-ivr (Billing IVR): import Archy YAML from ConfigMap billing-ivr-flow key "
        "flow.yaml and publish it (published now: 2.0)",
        "contact-center/support-in-queue (Support In-Queue): publish 2.0 (published now: 1.0)",
        "contact-center/support-ivr (Support IVR): publish 3.0 (published now: 2.0)",
    ]


def test_plan_with_wrong_credentials_is_blocked_as_sync_would_be(
    tmp_path: Path, manifests: ManifestFolder
) -> None:
    manifests.secret("wrong", "flowrelease-demo", "not-the-secret")
    manifests.release("support-ivr", secret="wrong")
    run = cli("plan", str(manifests.path), "--output", "json", cwd=tmp_path)
    assert run.exit_code == 1
    [planned] = json.loads(run.stdout)["releases"]
    assert planned["action"] == "blocked"
    assert planned["description"].startswith("blocked: "), planned
    assert "Genesys rejected the OAuth client credentials" in planned["description"]
    assert "not-the-secret" not in run.stdout + run.stderr


def test_plan_while_genesys_keeps_answering_429_cannot_observe_and_exits_1(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.add_fault(method="GET", path="/api/v2/flows*", status=429, retry_after_seconds=0)
    manifests.release("support-ivr")
    run = cli("plan", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 1
    assert run.stdout.startswith("cc/support-ivr (Support IVR): cannot observe: "), run.stdout
