# ruff: noqa: E501, RUF001  (a table reads best one case per block; long reason strings stay whole)
"""The planner, as a table: every arrow of DESIGN §2 plus resume, retry, drift, suspend, locks and timeouts.

Each case names its situation, gives spec, status and observation, and the whole expected step.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    FlowReleaseSpec,
    FlowReleaseStatus,
    Phase,
    VerificationProgress,
    VerifyStage,
)
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourceProblem
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import JobMessage, JobState
from tests.unit.engine.builders import (
    IDENTITY,
    NOW,
    ago,
    cond,
    current,
    flow,
    locked_by,
    op,
    reconciling,
    spec,
    status,
)

SOURCE = {"configMapRef": {"name": "ivr", "key": "flow.yaml"}}
PREPARED = PreparedSource(
    digest="sha256:new",
    text="inboundCall: {}",
    key="inboundCall",
    flow_type="inboundcall",
    name="Support IVR",
)
BAKE = VerifyStage(name="bake", bake_seconds=600, max_failure_ratio=0.05, min_samples=20)
CANARY = {"stages": [{"name": "bake", "bakeSeconds": 600, "maxFailureRatio": 0.05, "minSamples": 20}]}
GIT = {"git": {"url": "file:///tmp/flows.git", "path": "flows/ivr"}}
LOCK_FAIL = (
    "flow 'Support IVR' is locked by user 'Jane' (u-9); ask them to check it in or unlock it, or set "
    "spec.publish.lockPolicy to Wait or ForceUnlock"
)


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    spec: FlowReleaseSpec
    status: FlowReleaseStatus
    observation: S.Observation
    want: S.Step
    generation: int = 1
    requested_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def obs(flow_state: Any = None, **kwargs: Any) -> S.Observation:
    return S.Observation(flow=flow_state, **kwargs)


VALIDATING = status(Phase.VALIDATING, conditions=[reconciling(30)])
PUBLISHING = status(Phase.PUBLISHING, conditions=[reconciling(30)])
HEALTHY_3 = cond(C.HEALTHY, "True", C.STAGES_PASSED, "ok")
READY_3 = status(Phase.READY, published_version="3.0")

CASES: list[Case] = [
    # ---------------------------------------------------------------- suspend, identity, start
    Case("suspend", "suspend wins over everything, even in-flight work", spec(suspend=True),
         status(Phase.PUBLISHING, operation=op()), obs(flow()), S.Suspend()),
    Case("resolve-flow", "the flow is recorded in status before anything else", spec(),
         status(Phase.PENDING, flow=None, observed_generation=None), obs(flow()), S.ResolveFlow(IDENTITY)),
    Case("pending-begins", "a first reconcile starts an attempt", spec(),
         status(Phase.PENDING, observed_generation=None, desired_version=""), obs(flow()),
         S.BeginAttempt("3.0", "", "generation 1 not yet handled", "Releasing version 3.0")),
    Case("unsuspended-begins", "leaving suspend starts an attempt", spec(),
         status(Phase.SUSPENDED), obs(flow()),
         S.BeginAttempt("3.0", "", "first reconcile of this release", "Releasing version 3.0")),
    # ---------------------------------------------------------------- Validating
    Case("validate", "Validating → run the gate for the desired version", spec(), VALIDATING, obs(flow()),
         S.Validate("3.0", "check version 3.0 before publishing it")),
    Case("flow-missing", "Validating → ValidationFailed when the flow does not exist", spec(), VALIDATING, obs(None),
         S.FailValidation(C.FLOW_NOT_FOUND, "spec.flow: no inboundcall flow named 'Support IVR' exists; check the "
                          "exact name and type (or release it from Archy YAML with spec.source)")),
    Case("already-live-unverified", "observe first: desired already published → Verifying, no publish", spec(),
         VALIDATING, obs(flow(published="3.0")),
         S.SkipPublish("3.0", False, "version 3.0 is already live: nothing to publish")),
    Case("already-live-verified", "desired published and verified earlier → straight to Exporting", spec(),
         status(Phase.VALIDATING, published_version="3.0", conditions=[HEALTHY_3]), obs(flow(published="3.0")),
         S.SkipPublish("3.0", True, "version 3.0 is already live: nothing to publish")),
    Case("lock-fail", "lockPolicy Fail → ValidationFailed naming who holds the lock", spec(), VALIDATING,
         obs(flow(lock=locked_by())), S.FailValidation(C.FLOW_LOCKED, LOCK_FAIL)),
    Case("lock-wait", "lockPolicy Wait → wait, bounded by publish.timeoutSeconds from the attempt start",
         spec(publish={"lockPolicy": "Wait", "timeoutSeconds": 900}), VALIDATING, obs(flow(lock=locked_by())),
         S.Wait(10.0, C.WAITING_FOR_LOCK, "Waiting for user 'Jane' (u-9) to release the lock on 'Support IVR' "
                "(lockPolicy Wait, timeout 900s)")),
    Case("lock-wait-last-seconds", "the last wait is cut to the time left",
         spec(publish={"lockPolicy": "Wait", "timeoutSeconds": 34}), VALIDATING, obs(flow(lock=locked_by())),
         S.Wait(4.0, C.WAITING_FOR_LOCK, "Waiting for user 'Jane' (u-9) to release the lock on 'Support IVR' "
                "(lockPolicy Wait, timeout 34s)")),
    Case("lock-wait-timeout", "lockPolicy Wait past the timeout → ValidationFailed",
         spec(publish={"lockPolicy": "Wait", "timeoutSeconds": 20}), VALIDATING, obs(flow(lock=locked_by())),
         S.FailValidation(C.LOCK_WAIT_TIMED_OUT, "flow 'Support IVR' stayed locked by user 'Jane' (u-9) for 30s, "
                          "longer than spec.publish.timeoutSeconds (20s); ask them to check it in")),
    Case("lock-force", "lockPolicy ForceUnlock → break the lock (audited)", spec(publish={"lockPolicy": "ForceUnlock"}),
         VALIDATING, obs(flow(lock=locked_by())),
         S.ForceUnlock(locked_by(), "flow is locked by user 'Jane' (u-9); lockPolicy ForceUnlock breaks the lock")),
    Case("lock-self", "our own lock does not block", spec(), VALIDATING, obs(flow(lock=locked_by(is_self=True))),
         S.Validate("3.0", "check version 3.0 before publishing it")),
    # ---------------------------------------------------------------- Publishing
    Case("publish", "Publishing → record lastGoodVersion (the live version) and publish", spec(), PUBLISHING,
         obs(flow()), S.StartPublish("3.0", "2.0", "version 3.0 passed validation")),
    Case("publish-first-release", "a first release has no lastGoodVersion", spec(), PUBLISHING,
         obs(flow(published=None)), S.StartPublish("3.0", "", "version 3.0 passed validation")),
    Case("publish-lock-appeared", "a lock taken after validation is checked again before publishing", spec(),
         PUBLISHING, obs(flow(lock=locked_by())), S.FailValidation(C.FLOW_LOCKED, LOCK_FAIL)),
    # ---------------------------------------------------------------- resume a publish
    Case("resume-intent-not-sent", "intent without id and no PUBLISH on the flow → POST now", spec(),
         status(Phase.PUBLISHING, operation=op(id="")), obs(flow()),
         S.PostPublish("3.0", "publish intent recorded but not yet sent")),
    Case("resume-adopt", "intent without id + flow.currentOperation is a running PUBLISH → adopt, never POST again",
         spec(), status(Phase.PUBLISHING, operation=op(id="")), obs(flow(current_operation=current("op-7"))),
         S.AdoptOperation("op-7", "publish intent was recorded without an id; adopting the flow's PUBLISH operation")),
    Case("resume-adopt-failed", "intent without id + a failed PUBLISH → adopt it (a failure is safe to roll back)",
         spec(), status(Phase.PUBLISHING, operation=op(id="")),
         obs(flow(current_operation=current("op-7", status="FAILURE", complete=True))),
         S.AdoptOperation("op-7", "publish intent was recorded without an id; adopting the flow's PUBLISH operation")),
    Case("resume-old-success", "a completed earlier PUBLISH that did not make our version live is not ours", spec(),
         status(Phase.PUBLISHING, operation=op(id="")),
         obs(flow(current_operation=current("op-0", status="SUCCESS", complete=True))),
         S.PostPublish("3.0", "publish intent recorded but not yet sent")),
    Case("resume-already-live", "intent without id but the version is live → done", spec(),
         status(Phase.PUBLISHING, operation=op(id="")), obs(flow(published="3.0")),
         S.PublishSucceeded("3.0", "", "publishedVersion is 3.0")),
    # ---------------------------------------------------------------- poll
    Case("poll-first", "publish in flight → WAITING with the first poll interval", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(current_operation=current())),
         S.Wait(0.5, C.PUBLISHING, "Publishing version 3.0 (poll 1, 10s of 900s)", poll=True)),
    Case("poll-grows", "intervals grow ×1.5 per poll", spec(),
         status(Phase.PUBLISHING, operation=op(polls=3, started_at=ago(30))), obs(flow(current_operation=current())),
         S.Wait(1.6875, C.PUBLISHING, "Publishing version 3.0 (poll 4, 30s of 900s)", poll=True)),
    Case("poll-capped", "intervals stop growing at 10 s", spec(),
         status(Phase.PUBLISHING, operation=op(polls=30, started_at=ago(400))), obs(flow(current_operation=current())),
         S.Wait(10.0, C.PUBLISHING, "Publishing version 3.0 (poll 31, 400s of 900s)", poll=True)),
    Case("poll-done-by-version", "publishedVersion == desired → published", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(published="3.0", current_operation=current())),
         S.PublishSucceeded("3.0", "op-1", "publishedVersion is 3.0")),
    Case("poll-done-by-operation", "operation complete SUCCESS is enough (either signal)", spec(),
         status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current(status="SUCCESS", complete=True))),
         S.PublishSucceeded("3.0", "op-1", "operation op-1 completed with SUCCESS")),
    Case("publish-failed", "Publishing fail → RollingBack to lastGoodVersion", spec(),
         status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current(status="FAILURE", complete=True, error="boom"))),
         S.StartRollback("2.0", C.PUBLISH_FAILED, "publishing version 3.0 failed: boom")),
    Case("publish-superseded", "another operation replaced ours and our version is not live → failed", spec(),
         status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current("op-9", action="CHECKIN", status="SUCCESS", complete=True))),
         S.StartRollback("2.0", C.PUBLISH_FAILED, "publish operation op-1 was superseded by CHECKIN op-9 and version "
                         "3.0 is not live")),
    Case("publish-timeout", "no completion within publish.timeoutSeconds → rollback", spec(),
         status(Phase.PUBLISHING, operation=op(started_at=ago(901))), obs(flow(current_operation=current())),
         S.StartRollback("2.0", C.PUBLISH_TIMED_OUT, "publishing version 3.0 did not finish within "
                         "spec.publish.timeoutSeconds (900s)")),
    Case("publish-failed-no-rollback", "rollback.strategy None → stalled without rollback",
         spec(rollback={"strategy": "None"}), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current(status="FAILURE", complete=True, error="boom"))),
         S.NoRollback(C.ROLLBACK_DISABLED, C.PUBLISH_FAILED, "publishing version 3.0 failed: boom; "
                      "spec.rollback.strategy is None, so nothing is rolled back")),
    Case("publish-failed-first-release", "first release ever fails → nothing to roll back to", spec(),
         status(Phase.PUBLISHING, operation=op(), last_good_version="", published_version=""),
         obs(flow(published=None, current_operation=current(status="FAILURE", complete=True, error="boom"))),
         S.NoRollback(C.NOTHING_TO_ROLL_BACK_TO, C.PUBLISH_FAILED, "publishing version 3.0 failed: boom; nothing to "
                      "roll back to (no earlier published version)")),
    # ---------------------------------------------------------------- rollback
    Case("rollback-post", "RollingBack with the flow idle → publish lastGoodVersion", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", id="", version="2.0"), published_version="3.0"),
         obs(flow(published="3.0", current_operation=current(status="SUCCESS", complete=True))),
         S.PostPublish("2.0", "publish lastGoodVersion 2.0 to roll back")),
    Case("rollback-waits-for-idle", "the failed publish still runs → wait before posting the rollback", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", id="", version="2.0")),
         obs(flow(published="2.5", current_operation=current())),
         S.Wait(0.5, C.ROLLING_BACK, "Rolling back to version 2.0 (poll 1, 10s of 900s)", poll=True)),
    Case("rollback-confirmed", "RollingBack → RolledBack once publishedVersion reads back as lastGoodVersion", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", version="2.0")), obs(flow(published="2.0")),
         S.RollbackSucceeded("2.0", "", "publishedVersion is back at 2.0")),
    Case("rollback-waits-for-late-publish", "lastGoodVersion reads back but the timed-out publish still runs → wait", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", id="", version="2.0")),
         obs(flow(published="2.0", current_operation=current())),
         S.Wait(0.5, C.ROLLING_BACK, "Rolling back to version 2.0 (poll 1, 10s of 900s)", poll=True)),
    Case("rollback-failed", "rollback operation FAILURE → Failed (stalled)", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", version="2.0")),
         obs(flow(published="3.0", current_operation=current(status="FAILURE", complete=True, error="no"))),
         S.ReleaseFailed(C.ROLLBACK_FAILED, "rolling back to version 2.0 failed: no")),
    Case("rollback-timeout", "rollback bounded by the same timeout", spec(),
         status(Phase.ROLLING_BACK, operation=op("rollback", version="2.0", started_at=ago(1000))),
         obs(flow(published="3.0", current_operation=current())),
         S.ReleaseFailed(C.ROLLBACK_FAILED, "rolling back to version 2.0 did not finish within 900s; "
                         "publishedVersion is 3.0")),
    # ---------------------------------------------------------------- restore fallback
    Case("restore-create", "refused older publish → create a version from the old configuration", spec(),
         status(Phase.ROLLING_BACK, operation=op("restore", id="", version="2.0")), obs(flow(published="3.0")),
         S.CreateRestoredVersion("2.0", "Genesys refused publishing version 2.0; restoring its configuration")),
    Case("restore-checkin", "restored draft saved → check it in", spec(),
         status(Phase.ROLLING_BACK, operation=op("restore", id="", version="2.0", restored_version="4.0")),
         obs(flow(published="3.0", saved_version="4.0")), S.CheckinRestored("4.0", "check in restored version 4.0")),
    Case("restore-publish", "restored version checked in → publish it", spec(),
         status(Phase.ROLLING_BACK, operation=op("restore", id="ci-1", version="2.0", restored_version="4.0")),
         obs(flow(published="3.0", checked_in_version="4.0",
                  current_operation=current("ci-1", action="CHECKIN", status="SUCCESS", complete=True))),
         S.PostPublish("4.0", "restored version 4.0 is checked in; publish it")),
    Case("restore-confirmed", "the restored copy is live → RolledBack, both ids recorded", spec(),
         status(Phase.ROLLING_BACK, operation=op("restore", id="p-2", version="2.0", restored_version="4.0")),
         obs(flow(published="4.0")),
         S.RollbackSucceeded("4.0", "2.0", "version 4.0 (a copy of 2.0) is live")),
    # ---------------------------------------------------------------- Verifying
    Case("verify-none", "no verify stages → Exporting", spec(), status(Phase.VERIFYING, published_version="3.0"),
         obs(flow(published="3.0")), S.VerificationPassed(C.NO_VERIFY_STAGES)),
    Case("verify-start", "Verifying → start the first stage", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0"), obs(flow(published="3.0")),
         S.StartVerifyStage(BAKE, "first verify stage")),
    Case("verify-bake", "a stage bakes without blocking: WAITING for the rest of bakeSeconds", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0",
                verification=VerificationProgress(stage="bake", started_at=ago(100))),
         obs(flow(published="3.0")),
         S.Wait(500.0, C.BAKING, "Baking version 3.0 in stage 'bake' (100s of 600s)")),
    Case("verify-judge", "baked → judge flow health since the stage started", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0",
                verification=VerificationProgress(stage="bake", started_at=ago(600))),
         obs(flow(published="3.0")), S.JudgeVerifyStage(BAKE, "stage 'bake' baked for 600s")),
    # ---------------------------------------------------------------- Exporting → Ready
    Case("export", "Exporting with spec.export.git and a store → export", spec(export=GIT),
         status(Phase.EXPORTING, published_version="3.0"), obs(flow(published="3.0"), can_export=True),
         S.Export("3.0", "export what went live to git")),
    Case("export-not-asked", "no export configured → Ready", spec(), status(Phase.EXPORTING, published_version="3.0"),
         obs(flow(published="3.0")), S.MarkReady("verified")),
    Case("export-no-store", "export asked but no store given → Ready (Exported=False says why)", spec(export=GIT),
         status(Phase.EXPORTING, published_version="3.0"), obs(flow(published="3.0")),
         S.MarkReady("verified and exported")),
    # ---------------------------------------------------------------- Ready and drift
    Case("ready", "Ready and in sync → come back for the drift check", spec(), READY_3, obs(flow(published="3.0")),
         S.Settled()),
    Case("drift-enforce", "drift with Enforce → a new release pass (Validating)", spec(), READY_3,
         obs(flow(published="2.0")),
         S.BeginAttempt("3.0", "", "drift: publishedVersion is 2.0 in Genesys but this release made 3.0 live",
                        "Releasing version 3.0", drift=True)),
    Case("drift-observe", "drift with Observe → Drifted condition only", spec(driftPolicy="Observe"), READY_3,
         obs(flow(published="2.0")),
         S.ReportDrift("2.0", "3.0", "publishedVersion is 2.0 in Genesys but this release made 3.0 live")),
    Case("drift-observe-reported", "the same drift is reported once", spec(driftPolicy="Observe"),
         status(Phase.READY, published_version="3.0", conditions=[cond(
             C.DRIFTED, "True", C.DRIFT_DETECTED,
             "publishedVersion is 2.0 in Genesys but this release made 3.0 live")]),
         obs(flow(published="2.0")), S.Settled("drift already reported (driftPolicy Observe)")),
    Case("drift-resolved", "drift gone → Ready clears Drifted", spec(driftPolicy="Observe"),
         status(Phase.READY, published_version="3.0", conditions=[cond(C.DRIFTED, "True", C.DRIFT_DETECTED, "x")]),
         obs(flow(published="3.0")), S.MarkReady("drift resolved: publishedVersion is back")),
    Case("ready-new-generation", "spec changed → Validating again", spec(), READY_3, obs(flow(published="3.0")),
         S.BeginAttempt("3.0", "", "generation 2 not yet handled", "Releasing version 3.0"), generation=2),
    Case("verifying-spec-changed", "a new desired version during Verifying → Validating again", spec(version="4.0"),
         status(Phase.VERIFYING, published_version="3.0"), obs(flow(published="3.0")),
         S.BeginAttempt("4.0", "", "desired version changed to 4.0", "Releasing version 4.0")),
    # ---------------------------------------------------------------- settled failures and failedVersion
    Case("rolled-back-stays", "RolledBack: failedVersion not retried while the generation is unchanged", spec(),
         status(Phase.ROLLED_BACK, failed_version="3.0",
                conditions=[cond(C.STALLED, "True", C.ROLLED_BACK, "Version 3.0 failed")]),
         obs(flow()), S.Stall(C.ROLLED_BACK, "Version 3.0 failed")),
    Case("rolled-back-new-generation", "a new generation may retry the same version", spec(),
         status(Phase.ROLLED_BACK, failed_version="3.0"), obs(flow()),
         S.BeginAttempt("3.0", "", "generation 2 not yet handled", "Releasing version 3.0"), generation=2),
    Case("rolled-back-requested", "a requested reconcile retries once", spec(),
         status(Phase.ROLLED_BACK, failed_version="3.0", last_handled_reconcile_at="t1"), obs(flow()),
         S.BeginAttempt("3.0", "", "reconcile requested at t2", "Releasing version 3.0"), requested_at="t2"),
    Case("rolled-back-same-request", "an already handled request does not retry", spec(),
         status(Phase.ROLLED_BACK, failed_version="3.0", last_handled_reconcile_at="t1",
                conditions=[cond(C.STALLED, "True", C.ROLLED_BACK, "m")]),
         obs(flow()), S.Stall(C.ROLLED_BACK, "m"), requested_at="t1"),
    Case("validation-failed-stays", "ValidationFailed stays stalled", spec(),
         status(Phase.VALIDATION_FAILED, conditions=[cond(C.STALLED, "True", C.FLOW_LOCKED, "locked")]),
         obs(flow()), S.Stall(C.FLOW_LOCKED, "locked")),
    Case("failed-keeps-operation", "a stalled release does not resume its operation until asked", spec(),
         status(Phase.FAILED, operation=op(), conditions=[cond(C.STALLED, "True", C.PERMISSION_DENIED, "p")]),
         obs(flow()), S.Stall(C.PERMISSION_DENIED, "p")),
    Case("operation-beats-new-generation", "in-flight work is finished before a new attempt", spec(version="4.0"),
         status(Phase.PUBLISHING, operation=op()), obs(flow(published="3.0")),
         S.PublishSucceeded("3.0", "op-1", "publishedVersion is 3.0"), generation=2),
    # ---------------------------------------------------------------- mode B
    Case("source-import", "mode B Validating → import through an Architect job", spec(source=SOURCE),
         status(Phase.VALIDATING, desired_version="", source_digest="sha256:new"), obs(flow(), source=PREPARED),
         S.StartImport(PREPARED, "2.0", "import and publish the Archy source through an Architect job")),
    Case("source-invalid", "mode B: a local problem fails validation, nothing is sent", spec(source=SOURCE),
         status(Phase.VALIDATING, desired_version="", source_digest="sha256:bad"),
         obs(flow(), source=SourceProblem("sha256:bad", "spec.source: placeholders left unsubstituted: {{q}}")),
         S.FailValidation(C.SOURCE_INVALID, "spec.source: placeholders left unsubstituted: {{q}}")),
    Case("source-missing", "mode B without the ConfigMap → ValidationFailed naming it", spec(source=SOURCE),
         status(Phase.VALIDATING, desired_version=""), obs(flow()),
         S.FailValidation(C.SOURCE_INVALID, "spec.source: ConfigMap 'ivr' key 'flow.yaml' was not found; create it "
                          "or fix spec.source.configMapRef")),
    Case("source-changed", "mode B: a new source digest starts a new attempt", spec(source=SOURCE),
         status(Phase.READY, desired_version="3.0", published_version="3.0", source_digest="sha256:old"),
         obs(flow(published="3.0"), source=PREPARED),
         S.BeginAttempt("", "sha256:new", "the Archy source changed", "Releasing the Archy source")),
    Case("source-unchanged", "mode B: same digest and live → nothing to do", spec(source=SOURCE),
         status(Phase.READY, desired_version="3.0", published_version="3.0", source_digest="sha256:new"),
         obs(flow(published="3.0"), source=PREPARED), S.Settled()),
    Case("import-running", "Architect job still running → poll later", spec(source=SOURCE),
         status(Phase.PUBLISHING, operation=op("import", id="job-1", version=""), source_digest="sha256:new"),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Started")),
         S.Wait(0.5, C.IMPORTING, "Waiting for Architect job job-1 (Started)", poll=True)),
    Case("import-never-uploaded", "a job that never got its file is registered again", spec(source=SOURCE),
         status(Phase.PUBLISHING, operation=op("import", id="job-1", version=""), source_digest="sha256:new"),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Registered")),
         S.StartImport(PREPARED, "2.0", "the Architect job never received its file; importing again")),
    Case("import-failed", "Architect job Failure → ValidationFailed with its messages", spec(source=SOURCE),
         status(Phase.PUBLISHING, operation=op("import", id="job-1", version=""), source_digest="sha256:new"),
         obs(flow(), source=PREPARED,
             job=JobState("job-1", "Failure", messages=(JobMessage("Error", "queue 'X' not found"),))),
         S.FailValidation(C.IMPORT_FAILED, "the Architect job failed: queue 'X' not found")),
    Case("import-succeeded", "Architect job Success → the new published version is desired", spec(source=SOURCE),
         status(Phase.PUBLISHING, operation=op("import", id="job-1", version=""), source_digest="sha256:new"),
         obs(flow(published="4.0"), source=PREPARED, job=JobState("job-1", "Success", flow_id="f-1")),
         S.ImportSucceeded(flow(published="4.0"), "4.0", "Architect job job-1 succeeded")),
    Case("import-timeout", "Architect job beyond the timeout → Failed", spec(source=SOURCE),
         status(Phase.PUBLISHING, operation=op("import", id="job-1", version="", started_at=ago(901)),
                source_digest="sha256:new"),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Started")),
         S.ReleaseFailed(C.IMPORT_TIMED_OUT, "Architect job job-1 did not finish within spec.publish.timeoutSeconds "
                         "(900s); check the job in Genesys before retrying")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_planner_chooses(case: Case) -> None:
    got = plan(
        case.spec,
        case.status,
        case.observation,
        now=NOW,
        generation=case.generation,
        requested_at=case.requested_at,
    )
    assert got == case.want, case.reason


def test_every_step_kind_is_planned_by_some_case() -> None:
    planned = {type(c.want) for c in CASES}
    side_effects_decided_elsewhere = {S.Export, S.JudgeVerifyStage}
    all_steps = set(typing.get_args(S.Step))
    assert all_steps - planned - side_effects_decided_elsewhere == set()
