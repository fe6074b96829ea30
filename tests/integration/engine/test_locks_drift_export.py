"""Lock policies, drift policies, export to a real git repository, and suspend."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.gitops import GitArtifactStore
from tests.integration.engine.harness import Harness
from tests.support.git_http import GitHttpServer

HOLDER = "Jane in Architect"


def condition(status: FlowReleaseStatus, type_: str) -> tuple[str, str, str]:
    found = next(c for c in status.conditions if c.type == type_)
    return found.status, found.reason, found.message


def lock(harness: Harness) -> str:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.lock_flow(flow_id, client_id="architect-ui", client_name=HOLDER)
    return flow_id


async def test_lock_policy_fail_names_the_holder(harness: Harness) -> None:
    lock(harness)

    outcome = await harness.drive(harness.release(publish={"lockPolicy": "Fail"}))

    assert outcome.kind is OutcomeKind.STALLED and outcome.status.phase is Phase.VALIDATION_FAILED
    stalled = condition(outcome.status, C.STALLED)
    assert stalled[1] == C.FLOW_LOCKED and HOLDER in stalled[2] and "lockPolicy" in stalled[2]
    assert harness.publishes() == []


async def test_lock_policy_wait_publishes_once_the_lock_is_released(harness: Harness) -> None:
    flow_id = lock(harness)
    waits = 0

    def release_lock_after_two_waits(outcome: Outcome) -> None:
        nonlocal waits
        if outcome.kind is OutcomeKind.WAITING and outcome.status.phase is Phase.VALIDATING:
            waits += 1
            if waits == 2:
                harness.emulator.control.unlock_flow(flow_id)

    outcome = await harness.drive(
        harness.release(publish={"lockPolicy": "Wait"}), on_outcome=release_lock_after_two_waits
    )

    assert outcome.kind is OutcomeKind.READY
    first_wait = harness.outcomes[0]
    assert first_wait.kind is OutcomeKind.WAITING and first_wait.after == 10.0
    assert HOLDER in condition(first_wait.status, C.RECONCILING)[2]
    assert len(harness.publishes()) == 1


async def test_lock_policy_wait_is_bounded_by_the_publish_timeout(harness: Harness) -> None:
    lock(harness)

    outcome = await harness.drive(harness.release(publish={"lockPolicy": "Wait", "timeoutSeconds": 45}))

    assert outcome.kind is OutcomeKind.STALLED
    stalled = condition(outcome.status, C.STALLED)
    assert stalled[1] == C.LOCK_WAIT_TIMED_OUT and "timeoutSeconds (45s)" in stalled[2]
    assert [o.after for o in harness.outcomes[:-1]] == [10.0, 10.0, 10.0, 10.0, 5.0]
    assert harness.publishes() == []


async def test_lock_policy_force_unlock_breaks_the_lock_and_audits_whose(harness: Harness) -> None:
    lock(harness)

    outcome = await harness.drive(harness.release(publish={"lockPolicy": "ForceUnlock"}))

    assert outcome.kind is OutcomeKind.READY
    broken = [e for e in harness.audit.events if "lock_broken" in e.details]
    assert len(broken) == 1 and HOLDER in str(broken[0].details["lock_broken"])
    assert any(e.reason == "LockBroken" and HOLDER in e.message for o in harness.outcomes for e in o.events)
    assert harness.emulator.control.request_count(method="POST", path="/api/v2/flows/actions/unlock") == 1


async def test_drift_enforce_republishes_the_desired_version(harness: Harness) -> None:
    release = harness.release()
    ready = await harness.drive(release)
    await someone_publishes(harness, "2.0")
    harness.outcomes.clear()

    again = await harness.drive(release, ready.status)

    assert again.kind is OutcomeKind.READY
    assert harness.flow_state()["publishedVersion"] == "3.0"
    assert len(harness.publishes("3.0")) == 2
    assert again.status.last_good_version == "2.0"
    assert [reason for _, reason in harness.release_events()][:1] == ["Drifted"]


async def test_drift_observe_reports_once_and_stays_ready(harness: Harness) -> None:
    release = harness.release(driftPolicy="Observe")
    ready = await harness.drive(release)
    await someone_publishes(harness, "1.0")

    first = await harness.drive(release, ready.status)
    second = await harness.drive(release, first.status)

    assert (first.kind, second.kind) == (OutcomeKind.READY, OutcomeKind.READY)
    assert first.status.phase is Phase.READY
    drifted = condition(first.status, C.DRIFTED)
    assert drifted[:2] == ("True", C.DRIFT_DETECTED) and "publishedVersion is 1.0" in drifted[2]
    assert [e.reason for e in first.events] == ["Drifted"] and second.events == ()
    assert len(harness.publishes("3.0")) == 1


async def someone_publishes(harness: Harness, version: str) -> None:
    """Someone else (Architect UI) publishes `version`; the emulator clock moves until it is done and the
    stale reads after it (R1: N reads AND T seconds) have been served to another reader."""
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.publish_as(flow_id, client_id="architect-ui", version=version, result="SUCCESS")
    harness.emulator.control.advance_clock(10)
    harness.clock.advance(10)
    reader = harness.new_client()
    for _ in range(3):
        await reader.get_flow(flow_id)
    assert harness.flow_state()["publishedVersion"] == version


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


async def test_export_commits_what_went_live(harness: Harness, tmp_path: Path) -> None:
    remote = tmp_path / "flows.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    harness.artifacts = GitArtifactStore(tmp_path / "work")
    harness.reconciler = harness.new_reconciler()
    release = harness.release(
        release={"label": "2.4.1"},
        export={"git": {"url": remote.as_uri(), "branch": "main", "path": "flows/ivr"}},
    )

    outcome = await harness.drive(release)
    again = await harness.drive(release, outcome.status)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    artifact = outcome.status.artifact
    assert artifact is not None and artifact.version == "3.0" and artifact.path.startswith("flows/ivr")
    assert condition(outcome.status, C.EXPORTED)[0] == "True"
    message = git("log", "-1", "--format=%B", "main", cwd=remote)
    assert "3.0" in message and "contact-center/support-ivr" in message
    assert again.kind is OutcomeKind.READY and git("rev-list", "--count", "main", cwd=remote).strip() == "1"


async def test_export_failure_keeps_the_release_published_and_retries(
    harness: Harness, tmp_path: Path, git_http_server: GitHttpServer
) -> None:
    """The Git host answers the check before publishing, then refuses pushes with 503 (an outage)."""
    harness.artifacts = GitArtifactStore(tmp_path / "work")
    harness.reconciler = harness.new_reconciler()
    git_http_server.create_repo("flows.git")

    def outage_after_the_check(user: str) -> None:
        # The check's dry-run push is the first to ask for receive-pack; every later ask meets the outage.
        git_http_server.unavailable.add("git-receive-pack")

    git_http_server.before_push = outage_after_the_check
    url = git_http_server.url("flows.git")
    release = harness.release(export={"git": {"url": url, "branch": "main", "path": "flows/ivr"}})

    token = git_http_server.password
    credentials = {
        "username": git_http_server.username,
        "password": token,
        "ca.crt": git_http_server.ca_certificate,
    }

    def export_failed(outcome: Outcome) -> bool:
        exported = next((c for c in outcome.status.conditions if c.type == C.EXPORTED), None)
        return exported is not None and exported.status == "False"

    first = await harness.drive(release, git_credentials=credentials, until=export_failed)

    # 15 s from the failure (recorded to the second, as Kubernetes times are)
    assert first.kind is OutcomeKind.WAITING and first.after is not None and 14.0 <= first.after <= 15.0
    shown = json.dumps(
        [first.status.to_wire(), [repr(e) for e in first.events], [repr(e) for e in harness.audit.events]]
    )
    assert token not in shown
    status = first.status
    assert (status.phase, status.published_version, status.failed_version) == (Phase.EXPORTING, "3.0", "")
    assert condition(status, C.EXPORTED)[:2] == ("False", C.EXPORT_FAILED)
    assert C.EXPORT_FAILED in [reason for kind, reason in harness.release_events() if kind == "Warning"]
    assert status.export_failure is not None and not status.export_failure.permanent
    harness.clock.advance(60)
    harness.emulator.control.advance_clock(60)
    second = await harness.drive(
        release,
        status,
        git_credentials=credentials,
        until=lambda o: o.status.export_failure != status.export_failure,
    )
    assert second.kind is OutcomeKind.WAITING and second.after is not None and 59.0 <= second.after <= 63.0
    assert harness.publishes("2.0") == [] and harness.flow_state()["publishedVersion"] == "3.0"


async def test_export_asked_without_a_store_is_ready_and_says_so(harness: Harness) -> None:
    release = harness.release(
        export={"git": {"url": "https://git.example.com/cc/flows.git", "path": "flows/ivr"}}
    )

    outcome = await harness.drive(release)

    assert outcome.kind is OutcomeKind.READY
    assert condition(outcome.status, C.EXPORTED)[:2] == ("False", C.ARTIFACT_STORE_MISSING)


async def test_suspend_does_nothing(harness: Harness) -> None:
    outcome = await harness.drive(harness.release(suspend=True))

    assert outcome.kind is OutcomeKind.SUSPENDED and outcome.status.phase is Phase.SUSPENDED
    assert harness.publishes() == []
    assert [e.action for e in harness.audit.events] == ["suspend"]
