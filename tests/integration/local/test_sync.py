"""`flowrelease sync` as a subprocess against the loopback emulator: outcomes, exit codes, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.local.conftest import PUBLISH_PATH, REPO, ManifestFolder, clean_env, cli
from tests.support.emulator import EmulatorHandle


def sync(
    manifests: ManifestFolder, tmp_path: Path, *args: str
) -> tuple[int, dict[str, dict[str, object]], str]:
    run = cli("sync", str(manifests.path), "--output", "json", *args, cwd=tmp_path)
    return run.exit_code, run.releases(), run.stderr


def test_quick_start_examples_end_ready_against_the_in_process_emulator(tmp_path: Path) -> None:
    run = cli("sync", str(REPO / "examples"), "--emulator", "--output", "json", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    summary = run.json()
    assert summary["result"] == "ready"
    assert {key: item["phase"] for key, item in run.releases().items()} == {
        "contact-center/billing-ivr": "Ready",
        "contact-center/support-in-queue": "Ready",
        "contact-center/support-ivr": "Ready",
    }
    assert run.releases()["contact-center/support-ivr"]["publishedVersion"] == "3.0"
    verified = {key: str(item["verification"]) for key, item in run.releases().items()}
    assert all(text.startswith("verified: ") and " passed on " in text for text in verified.values()), (
        "the examples' production stages are judged on simulated traffic, not passed unjudged",
        verified,
    )
    assert (tmp_path / ".flowrelease" / "emulator-state.json").exists()
    assert (tmp_path / ".flowrelease" / "audit.jsonl").read_text().count("\n") > 10


def test_text_output_ends_with_the_release_table(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr")
    run = cli("sync", str(manifests.path), cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert "[cc/support-ivr] reconciling Support IVR" in run.stdout
    table = run.stdout[run.stdout.index("Release") :]
    for heading in ("Flow", "Desired", "Published", "Phase", "Message", "Verification"):
        assert heading in table
    assert "cc/support-ivr" in table and "Ready" in table and "Version 3.0 is live" in table
    assert "1/1 releases ready" in run.stdout


def test_second_sync_publishes_nothing(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    manifests.release("support-ivr")
    manifests.release("in-queue", flow_name="Support In-Queue", flow_type="inqueuecall", version="2.0")
    first = sync(manifests, tmp_path)
    assert first[0] == 0, first[2]
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 2
    second = sync(manifests, tmp_path)
    assert second[0] == 0, second[2]
    assert {item["phase"] for item in second[1].values()} == {"Ready"}
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 2


def test_missing_version_fails_validation_and_exits_1(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    manifests.release("support-ivr", version="9.0")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    result = releases["cc/support-ivr"]
    assert (result["phase"], result["result"], result["ok"]) == ("ValidationFailed", "stalled", False)
    assert "9.0" in str(result["message"])
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 0


def test_failed_publish_rolls_back_exits_1_and_is_not_retried(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.fail_operation(emulator.flow_id("Support IVR"), action="PUBLISH", version="3.0")
    manifests.release("support-ivr")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    result = releases["cc/support-ivr"]
    assert (result["phase"], result["publishedVersion"]) == ("RolledBack", "2.0")
    publishes = emulator.control.request_count(method="POST", path=PUBLISH_PATH)
    again, releases, _ = sync(manifests, tmp_path)
    assert again == 1
    assert releases["cc/support-ivr"]["phase"] == "RolledBack"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == publishes


def test_retry_failed_tries_the_failed_version_again(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.fail_operation(emulator.flow_id("Support IVR"), action="PUBLISH", version="3.0", count=1)
    manifests.release("support-ivr")
    assert sync(manifests, tmp_path)[0] == 1
    code, releases, _ = sync(manifests, tmp_path, "--retry-failed")
    assert code == 0
    assert releases["cc/support-ivr"]["publishedVersion"] == "3.0"


def test_transient_server_errors_are_survived(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.add_fault(method="GET", path="/api/v2/flows*", status=503, count=3)
    emulator.control.add_fault(method="POST", path=PUBLISH_PATH, status=429, count=1, retry_after_seconds=1)
    manifests.release("support-ivr")
    code, releases, stderr = sync(manifests, tmp_path)
    assert code == 0, stderr
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH, status=200) == 1


def test_overall_timeout_exits_1_and_the_next_run_resumes(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "flowId": flow_id, "mode": "seconds", "seconds": 600}]
    )
    manifests.release("support-ivr")
    code, releases, _ = sync(manifests, tmp_path, "--timeout", "3")
    assert code == 1
    assert (releases["cc/support-ivr"]["result"], releases["cc/support-ivr"]["phase"]) == (
        "timedOut",
        "Publishing",
    )
    assert "rerun sync to resume" in str(releases["cc/support-ivr"]["message"])
    emulator.control.advance_clock(601)
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 0
    assert releases["cc/support-ivr"]["publishedVersion"] == "3.0"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1


def test_environment_credentials_are_used_without_a_secret_manifest(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    (manifests.path / "secret-genesys.yaml").unlink()
    manifests.release("support-ivr")
    env = clean_env(GENESYS_CLIENT_ID=emulator.client_id, GENESYS_CLIENT_SECRET=emulator.client_secret)
    run = cli("sync", str(manifests.path), "--output", "json", cwd=tmp_path, env=env)
    assert run.exit_code == 0, run.stderr


def test_wrong_credentials_stall_with_exit_1(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.secret("wrong", "flowrelease-demo", "not-the-secret")
    manifests.release("support-ivr", secret="wrong")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    assert releases["cc/support-ivr"]["result"] == "stalled"


def test_state_and_audit_files_go_where_asked(tmp_path: Path, manifests: ManifestFolder) -> None:
    manifests.release("support-ivr")
    state, audit = tmp_path / "s" / "state.json", tmp_path / "a" / "audit.jsonl"
    code, _, _ = sync(manifests, tmp_path, "--state", str(state), "--audit-log", str(audit))
    assert code == 0
    document = json.loads(state.read_text())
    record = document["releases"]["cc/support-ivr"]
    assert (record["generation"], record["status"]["phase"]) == (1, "Ready")
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    assert {event["release"] for event in events} == {"cc/support-ivr"}
    assert {"observe", "validate", "publish"} <= {event["action"] for event in events}
    assert all(event["timestamp"].endswith("Z") for event in events)


def test_changing_the_spec_bumps_the_generation(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.set_behaviour(older_version_publish="accept")  # promoting 1.0 after 3.0: an older one
    manifests.release("support-ivr")
    assert sync(manifests, tmp_path)[0] == 0
    manifests.release("support-ivr", version="1.0")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 0
    assert releases["cc/support-ivr"]["publishedVersion"] == "1.0"
    state = json.loads((tmp_path / ".flowrelease" / "state.json").read_text())
    assert state["releases"]["cc/support-ivr"]["generation"] == 2


def test_concurrency_bound_still_reconciles_every_release(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.set_behaviour(older_version_publish="accept")  # two of these versions are older ones
    manifests.release("a", flow_name="Support IVR", version="3.0")
    manifests.release("b", flow_name="Billing IVR", version="1.0")
    manifests.release("c", flow_name="Support In-Queue", flow_type="inqueuecall", version="2.0")
    code, releases, _ = sync(manifests, tmp_path, "--concurrency", "1")
    assert code == 0
    assert {key: item["publishedVersion"] for key, item in releases.items()} == {
        "cc/a": "3.0",
        "cc/b": "1.0",
        "cc/c": "2.0",
    }


def test_flow_locked_by_someone_else_fails_validation_naming_the_holder(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.lock_flow(emulator.flow_id("Support IVR"), client_name="Jane in Architect")
    manifests.release("support-ivr")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    assert releases["cc/support-ivr"]["phase"] == "ValidationFailed"
    assert "Jane in Architect" in str(releases["cc/support-ivr"]["message"])
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 0


def test_missing_publish_permission_stalls_with_exit_1(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    emulator.control.add_fault(method="POST", path=PUBLISH_PATH, status=403, code="missing.permissions")
    manifests.release("support-ivr")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    result = releases["cc/support-ivr"]
    assert result["result"] == "stalled"
    assert "permission" in str(result["message"]).lower(), result["message"]


def test_promoting_an_older_version_on_an_org_that_ignores_it_fails_clearly(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    """R4 ignore (realistic): a publish of an older version is answered 200 and does nothing. The release
    says so within the visibility grace (not after the 900 s timeout) and publishes nothing else."""
    manifests.release("support-ivr", version="1.0")
    code, releases, _ = sync(manifests, tmp_path)
    assert code == 1
    release = releases["cc/support-ivr"]
    assert release["phase"] == "Failed"
    assert "may not publish older versions" in str(release["message"])
    live = next(f for f in emulator.control.state()["flows"] if f["name"] == "Support IVR")[
        "publishedVersion"
    ]
    assert live == "2.0", "nothing changed in Genesys"
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1
