"""kill -9 of `flowrelease sync` while a publish is in flight: the rerun resumes the same operation."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli, cli_process
from tests.support.emulator import EmulatorHandle

KEY = "cc/support-ivr"


def recorded_operation(state: Path, *, with_id: bool) -> dict[str, object] | None:
    if not state.exists():
        return None
    record = json.loads(state.read_text())["releases"].get(KEY, {})
    operation = record.get("status", {}).get("operation")
    return operation if operation and (operation.get("id") or not with_id) else None


@pytest.mark.parametrize("kill_when", ["intent", "operation-id"])
def test_kill_mid_publish_then_rerun_resumes_the_same_operation(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle, kill_when: str
) -> None:
    """Killed as soon as the intent is saved (the POST may or may not have gone out) or once the operation
    id is saved: either way the rerun converges with exactly one publish."""
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "flowId": flow_id, "mode": "seconds", "seconds": 600}]
    )
    manifests.release("support-ivr")
    state, audit = tmp_path / "state.json", tmp_path / "audit.jsonl"
    args = ("sync", str(manifests.path), "--output", "json", "--state", str(state), "--audit-log", str(audit))

    process = cli_process(*args, cwd=tmp_path)
    deadline = time.monotonic() + 60
    operation = None
    while operation is None:
        assert process.poll() is None, f"sync ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "the publish operation id never reached the state file"
        time.sleep(0.005)
        operation = recorded_operation(state, with_id=kill_when == "operation-id")
    process.kill()  # SIGKILL: no cleanup, no final save
    process.communicate(timeout=10)
    assert process.returncode == -9
    assert operation["kind"] == "publish" and operation["version"] == "3.0"
    posted_before_kill = emulator.control.request_count(method="POST", path=PUBLISH_PATH)
    assert posted_before_kill == 1 if kill_when == "operation-id" else posted_before_kill in (0, 1)

    emulator.control.advance_clock(601)  # a publish already posted completes while nobody watches
    emulator.control.set_transition_mode("polls", polls=1)  # one posted by the rerun completes promptly
    before_rerun = len(audit.read_text().splitlines()) if audit.exists() else 0
    rerun = cli(*args, cwd=tmp_path)

    assert rerun.exit_code == 0, rerun.stderr
    result = rerun.releases()[KEY]
    assert (result["phase"], result["publishedVersion"]) == ("Ready", "3.0")
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    publishes = [e for e in events if e["action"] == "publish" and e["details"].get("step") == "StartPublish"]
    assert len(publishes) <= 1  # the kill may land between the POST and its audit event, never a second POST
    rerun_steps = [e["details"].get("step") for e in events[before_rerun:]]
    assert "StartPublish" not in rerun_steps, "the rerun resumed the recorded intent instead of starting over"
    assert "PublishSucceeded" in rerun_steps
    final = json.loads(state.read_text())["releases"][KEY]["status"]
    assert final["phase"] == "Ready"
    assert "operation" not in final
