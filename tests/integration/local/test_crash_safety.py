"""kill -9 of `flowrelease sync` while a publish is in flight: the rerun resumes the same operation."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli, cli_process
from tests.support.emulator import EmulatorHandle

KEY = "cc/support-ivr"


def recorded_operation(state: Path) -> dict[str, object] | None:
    if not state.exists():
        return None
    record = json.loads(state.read_text())["releases"].get(KEY, {})
    operation = record.get("status", {}).get("operation")
    return operation if operation and operation.get("id") else None


def test_kill_mid_publish_then_rerun_resumes_the_same_operation(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
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
        time.sleep(0.05)
        operation = recorded_operation(state)
    process.kill()  # SIGKILL: no cleanup, no final save
    process.communicate(timeout=10)
    assert process.returncode == -9
    assert operation["kind"] == "publish" and operation["version"] == "3.0"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1

    emulator.control.advance_clock(601)  # the publish completes while nobody watches
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
    assert "StartPublish" not in rerun_steps
    assert "PublishSucceeded" in rerun_steps, "the rerun adopted the recorded operation's result"
    final = json.loads(state.read_text())["releases"][KEY]["status"]
    assert final["phase"] == "Ready"
    assert "operation" not in final
