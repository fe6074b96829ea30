"""Small promises of the sync CLI, each against the loopback emulator: suspended releases, -vv, and output
paths that cannot be written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli
from tests.support.emulator import EmulatorHandle


def test_a_suspended_release_is_shown_as_suspended_and_not_counted_as_ready(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    manifests.release("support-ivr", extra="  suspend: true\n")
    manifests.release("in-queue", flow_name="Support In-Queue", flow_type="inqueuecall", version="2.0")

    text = cli("sync", str(manifests.path), cwd=tmp_path)
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "[cc/support-ivr] Suspended" in lines
    assert (
        "[cc/support-ivr] done: Suspended (spec.suspend is true: nothing is done until it is false)" in lines
    )
    assert not any("?" in line for line in lines if line.startswith("[cc/support-ivr]"))
    assert any(line.startswith("1/2 releases ready, 1 suspended (spec.suspend: true).") for line in lines)

    summary = cli("sync", str(manifests.path), "--output", "json", cwd=tmp_path)
    assert summary.exit_code == 0
    document = summary.json()
    assert (document["result"], document["ready"], document["suspended"], document["failed"]) == (
        "suspended",
        1,
        1,
        0,
    )
    suspended = summary.releases()["cc/support-ivr"]
    assert (suspended["phase"], suspended["result"], suspended["ok"]) == ("Suspended", "suspended", True)
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1, "only in-queue published"


def test_vv_shows_the_kinds_sync_ignores(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr")
    deployment = manifests.path / "deployment.yaml"
    deployment.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: cc}\n")
    quiet = cli("plan", str(manifests.path), cwd=tmp_path)
    loud = cli("plan", str(manifests.path), "-vv", cwd=tmp_path)
    line = (
        f"ignoring Deployment cc/web from {deployment} (document 1): not a FlowRelease, Secret or ConfigMap"
    )
    assert line not in quiet.stderr
    assert line in loud.stderr


@pytest.mark.parametrize("option", ["--state", "--audit-log", "--git-workdir"])
def test_an_output_path_that_cannot_be_created_exits_2_without_a_traceback(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle, option: str
) -> None:
    manifests.release("support-ivr")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    target = blocker / "inside" / "out.json"
    run = cli("sync", str(manifests.path), option, str(target), cwd=tmp_path)

    assert run.exit_code == 2, run.stdout
    lines = run.stderr.splitlines()
    assert (
        f"error: {option} {target}: cannot create it: {blocker} is a file, not a folder; pick another path"
    ) in lines
    assert all(line.startswith("error: ") for line in lines), "with --state, its neighbours are named too"
    assert "Traceback" not in run.stderr + run.stdout
    assert emulator.control.request_count() == 0, "nothing was sent to Genesys"
