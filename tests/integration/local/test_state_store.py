"""The JSON state file: atomic rewrites, reload after a restart, generations from spec digests, no secrets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseStatus, OperationRecord, Phase
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.local.state_store import JsonFileStatusStore, StateFileError, spec_digest, write_atomically


def release(version: str = "3.0") -> FlowRelease:
    return FlowRelease.model_validate(
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": "support-ivr", "namespace": "cc"},
            "spec": {
                "genesys": {"environment": "mypurecloud.com"},
                "flow": {"type": "inboundcall", "name": "Support IVR"},
                "version": version,
            },
        }
    )


async def test_saved_status_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / ".flowrelease" / "state.json"
    store = JsonFileStatusStore(path)
    status = FlowReleaseStatus(
        phase=Phase.PUBLISHING,
        desired_version="3.0",
        last_good_version="2.0",
        operation=OperationRecord(kind="publish", id="op-1", version="3.0"),
    )
    await store.save("cc/support-ivr", status)
    reopened = JsonFileStatusStore(path)
    assert reopened.status("cc/support-ivr") == status
    assert reopened.keys() == ["cc/support-ivr"]
    document = json.loads(path.read_text())
    assert document["kind"] == "FlowReleaseState"
    assert document["releases"]["cc/support-ivr"]["status"]["operation"] == {
        "kind": "publish",
        "id": "op-1",
        "version": "3.0",
        "startedAt": "",
        "postedAt": "",
        "priorVersion": "",
        "completedAt": "",
    }


async def test_a_status_saved_by_flowrelease_0_1_mid_publish_still_resumes(tmp_path: Path) -> None:
    """0.1 wrote `polls` and `restoredVersion` in the operation; they are read and dropped, never fatal."""
    path = tmp_path / "state.json"
    old = {
        "kind": "publish",
        "id": "op-1",
        "version": "3.0",
        "startedAt": "",
        "polls": 4,
        "restoredVersion": "",
    }
    path.write_text(
        json.dumps(
            {
                "kind": "FlowReleaseState",
                "releases": {"cc/support-ivr": {"status": {"phase": "Publishing", "operation": old}}},
            }
        )
    )
    operation = JsonFileStatusStore(path).status("cc/support-ivr").operation
    assert operation == OperationRecord(kind="publish", id="op-1", version="3.0")


async def test_unknown_release_starts_pending_at_generation_one(tmp_path: Path) -> None:
    store = JsonFileStatusStore(tmp_path / "state.json")
    assert store.status("cc/new") == FlowReleaseStatus()
    assert store.generation("cc/new") == 1
    assert not (tmp_path / "state.json").exists()


async def test_generation_increments_only_when_the_spec_changes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = JsonFileStatusStore(path)
    first = spec_digest(release("3.0"))
    assert await store.track_spec("cc/support-ivr", first) == 1
    assert await store.track_spec("cc/support-ivr", first) == 1
    assert await store.track_spec("cc/support-ivr", spec_digest(release("2.0"))) == 2
    assert JsonFileStatusStore(path).generation("cc/support-ivr") == 2


def test_spec_digest_covers_source_yaml() -> None:
    assert spec_digest(release()) == spec_digest(release())
    assert spec_digest(release(), "a: 1") != spec_digest(release(), "a: 2")
    assert spec_digest(release()).startswith("sha256:")


async def test_concurrent_saves_all_land(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = JsonFileStatusStore(path)
    await asyncio.gather(
        *(store.save(f"cc/r{i}", FlowReleaseStatus(desired_version=str(i))) for i in range(20))
    )
    reopened = JsonFileStatusStore(path)
    assert [reopened.status(f"cc/r{i}").desired_version for i in range(20)] == [str(i) for i in range(20)]


async def test_secrets_are_masked_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = JsonFileStatusStore(path, redactor=SecretRedactor(["very-secret-token"]))
    await store.save("cc/a", FlowReleaseStatus(failed_version="x", source_digest="very-secret-token"))
    assert "very-secret-token" not in path.read_text()


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, "one")
    write_atomically(path, "two")
    assert path.read_text() == "two"
    assert [entry.name for entry in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, "old")

    with pytest.raises(TypeError):
        write_atomically(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["state.json"]


def test_a_corrupt_state_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(StateFileError, match=r"state.json: cannot read the state file .*move it away"):
        JsonFileStatusStore(path)


def test_a_foreign_json_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"hello": "world"}')
    with pytest.raises(StateFileError, match="not a flowrelease state file"):
        JsonFileStatusStore(path)


async def test_saves_queued_behind_a_write_are_committed_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowrelease.local import state_store

    writes: list[str] = []
    real_write = state_store.write_atomically

    def counting_write(path: Path, text: str) -> None:
        writes.append(text)
        real_write(path, text)

    monkeypatch.setattr(state_store, "write_atomically", counting_write)
    path = tmp_path / "state.json"
    store = JsonFileStatusStore(path)
    await asyncio.gather(
        *(store.save(f"cc/r{i}", FlowReleaseStatus(desired_version=str(i))) for i in range(50))
    )
    assert 1 < len(writes) < 50
    assert all(f'"cc/r{i}"' in writes[-1] for i in range(50))
    await store.save("cc/r0", FlowReleaseStatus(desired_version="again"))
    assert JsonFileStatusStore(path).status("cc/r0").desired_version == "again"
