# ruff: noqa: E501  (a table reads best one case per block; long reason strings stay whole)
"""The planner, as a table: every arrow of DESIGN §2 plus the completion and failure rules, the rollback
routes, the validate/export jobs, resume after a crash, drift, suspend, locks and timeouts.

Each case names its situation, gives spec, status and observation, and the whole expected step. The
genesys-realism.md behaviour a case stands for is in its id (r1 stale read, r2 other id, r3 renumbering,
r4 older publish refused/ignored, r5 missing version ignored, r6 Registered jobs, r7 validate unavailable).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    CheckRecord,
    ExportFailure,
    ExportTargetCheck,
    FlowReleaseSpec,
    FlowReleaseStatus,
    JobRecord,
    Phase,
    RollbackRecord,
    SignalRecord,
    StageRecord,
    ValidationMessage,
    ValidationSummary,
    VerificationProgress,
    VerifyStage,
)
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourceProblem
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import FlowClaim, JobMessage, JobState, ServiceUnavailable
from tests.unit.engine.builders import (
    IDENTITY,
    NOW,
    PRIOR,
    ago,
    cond,
    current,
    done,
    flow,
    locked_by,
    op,
    reconciling,
    refused,
    spec,
    status,
)
from tests.unit.engine.test_promotion_gate import PLAN_CASES as PROMOTION_PLAN_CASES

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
OLDER = FlowClaim(created="2025-12-31T09:00:00Z", namespace="team-a", name="support")
CONFLICT = (
    "the same flow is also released by FlowRelease team-a/support from this cluster, created "
    "2025-12-31T09:00:00Z (the oldest, so it owns flow f-1 'Support IVR'); one flow needs exactly one "
    "FlowRelease, so remove or retarget all but one of them. Nothing is published meanwhile; this release takes "
    "over once team-a/support is deleted or retargeted"
)
HELD = status(Phase.PENDING, conditions=[cond(C.STALLED, "True", C.FLOW_CONFLICT, CONFLICT),
                                         cond(C.READY, "False", C.FLOW_CONFLICT, CONFLICT)])  # fmt: skip
MISMATCH = (
    "spec.flow.id: flow id f-1 is the inboundcall flow 'Support IVR', but spec.flow.name and spec.flow.type say "
    "the inboundcall flow 'Billing IVR'; keep only spec.flow.id, or correct the name and type to match it"
)
EXPORT_CHECKED = ExportTargetCheck(checked_at=ago(1))
REFUSED = "spec.export.git.secretRef: git ls-remote https://git.example.com/f.git failed: the remote refused the credentials"
UNREACHABLE = (
    "spec.export.git.url: git ls-remote https://git.example.com/f.git failed: the remote is unreachable"
)
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
NOT_VISIBLE = (
    "Publishing version 3.0: Genesys acknowledged it; not visible on the flow yet (looking for up to 30s "
    "after the acknowledgement, timeout 900s)"
)
UNACKED = (
    "Publishing version 3.0: recorded, not acknowledged; looking for it on the flow for 30s before sending it "
    "again"
)
IGNORED = (
    "Genesys acknowledged publishing version 3.0 (operation op-1) but 30s later no operation of ours is on the "
    "flow and publishedVersion is still 2.0; nothing was changed. If 3.0 is older than the published version, "
    "this org may not publish older versions: save its configuration as a new version and release that"
)
ADOPT = (
    "the publish intent was recorded but its acknowledgement was not; the flow shows our operation started after "
    "it: adopting it, never posting again"
)


def validating_job(
    job_id: str = "v-1", version: str = "3.0", started: float = 4, **extra: Any
) -> FlowReleaseStatus:
    record = JobRecord(kind="validate", id=job_id, version=version, started_at=ago(started), **extra)
    return status(Phase.VALIDATING, conditions=[reconciling(30)], job=record, dependency_hash="sha256:d")


WARN = JobMessage("Warning", "Menu has no timeout")
UNAVAILABLE_NOTE = ValidationMessage(
    type="Warning",
    text="the Architect validate job could not be used (HTTP 404: not found); version 3.0 was checked without it "
    "(set spec.validation.requireValidateJob: true to require it)",
)


def rolling(route: str = "republish", started: float = 20, **record: Any) -> RollbackRecord:
    return RollbackRecord(route=route, target_version="2.0", route_started_at=ago(started), **record)  # type: ignore[arg-type]


def rb(record: RollbackRecord | None = None, operation: Any = None, **extra: Any) -> FlowReleaseStatus:
    values: dict[str, Any] = {
        "published_version": "3.0",
        "failed_version": "3.0",
        "rollback": record or rolling(),
        "operation": operation,
    }
    values.update(extra)
    return status(Phase.ROLLING_BACK, **values)


LIVE_3 = flow(published="3.0", current_operation=done("op-0"))
REPUBLISH_OP = op("rollback", id="p-2", version="2.0", prior=PRIOR, prior_version="3.0")
CHECKIN = op("checkin", id="c-1", version="saved_version_abc", prior=PRIOR, prior_version="3.0")
DRAFT = "saved_version_abc"


def exporting(**extra: Any) -> FlowReleaseStatus:
    return status(Phase.EXPORTING, published_version="3.0", published_operation_id="op-1", **extra)


def export_job(started: float = 5, **extra: Any) -> JobRecord:
    return JobRecord(kind="export", id="x-1", version="3.0", started_at=ago(started), **extra)


def importing(id: str = "job-1", **op_extra: Any) -> FlowReleaseStatus:
    return status(
        Phase.PUBLISHING,
        operation=op("import", id=id, version="", **op_extra),
        source_digest="sha256:new",
        desired_version="",
    )


def baked(
    samples: int, failed: int, stage: str = "bake", checks: list[CheckRecord] | None = None
) -> VerificationProgress:
    """Sampled after a 600 s window: `samples` entries, as many outcomes, `failed` of them failed."""
    return VerificationProgress(
        stage=stage,
        started_at=ago(800),
        window_seconds=600,
        samples=samples,
        outcomes=samples,
        failed=failed,
        failure_ratio=failed / samples if samples else 0.0,
        exits=samples - failed,
        disconnects=failed,
        sampled_at=ago(1),
        checks=checks or [],
    )


SOAK = VerifyStage(name="soak", bake_seconds=300, max_failure_ratio=0.05, min_samples=20)
TWO_STAGES = {"stages": [CANARY["stages"][0], {"name": "soak", "bakeSeconds": 300, "minSamples": 20}]}
CHECK = {"name": "synthetic", "retries": 2, "http": {"url": "https://m.example.com/ivr"}}
VERIFY_WITH_CHECK = {"stages": [{**CANARY["stages"][0], "checks": [CHECK]}]}
CHECKED_STAGE = FlowReleaseSpec.model_validate(
    {"genesys": {"environment": "x"}, "flow": {"id": "f"}, "version": "3.0", "verify": VERIFY_WITH_CHECK}
).verify.stages[0]
P = "stage 'bake', version 3.0: "
BREACH_30 = P + "outcomeFailureRatio 0.300 > 0.05: 30 of 100 flow outcomes failed"
HEALTHY_1 = (
    P + "100 entries in 600 s (minSamples 20); outcomeFailureRatio 0.010 ≤ 0.05 (1 of 100 flow outcomes)"
)
QUIET_5 = (
    P + "not judged: 5 entries in 600 s, fewer than minSamples 20; outcomeFailureRatio not judged: too few "
    "entries"
)
CHECK_503 = "check 'synthetic' failed: GET https://m.example.com/ivr: status 503, expected 2xx"
CHECK_FAILED_MSG = P + CHECK_503
FLOOR = "entries (nFlow) of version 3.0 in 600 s"
RATIO = "nFlowOutcomeFailed / nFlowOutcome of version 3.0"


def signals(entries: int, outcome: tuple[float | None, str, str]) -> list[SignalRecord]:
    floor_ok = entries >= 20
    floor_message = (
        f"{entries} entries in 600 s (minSamples 20)"
        if floor_ok
        else f"not judged: {entries} entries in 600 s, fewer than minSamples 20"
    )
    return [
        SignalRecord(
            signal="minSamples",
            measured=FLOOR,
            value=float(entries),
            threshold="≥ 20",
            samples=entries,
            verdict="healthy" if floor_ok else "insufficient",
            message=floor_message,
        ),
        SignalRecord(
            signal="outcomeFailureRatio",
            measured=RATIO,
            value=outcome[0],
            threshold="≤ 0.05",
            samples=entries,
            verdict=outcome[1],
            message=outcome[2],
        ),  # type: ignore[arg-type]
    ]


SIGNALS_30 = signals(
    100, (0.3, "breached", "outcomeFailureRatio 0.300 > 0.05: 30 of 100 flow outcomes failed")
)
SIGNALS_1 = signals(100, (0.01, "healthy", "outcomeFailureRatio 0.010 ≤ 0.05 (1 of 100 flow outcomes)"))
SIGNALS_5 = signals(5, (None, "insufficient", "outcomeFailureRatio not judged: too few entries"))


def check_record(attempts: int, http_status: int, judged: str = "") -> CheckRecord:
    return CheckRecord(
        name="synthetic",
        kind="http",
        attempts=attempts,
        last_attempt_at=ago(30),
        target="GET https://m.example.com/ivr",
        http_status=http_status,
        threshold="status 2xx" if judged else "",
        passed=False,
        message=judged,
    )


def record(
    verdict: str, message: str, signal_records: list[SignalRecord], checks: list[CheckRecord] | None = None
) -> StageRecord:
    entries = signal_records[0].samples
    return StageRecord(
        name="bake",
        verdict=verdict,
        message=message,
        version="3.0",  # type: ignore[arg-type]
        window_seconds=600,
        entries=entries,
        judged_at=ago(0),
        signals=signal_records,
        checks=checks or [],
    )


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
    Case("attempt-generation-decides", "an error written with observedGeneration 2 does not hide that the attempt "
         "was begun for generation 1", spec(), status(Phase.READY, published_version="3.0", observed_generation=2,
                                                     attempt_generation=1),
         obs(flow(published="3.0")), S.BeginAttempt("3.0", "", "generation 2 not yet handled", "Releasing version 3.0"),
         generation=2),
    # ---------------------------------------------------------------- one owner per flow
    Case("flow-owned-by-older", "another, older release owns the flow: held back, nothing published", spec(),
         status(Phase.READY, published_version="3.0"), obs(flow(published="3.0"), flow_owner=OLDER),
         S.YieldFlow(OLDER, CONFLICT)),
    Case("flow-owned-mid-publish", "losing the flow to an older release stops in-flight work too (the owner "
         "waits for what runs)", spec(), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current()), flow_owner=OLDER), S.YieldFlow(OLDER, CONFLICT)),
    Case("flow-owned-while-stalled", "a settled failure yields its flow as well", spec(),
         status(Phase.VALIDATION_FAILED), obs(flow(), flow_owner=OLDER), S.YieldFlow(OLDER, CONFLICT)),
    Case("flow-owned-resolve-first", "the flow is recorded before the owner is asked about", spec(),
         status(Phase.PENDING, flow=None, observed_generation=None), obs(flow(), flow_owner=OLDER),
         S.ResolveFlow(IDENTITY)),
    Case("flow-owned-suspended", "suspend still wins", spec(suspend=True), HELD, obs(flow(), flow_owner=OLDER),
         S.Suspend()),
    Case("flow-owner-gone-takes-over", "the owner is gone: the held release starts an attempt of its own", spec(),
         HELD, obs(flow()),
         S.BeginAttempt("3.0", "", "first reconcile of this release", "Releasing version 3.0")),
    # ---------------------------------------------------------------- flow.id and flow.name must agree
    Case("identity-mismatch", "flow.id names another flow than flow.name/type: refused before any write",
         spec(flow={"id": "f-1", "name": "Billing IVR", "type": "inboundcall"}), VALIDATING, obs(flow()),
         S.FailValidation(C.FLOW_IDENTITY_MISMATCH, MISMATCH)),
    Case("identity-mismatch-already-live", "a mismatch is refused even when the id's flow has the version live",
         spec(flow={"id": "f-1", "name": "Billing IVR", "type": "inboundcall"}), VALIDATING,
         obs(flow(published="3.0")), S.FailValidation(C.FLOW_IDENTITY_MISMATCH, MISMATCH)),
    Case("identity-mismatch-type", "the same name with another type is another flow",
         spec(flow={"id": "f-1", "name": "Support IVR", "type": "inqueuecall"}), VALIDATING, obs(flow()),
         S.FailValidation(C.FLOW_IDENTITY_MISMATCH, "spec.flow.id: flow id f-1 is the inboundcall flow 'Support "
                          "IVR', but spec.flow.name and spec.flow.type say the inqueuecall flow 'Support IVR'; keep "
                          "only spec.flow.id, or correct the name and type to match it")),
    Case("identity-agrees", "flow.id with the flow's own name and type goes on", spec(
         flow={"id": "f-1", "name": "Support IVR", "type": "inboundcall"}), VALIDATING, obs(flow()),
         S.Validate("3.0", "check version 3.0 before publishing it")),
    # ---------------------------------------------------------------- Validating: the gate's own checks
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
    # ---------------------------------------------------------------- Validating: the export target, checked first
    Case("export-target-first", "with a Git export, the target is checked before the first side effect",
         spec(export=GIT), VALIDATING, obs(flow(), can_export=True),
         S.CheckExportTarget("check spec.export.git before anything is published")),
    Case("export-target-before-unlock", "checked before breaking a lock, too: unlocking is a side effect",
         spec(export=GIT, publish={"lockPolicy": "ForceUnlock"}), VALIDATING, obs(flow(lock=locked_by()), can_export=True),
         S.CheckExportTarget("check spec.export.git before anything is published")),
    Case("export-target-before-import", "mode B: after the source's own checks, before the import",
         spec(source=SOURCE, export=GIT), status(Phase.VALIDATING, desired_version="", source_digest="sha256:new",
                                                 conditions=[reconciling(30)]),
         obs(flow(), source=PREPARED, can_export=True),
         S.CheckExportTarget("check spec.export.git before anything is published")),
    Case("export-target-source-problem-first", "a broken source fails before Git is asked anything",
         spec(source=SOURCE, export=GIT), status(Phase.VALIDATING, desired_version="", source_digest="sha256:bad"),
         obs(flow(), source=SourceProblem("sha256:bad", "spec.source: bad"), can_export=True),
         S.FailValidation(C.SOURCE_INVALID, "spec.source: bad")),
    Case("export-target-not-when-live", "already live: nothing will be published, the export reports its own errors",
         spec(export=GIT), VALIDATING, obs(flow(published="3.0"), can_export=True),
         S.SkipPublish("3.0", False, "version 3.0 is already live: nothing to publish")),
    Case("export-target-no-store", "no artifact store: nothing to check (Exported=False says why later)",
         spec(export=GIT), VALIDATING, obs(flow()), S.Validate("3.0", "check version 3.0 before publishing it")),
    Case("export-target-answered", "checked once per attempt: then the gate goes on",
         spec(export=GIT), status(Phase.VALIDATING, conditions=[reconciling(30)], export_check=EXPORT_CHECKED),
         obs(flow(), can_export=True), S.Validate("3.0", "check version 3.0 before publishing it")),
    Case("export-target-permanent", "a target that refuses (token, repository, URL) fails validation: nothing published",
         spec(export=GIT), status(Phase.VALIDATING, conditions=[reconciling(30)],
                                  export_check=ExportTargetCheck(message=REFUSED, permanent=True, since=ago(1), at=ago(1))),
         obs(flow(), can_export=True), S.FailValidation(C.EXPORT_TARGET_INVALID, REFUSED)),
    Case("export-target-retry-wait", "a remote that does not answer is checked again after a backoff",
         spec(export=GIT), status(Phase.VALIDATING, conditions=[reconciling(30)],
                                  export_check=ExportTargetCheck(message=UNREACHABLE, since=ago(12), at=ago(2))),
         obs(flow(), can_export=True),
         S.Wait(8.0, C.RETRYING, "Checking the export target before publishing failed; retrying at "
                f"{ago(-8)} (nothing was published): {UNREACHABLE}")),
    Case("export-target-retry", "the backoff is over: check again",
         spec(export=GIT), status(Phase.VALIDATING, conditions=[reconciling(30)],
                                  export_check=ExportTargetCheck(message=UNREACHABLE, since=ago(20), at=ago(10))),
         obs(flow(), can_export=True), S.CheckExportTarget("check spec.export.git again before anything is published")),
    Case("export-target-retry-cut", "the last wait is cut to the publish timeout",
         spec(export=GIT, publish={"timeoutSeconds": 33}), status(Phase.VALIDATING, conditions=[reconciling(30)],
                                  export_check=ExportTargetCheck(message=UNREACHABLE, since=ago(20), at=ago(1))),
         obs(flow(), can_export=True),
         S.Wait(3.0, C.RETRYING, "Checking the export target before publishing failed; retrying at "
                f"{ago(-18)} (nothing was published): {UNREACHABLE}")),
    Case("export-target-timeout", "unreachable for the whole publish timeout → ValidationFailed, nothing published",
         spec(export=GIT, publish={"timeoutSeconds": 30}), status(Phase.VALIDATING, conditions=[reconciling(30)],
                                  export_check=ExportTargetCheck(message=UNREACHABLE, since=ago(25), at=ago(1))),
         obs(flow(), can_export=True),
         S.FailValidation(C.EXPORT_TARGET_UNREACHABLE, "the export target could not be checked for 30s, longer than "
                          "spec.publish.timeoutSeconds (30s); check the remote and the network, then request a "
                          f"reconcile: {UNREACHABLE}")),
    # ---------------------------------------------------------------- Validating: the validate job, polled here
    Case("validate-job-running", "the validate job is polled through the planner, never slept on in the client",
         spec(), validating_job(), obs(flow(), recorded_job=JobState("v-1", "Started")),
         S.Wait(0.8, C.VALIDATING, "Validating version 3.0: validate job v-1 is Started", poll=True)),
    Case("validate-job-clean", "a clean validate job passes the gate", spec(), validating_job(),
         obs(flow(), recorded_job=JobState("v-1", "Success")),
         S.PassValidation("3.0", ValidationSummary(), "Architect validate job v-1 reported no errors")),
    Case("validate-job-warning", "warnings pass unless failOnWarnings", spec(), validating_job(),
         obs(flow(), recorded_job=JobState("v-1", "Success", messages=(WARN,))),
         S.PassValidation("3.0", ValidationSummary(warnings=1, messages=[ValidationMessage(type="Warning",
                                                                                          text="Menu has no timeout")]),
                          "Architect validate job v-1 reported no errors")),
    Case("validate-job-warning-fails", "failOnWarnings turns a warning into a refusal",
         spec(validation={"failOnWarnings": True}), validating_job(),
         obs(flow(), recorded_job=JobState("v-1", "Success", messages=(WARN,))),
         S.FailValidation(C.VALIDATION_WARNINGS, "Architect validation reported 1 warning(s); "
                          "spec.validation.failOnWarnings is on: Menu has no timeout",
                          ValidationSummary(warnings=1, messages=[ValidationMessage(type="Warning",
                                                                                    text="Menu has no timeout")]))),
    Case("validate-job-errors", "an Error message refuses the version", spec(), validating_job(),
         obs(flow(), recorded_job=JobState("v-1", "Failure", messages=(JobMessage("Error", "no queue"),))),
         S.FailValidation(C.VALIDATION_ERRORS, "Architect validation reported 1 error(s): no queue",
                          ValidationSummary(errors=1, messages=[ValidationMessage(type="Error", text="no queue")]))),
    Case("validate-job-messageless-failure", "r6: a Failure without messages still refuses, and says so", spec(),
         validating_job(), obs(flow(), recorded_job=JobState("v-1", "Failure")),
         S.FailValidation(C.VALIDATION_ERRORS, "Architect validation reported 0 error(s): the validate job failed "
                          "without messages", ValidationSummary())),
    Case("r7-validate-unavailable-on-register", "r7: POST validate answered 404 → continue with a warning",
         spec(), validating_job(job_id="", unavailable="HTTP 404: not found"), obs(flow()),
         S.PassValidation("3.0", ValidationSummary(warnings=1, messages=[UNAVAILABLE_NOTE]),
                          "validated version 3.0 without the validate job: HTTP 404: not found",
                          unavailable="HTTP 404: not found")),
    Case("r7-validate-unavailable-on-poll", "r7: GET validate answered 404 → continue with a warning", spec(),
         validating_job(), obs(flow(), recorded_job=ServiceUnavailable(404, "not found")),
         S.PassValidation("3.0", ValidationSummary(warnings=1, messages=[UNAVAILABLE_NOTE]),
                          "validated version 3.0 without the validate job: HTTP 404: not found",
                          unavailable="HTTP 404: not found")),
    Case("r7-validate-required", "r7 with spec.validation.requireValidateJob → ValidationFailed",
         spec(validation={"requireValidateJob": True}), validating_job(job_id="", unavailable="HTTP 501: no"),
         obs(flow()),
         S.FailValidation(C.VALIDATION_SERVICE_UNAVAILABLE, "the Architect validate job could not be used (HTTP "
                          "501: no) and spec.validation.requireValidateJob is true; enable the validate API for this "
                          "org and OAuth client (architect:jobValidate:create), or set requireValidateJob to false to "
                          "release on the other checks")),
    Case("validate-job-never-finishes", "a validate job still running after 120 s counts as unavailable", spec(),
         validating_job(started=121), obs(flow(), recorded_job=JobState("v-1", "Started")),
         S.PassValidation("3.0", ValidationSummary(warnings=1, messages=[ValidationMessage(
             type="Warning", text="the Architect validate job could not be used (validate job v-1 did not finish "
                                  "within 120s); version 3.0 was checked without it (set "
                                  "spec.validation.requireValidateJob: true to require it)")]),
             "validated version 3.0 without the validate job: validate job v-1 did not finish within 120s",
             unavailable="validate job v-1 did not finish within 120s")),
    Case("validate-job-gone", "a validate job that no longer exists is registered again", spec(), validating_job(),
         obs(flow(), recorded_job=None),
         S.Validate("3.0", "validate job v-1 is gone; validating version 3.0 again")),
    Case("validate-job-of-another-version", "a job recorded for another version does not count",
         spec(version="4.0"), validating_job(version="2.5"),
         obs(flow(checked_in_version="4.0"), recorded_job=JobState("v-1", "Success")),
         S.BeginAttempt("4.0", "", "desired version changed to 4.0", "Releasing version 4.0")),
    # ---------------------------------------------------------------- Publishing
    Case("publish", "Publishing → record lastGoodVersion (the live version) and publish", spec(), PUBLISHING,
         obs(flow()), S.StartPublish("3.0", "2.0", "version 3.0 passed validation")),
    Case("publish-first-release", "a first release has no lastGoodVersion", spec(), PUBLISHING,
         obs(flow(published=None)), S.StartPublish("3.0", "", "version 3.0 passed validation")),
    Case("publish-waits-for-a-running-operation", "someone else's publish runs: wait for it (Genesys would refuse "
         "ours with 409) instead of failing", spec(), PUBLISHING, obs(flow(current_operation=current("ui-1", mine=False))),
         S.Wait(6.0, C.PUBLISHING, "Publishing version 3.0: waiting for PUBLISH ui-1 to finish first (timeout 900s)",
                poll=True)),
    Case("publish-busy-past-the-timeout", "a flow busy for the whole timeout: publish anyway (a 409 then decides)",
         spec(publish={"timeoutSeconds": 20}), PUBLISHING,
         obs(flow(current_operation=current("ui-1", mine=False))),
         S.StartPublish("3.0", "2.0", "version 3.0 passed validation")),
    Case("publish-lock-appeared", "a lock taken after validation is checked again before publishing", spec(),
         PUBLISHING, obs(flow(lock=locked_by())), S.FailValidation(C.FLOW_LOCKED, LOCK_FAIL)),
    # ---------------------------------------------------------------- completion: success = read back
    Case("published-read-back", "publishedVersion reads back as the target → published", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(published="3.0", current_operation=done("op-1"))),
         S.PublishSucceeded("3.0", "op-1", "publishedVersion is 3.0")),
    Case("r2-published-other-id", "r2: the flow shows another id for our operation; the version read back decides",
         spec(), status(Phase.PUBLISHING, operation=op()),
         obs(flow(published="3.0", current_operation=done("op-1b"))),
         S.PublishSucceeded("3.0", "op-1b", "publishedVersion is 3.0")),
    Case("our-success-not-read-back", "our operation says SUCCESS but publishedVersion does not read 3.0 yet → "
         "keep polling (success is the version read back)", spec(), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=done("op-1"))),
         S.Wait(2.0, C.PUBLISHING, "Publishing version 3.0: operation op-1 reports SUCCESS; waiting for "
                "publishedVersion to read 3.0 (timeout 900s)", poll=True)),
    Case("ours-running", "our operation still running → poll", spec(), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=current("op-1", status="PENDING_GENERATION"))),
         S.Wait(2.0, C.PUBLISHING, "Publishing version 3.0: operation op-1 is PENDING_GENERATION (timeout 900s)",
                poll=True)),
    Case("r2-ours-running-other-id", "r2: a running PUBLISH of our client with another id is ours", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(current_operation=current("op-1b"))),
         S.Wait(2.0, C.PUBLISHING, "Publishing version 3.0: operation op-1b is STARTED (timeout 900s)", poll=True)),
    # ---------------------------------------------------------------- failure = ours reporting FAILURE, or timeout
    Case("ours-failed", "our operation reports FAILURE → roll back", spec(), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=done("op-1", error="boom"))),
         S.StartRollback("2.0", C.PUBLISH_FAILED, "publishing version 3.0 failed: boom")),
    Case("r2-ours-failed-other-id", "r2: FAILURE of our client's operation with another id is still ours", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(current_operation=done("op-1b", error="boom"))),
         S.StartRollback("2.0", C.PUBLISH_FAILED, "publishing version 3.0 failed: boom")),
    Case("r1-prior-failure-is-not-ours", "r1: the stale read shows the operation that was there at intent time — "
         "a FAILURE of an earlier publish of ours — not visible yet, never a failure", spec(),
         status(Phase.PUBLISHING, operation=op(prior=PRIOR.model_copy(update={"status": "FAILURE"})))  ,
         obs(flow(current_operation=done("op-0", error="old failure"))),
         S.Wait(2.0, C.PUBLISHING, NOT_VISIBLE, poll=True)),
    Case("someone-elses-failure", "a failed PUBLISH of another client is not ours → not visible yet", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow(current_operation=done("ui-1", error="x", mine=False))),
         S.Wait(2.0, C.PUBLISHING, NOT_VISIBLE, poll=True)),
    Case("r1-stale-read", "r1: the read right after the POST still shows the previous operation → not visible yet",
         spec(), status(Phase.PUBLISHING, operation=op()), obs(flow(current_operation=done("op-0"))),
         S.Wait(2.0, C.PUBLISHING, NOT_VISIBLE, poll=True)),
    Case("no-current-operation", "no currentOperation at all → not visible yet", spec(),
         status(Phase.PUBLISHING, operation=op()), obs(flow()), S.Wait(2.0, C.PUBLISHING, NOT_VISIBLE, poll=True)),
    Case("grace-end-cuts-the-wait", "the last wait of the grace ends with it", spec(),
         status(Phase.PUBLISHING, operation=op(started=200, posted=29)), obs(flow()),
         S.Wait(1.0, C.PUBLISHING, NOT_VISIBLE, poll=True)),
    Case("r4-r5-ignored", "r4/r5: acknowledged but nothing visible 30 s later → the POST changed nothing", spec(),
         status(Phase.PUBLISHING, operation=op(started=31, posted=30)),
         obs(flow(current_operation=done("op-0")), operation_reads=3), S.ReleaseFailed(C.PUBLISH_IGNORED, IGNORED)),
    Case("r4-r5-too-few-reads", "… but a tight rate limit left only 2 reads in those 30 s: a read may lag by count "
         "(R1), so read again before concluding", spec(),
         status(Phase.PUBLISHING, operation=op(started=31, posted=30)),
         obs(flow(current_operation=done("op-0")), operation_reads=2),
         S.Wait(6.2, C.PUBLISHING, "Publishing version 3.0: no sign of it on the flow after the 30s grace, but only "
                "2 of 3 reads so far (a read may lag by count); reading again before concluding", poll=True)),
    Case("publish-timeout", "no completion within publish.timeoutSeconds → rollback", spec(),
         status(Phase.PUBLISHING, operation=op(started=901)), obs(flow(current_operation=current("op-1"))),
         S.StartRollback("2.0", C.PUBLISH_TIMED_OUT, "publishing version 3.0 did not finish within "
                         "spec.publish.timeoutSeconds (900s)")),
    Case("publish-failed-no-rollback", "rollback.strategy None → stalled without rollback",
         spec(rollback={"strategy": "None"}), status(Phase.PUBLISHING, operation=op()),
         obs(flow(current_operation=done("op-1", error="boom"))),
         S.NoRollback(C.ROLLBACK_DISABLED, C.PUBLISH_FAILED, "publishing version 3.0 failed: boom; "
                      "spec.rollback.strategy is None, so nothing is rolled back")),
    Case("publish-failed-first-release", "first release ever fails → nothing to roll back to", spec(),
         status(Phase.PUBLISHING, operation=op(), last_good_version="", published_version=""),
         obs(flow(published=None, current_operation=done("op-1", error="boom"))),
         S.NoRollback(C.NOTHING_TO_ROLL_BACK_TO, C.PUBLISH_FAILED, "publishing version 3.0 failed: boom; nothing to "
                      "roll back to (no earlier published version)")),
    # ---------------------------------------------------------------- refusals are facts the planner decides on
    Case("refused-400", "a publish refused with 400 (e.g. r4 refuse of an older version) stalls, naming why", spec(),
         status(Phase.PUBLISHING, operation=op(posted=None, refused=refused(400, "Version 3.0 is older")))  ,
         obs(flow()), S.ReleaseFailed(C.INVALID_REQUEST, "publish failed: Version 3.0 is older")),
    Case("refused-409-busy", "409 with no lock in sight means busy (perhaps hidden by a lagging read, r1): look "
         "again in 5 s, whatever the lockPolicy", spec(),
         status(Phase.PUBLISHING, operation=op(posted=None, refused=refused(409, "Flow is busy"))),
         obs(flow()), S.Wait(4.0, C.CONFLICT, "publish met a conflict (Flow is busy); looking again in 5s")),
    Case("refused-409-still-busy", "… and while an operation runs, keeps looking", spec(),
         status(Phase.PUBLISHING, operation=op(posted=None, refused=refused(409, "Flow is busy", seconds=6))),
         obs(flow(current_operation=current("ui-1", mine=False))),
         S.Wait(5.0, C.CONFLICT, "publish met a conflict (Flow is busy); looking again in 5s")),
    Case("refused-409-idle-again", "… then, 5 s later with the flow idle, sends it again (after that observation)",
         spec(), status(Phase.PUBLISHING, operation=op(posted=None, refused=refused(409, "Flow is busy", seconds=6))),
         obs(flow()), S.ResendOperation("publish met a conflict 5s ago; the flow is idle now")),
    Case("refused-409-locked-fail", "409 and a lock someone holds: lockPolicy Fail names the holder", spec(),
         status(Phase.PUBLISHING, operation=op(posted=None, refused=refused(409, "locked"))),
         obs(flow(lock=locked_by())), S.FailValidation(C.FLOW_LOCKED, LOCK_FAIL)),
    Case("refused-409-for-the-whole-timeout", "409 for the whole publish timeout → Failed (Conflict)", spec(),
         status(Phase.PUBLISHING, operation=op(started=901, posted=None, refused=refused(409, "Flow is busy")))  ,
         obs(flow()), S.ReleaseFailed(C.CONFLICT, "publish failed: Genesys kept answering 409 for 900s: Flow is busy")),
    # ---------------------------------------------------------------- resume after a crash (intent, no acknowledgement)
    Case("resume-unacked-looks-first", "intent without acknowledgement: the POST may have gone out; look for it "
         "for the grace before sending (never two POSTs without an observation and a wait)", spec(),
         status(Phase.PUBLISHING, operation=op(id="", posted=None)), obs(flow(current_operation=done("op-0"))),
         S.Wait(2.0, C.PUBLISHING, UNACKED, poll=True)),
    Case("resume-unacked-sends", "intent without acknowledgement and no sign of it for 30 s → it never reached "
         "Genesys: send it", spec(), status(Phase.PUBLISHING, operation=op(id="", started=31, posted=None)),
         obs(flow(current_operation=done("op-0")), operation_reads=3),
         S.ResendOperation("no sign of Publishing version 3.0 30s after its intent was recorded: the request never "
                           "reached Genesys")),
    Case("resume-unacked-too-few-reads", "… a restarted engine has read the flow once since: never resend on one "
         "read, which may be stale", spec(), status(Phase.PUBLISHING, operation=op(id="", started=31, posted=None)),
         obs(flow(current_operation=done("op-0"))),
         S.Wait(6.2, C.PUBLISHING, "Publishing version 3.0: no sign of it on the flow after the 30s grace, but only "
                "1 of 3 reads so far (a read may lag by count); reading again before concluding", poll=True)),
    Case("resume-adopt", "intent without acknowledgement + our PUBLISH running → adopt, never POST again", spec(),
         status(Phase.PUBLISHING, operation=op(id="", posted=None)), obs(flow(current_operation=current("op-7"))),
         S.AdoptOperation("op-7", ADOPT)),
    Case("resume-adopt-failed", "intent without acknowledgement + our failed PUBLISH → adopt it (then roll back)",
         spec(), status(Phase.PUBLISHING, operation=op(id="", posted=None)),
         obs(flow(current_operation=done("op-7", error="x"))), S.AdoptOperation("op-7", ADOPT)),
    Case("resume-someone-else", "intent without acknowledgement + someone else's PUBLISH → not ours, keep looking",
         spec(), status(Phase.PUBLISHING, operation=op(id="", posted=None)),
         obs(flow(current_operation=current("ui-7", mine=False))), S.Wait(2.0, C.PUBLISHING, UNACKED, poll=True)),
    Case("resume-already-live", "intent without acknowledgement but the version is live → done", spec(),
         status(Phase.PUBLISHING, operation=op(id="", posted=None)), obs(flow(published="3.0")),
         S.PublishSucceeded("3.0", "", "publishedVersion is 3.0")),
    Case("operation-beats-new-generation", "in-flight work is finished before a new attempt", spec(version="4.0"),
         status(Phase.PUBLISHING, operation=op()), obs(flow(published="3.0")),
         S.PublishSucceeded("3.0", "op-1", "publishedVersion is 3.0"), generation=2),
    # ---------------------------------------------------------------- rollback route 1: republish lastGoodVersion
    Case("rb-confirm-without-post", "the failed publish left lastGoodVersion live → confirmed, no POST", spec(),
         rb(), obs(flow(published="2.0", current_operation=done("op-1", error="x"))),
         S.RollbackSucceeded("2.0", "republish", "publishedVersion reads back 2.0")),
    Case("rb-waits-for-idle", "something still runs on the flow → nothing is sent yet", spec(), rb(),
         obs(flow(published="3.0", current_operation=current("op-1"))),
         S.Wait(4.0, C.ROLLING_BACK, "Rolling back to version 2.0 (route republish): waiting for PUBLISH op-1 to "
                "finish first (timeout 900s)", poll=True)),
    Case("rb-republish", "idle → publish lastGoodVersion", spec(), rb(), obs(LIVE_3),
         S.StartRollbackPublish("2.0", "publish lastGoodVersion 2.0 again")),
    Case("rb-republish-live", "lastGoodVersion reads back with the flow idle → RolledBack", spec(),
         rb(operation=REPUBLISH_OP), obs(flow(published="2.0", current_operation=done("p-2"))),
         S.RollbackSucceeded("2.0", "republish", "publishedVersion reads back 2.0")),
    Case("rb-republish-live-busy", "read back but the timed-out publish still runs → wait", spec(),
         rb(operation=REPUBLISH_OP), obs(flow(published="2.0", current_operation=current("op-1"))),
         S.Wait(2.0, C.ROLLING_BACK, "Rolling back: publishing version 2.0 (route republish): version is live; "
                "waiting for the flow to be idle (timeout 900s)", poll=True)),
    Case("r1-rb-stale", "r1: the read after the rollback POST shows the failed version → not visible yet", spec(),
         rb(operation=REPUBLISH_OP), obs(LIVE_3),
         S.Wait(2.0, C.ROLLING_BACK, "Rolling back: publishing version 2.0 (route republish): Genesys acknowledged it;"
                " not visible on the flow yet (looking for up to 30s after the acknowledgement, timeout 900s)",
                poll=True)),
    Case("r4-rb-refused", "r4 refuse: 400 on publishing the older version → next route: restore", spec(),
         rb(operation=REPUBLISH_OP.model_copy(update={"posted_at": "", "refused": refused(400, "older")})),
         obs(LIVE_3), S.LeaveRoute("republish", "refused", "publishing version 2.0 was refused: older", "restore")),
    Case("r4-rb-ignored", "r4 ignore: 200 but nothing of ours visible 30 s later → next route: restore", spec(),
         rb(operation=op("rollback", id="p-2", version="2.0", started=40, posted=31, prior_version="3.0")),
         obs(LIVE_3, operation_reads=3),
         S.LeaveRoute("republish", "ignored", "Genesys acknowledged publishing version 2.0 but 30s later nothing of "
                      "ours is on the flow and publishedVersion is still 3.0", "restore")),
    Case("rb-unacked-looks-first", "a restart finds the rollback POST recorded, not acknowledged: look first", spec(),
         rb(operation=op("rollback", id="", version="2.0", posted=None, prior_version="3.0")), obs(LIVE_3),
         S.Wait(2.0, C.ROLLING_BACK, "Rolling back: publishing version 2.0 (route republish): recorded, not "
                "acknowledged; looking for it on the flow for 30s before taking the next route", poll=True)),
    Case("rb-unacked-never-twice", "… and with no sign of it past the grace the route is left, never POSTed twice "
         "(it may have been sent and ignored, r4)", spec(),
         rb(operation=op("rollback", id="", version="2.0", started=31, posted=None, prior_version="3.0")),
         obs(LIVE_3, operation_reads=3),
         S.LeaveRoute("republish", "ignored", "Rolling back: publishing version 2.0 (route republish) was recorded "
                      "but never acknowledged, and 30s later the flow shows no sign of it (never sent, or sent and "
                      "ignored); not sending it twice", "restore")),
    Case("rb-unacked-adopts", "a restart finds our rollback publish running → adopt it", spec(),
         rb(operation=op("rollback", id="", version="2.0", posted=None, prior_version="3.0")),
         obs(flow(published="3.0", current_operation=current("p-9"))),
         S.AdoptOperation("p-9", "the rollback intent was recorded but its acknowledgement was not; the flow shows "
                          "our operation started after it: adopting it, never posting again")),
    Case("rb-republish-failed", "our republish reports FAILURE → next route", spec(), rb(operation=REPUBLISH_OP),
         obs(flow(published="3.0", current_operation=done("p-2b", error="no"))),
         S.LeaveRoute("republish", "failed", "publishing version 2.0 failed: no", "restore")),
    Case("rb-republish-timeout", "a route bounded by the publish timeout → next route", spec(),
         rb(rolling(started=901), operation=op("rollback", id="p-2", version="2.0", started=900, posted=899)),
         obs(flow(published="3.0", current_operation=current("p-2"))),
         S.LeaveRoute("republish", "timedOut", "publishing version 2.0 did not finish within 900s; publishedVersion "
                      "is 3.0", "restore")),
    Case("rb-route-timeout-idle", "a route with nothing in flight past its timeout is left", spec(),
         rb(rolling("restore", started=901)), obs(flow(published="3.0", current_operation=current("x", mine=False))),
         S.LeaveRoute("restore", "timedOut", "no progress within 900s (publishedVersion is 3.0)", "reimport")),
    Case("rb-flow-gone", "the flow disappears during the rollback → Failed", spec(), rb(), obs(None),
         S.ReleaseFailed(C.ROLLBACK_FAILED, "the flow disappeared (deleted?) during the rollback")),
    # ---------------------------------------------------------------- rollback route 2: restore as a new version
    Case("rb-restore-create", "route restore → save the old configuration as a new draft", spec(),
         rb(rolling("restore")), obs(LIVE_3),
         S.StartRestore("2.0", "save the configuration of version 2.0 as a new version")),
    Case("rb-restore-adopt-draft", "a restart finds the draft our unacknowledged POST created", spec(),
         rb(rolling("restore"), operation=op("restore", id="", version="2.0", posted=None, prior=None,
                                             prior_version="")),
         obs(flow(published="3.0", saved_version=DRAFT)), S.AdoptDraft(DRAFT, f"the flow shows draft {DRAFT}, saved "
                                                                          "after our intent")),
    Case("rb-restore-refused", "saving the draft refused → next route: reimport", spec(),
         rb(rolling("restore"), operation=op("restore", id="", version="2.0", posted=None,
                                             refused=refused(400, "bad configuration"))), obs(LIVE_3),
         S.LeaveRoute("restore", "refused", "saving the configuration of version 2.0 as a new version was refused: "
                      "bad configuration", "reimport")),
    Case("rb-restore-checkin", "draft recorded → check it in", spec(), rb(rolling("restore", draft_version=DRAFT)),
         obs(LIVE_3), S.StartCheckin(DRAFT, f"check in draft {DRAFT}")),
    Case("r1-rb-checkin-stale", "r1: right after the check-in the read shows the previous state → not visible yet",
         spec(), rb(rolling("restore", draft_version=DRAFT), operation=CHECKIN), obs(LIVE_3),
         S.Wait(2.0, C.RESTORING, f"Checking in restored draft {DRAFT}: Genesys acknowledged it; not visible on the "
                "flow yet (looking for up to 30s after the acknowledgement, timeout 900s)", poll=True)),
    Case("rb-checkin-running", "our check-in running → poll", spec(),
         rb(rolling("restore", draft_version=DRAFT), operation=CHECKIN),
         obs(flow(published="3.0", current_operation=current("c-1", action="CHECKIN"))),
         S.Wait(2.0, C.RESTORING, f"Checking in restored draft {DRAFT}: check-in c-1 is STARTED (timeout 900s)",
                poll=True)),
    Case("r3-rb-checkin-renumbered", "r3: check-in renumbers the saved_version draft; the restored version is what "
         "the org reports as checkedInVersion", spec(),
         rb(rolling("restore", draft_version=DRAFT), operation=CHECKIN),
         obs(flow(published="3.0", checked_in_version="4.0", current_operation=done("c-1b", action="CHECKIN"))),
         S.CheckinSucceeded("4.0", f"checkedInVersion is 4.0 after our check-in of draft {DRAFT}")),
    Case("rb-checkin-failed", "our check-in FAILURE → next route", spec(),
         rb(rolling("restore", draft_version=DRAFT), operation=CHECKIN),
         obs(flow(published="3.0", current_operation=done("c-1", action="CHECKIN", error="invalid"))),
         S.LeaveRoute("restore", "failed", f"checking in draft {DRAFT} failed: invalid", "reimport")),
    Case("rb-checkin-refused", "check-in refused → next route", spec(),
         rb(rolling("restore", draft_version=DRAFT),
            operation=CHECKIN.model_copy(update={"posted_at": "", "refused": refused(409, "not checked out")})),
         obs(LIVE_3), S.LeaveRoute("restore", "refused", f"checking in draft {DRAFT} was refused: not checked out",
                                   "reimport")),
    Case("rb-restore-publish", "restored version recorded → publish it", spec(),
         rb(rolling("restore", draft_version=DRAFT, restored_version="4.0")), obs(LIVE_3),
         S.StartRollbackPublish("4.0", "restored version 4.0 is checked in; publish it")),
    Case("rb-restore-confirmed", "the restored copy reads back → RolledBack with both ids recorded", spec(),
         rb(rolling("restore", draft_version=DRAFT, restored_version="4.0"),
            operation=op("rollback", id="p-4", version="4.0", prior_version="3.0")),
         obs(flow(published="4.0", current_operation=done("p-4"))),
         S.RollbackSucceeded("4.0", "restore", "publishedVersion reads back 4.0")),
    # ---------------------------------------------------------------- rollback route 3: re-import the export
    Case("rb-reimport-export", "route reimport → export the last good version first", spec(),
         rb(rolling("reimport")), obs(LIVE_3),
         S.StartExportJob("2.0", "export version 2.0 as Archy YAML to re-import it")),
    Case("rb-reimport-export-running", "the export job is polled", spec(),
         rb(rolling("reimport"), job=JobRecord(kind="export", id="x-2", version="2.0", started_at=ago(5))),
         obs(LIVE_3, recorded_job=JobState("x-2", "Started")),
         S.Wait(1.0, C.REIMPORTING, "Rolling back to version 2.0 (route reimport): export job x-2 is Started",
                poll=True)),
    Case("rb-reimport-start", "export done → import its YAML as a new version", spec(),
         rb(rolling("reimport"), job=JobRecord(kind="export", id="x-2", version="2.0", started_at=ago(5))),
         obs(LIVE_3, recorded_job=JobState("x-2", "Success", download_url="http://dl/x-2")),
         S.StartReimport("2.0", "http://dl/x-2", "import the export of version 2.0 as a new version")),
    Case("rb-reimport-export-failed", "the export fails on the last route → rollback failed", spec(),
         rb(rolling("reimport"), job=JobRecord(kind="export", id="x-2", version="2.0", started_at=ago(5))),
         obs(LIVE_3, recorded_job=JobState("x-2", "Failure", messages=(JobMessage("Error", "archy"),))),
         S.LeaveRoute("reimport", "failed", "exporting version 2.0 failed: archy", None)),
    Case("r6-rb-reimport-registered", "r6: the re-import job says Registered after an acknowledged upload → running",
         spec(), rb(rolling("reimport"), operation=op("reimport", id="j-2", version="2.0", prior_version="3.0")),
         obs(LIVE_3, job=JobState("j-2", "Registered")),
         S.Wait(2.0, C.REIMPORTING, "Re-importing the export of version 2.0: Architect job j-2 is Registered "
                "(timeout 900s)", poll=True)),
    Case("rb-reimport-landed", "the re-import published a new version → RolledBack", spec(),
         rb(rolling("reimport"), operation=op("reimport", id="j-2", version="2.0", prior_version="3.0")),
         obs(flow(published="5.0", current_operation=done("imp", mine=True)), job=JobState("j-2", "Success")),
         S.RollbackSucceeded("5.0", "reimport", "the re-import published version 5.0")),
    Case("r1-rb-reimport-stale", "r1 after a job's success: publishedVersion still the failed one → note it, wait",
         spec(), rb(rolling("reimport"), operation=op("reimport", id="j-2", version="2.0", prior_version="3.0")),
         obs(LIVE_3, job=JobState("j-2", "Success")),
         S.ImportJobSucceeded("Architect job j-2 succeeded; waiting for the flow to show it")),
    Case("rb-reimport-failed", "the re-import job fails on the last route → rollback failed", spec(),
         rb(rolling("reimport"), operation=op("reimport", id="j-2", version="2.0", prior_version="3.0")),
         obs(LIVE_3, job=JobState("j-2", "Failure")),
         S.LeaveRoute("reimport", "failed", "the re-import job j-2 failed: Genesys reported Failure without any "
                      "message; open the job in Genesys Cloud or run `archy publish` on the same file to see why", None)),
    # ---------------------------------------------------------------- Verifying: the breach is the planner's call
    Case("r9-deleted-while-verifying", "r9: the flow is gone (404/410) while verifying → Failed, naming it",
         spec(verify=CANARY), status(Phase.VERIFYING, published_version="3.0"), obs(None),
         S.ReleaseFailed(C.FLOW_NOT_FOUND, "the flow was deleted (or is no longer found) while version 3.0 was "
                         "verifying; check spec.flow and the flow in Genesys Cloud")),
    Case("verify-none", "no verify stages → Exporting", spec(), status(Phase.VERIFYING, published_version="3.0"),
         obs(flow(published="3.0")), S.VerificationPassed(C.NO_VERIFY_STAGES)),
    Case("verify-start", "Verifying → start the first stage", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0"), obs(flow(published="3.0")),
         S.StartVerifyStage(BAKE, "first verify stage")),
    Case("verify-bake", "a stage bakes without blocking; the message is the same on every look", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0",
                verification=VerificationProgress(stage="bake", started_at=ago(100), window_seconds=600)),
         obs(flow(published="3.0")),
         S.Wait(500.0, C.BAKING, "Baking version 3.0 in stage 'bake' for 600s, until 2026-01-01T12:08:20Z")),
    Case("verify-settle", "the window closed: wait settleSeconds for metrics still being ingested", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0",
                verification=VerificationProgress(stage="bake", started_at=ago(650), window_seconds=600)),
         obs(flow(published="3.0")),
         S.Wait(70.0, C.BAKING, "Stage 'bake' closed its 600s window; waiting 120s for Genesys to ingest its "
                "metrics, until 2026-01-01T12:01:10Z")),
    Case("verify-sample", "baked and settled → read the version's aggregates over the window", spec(verify=CANARY),
         status(Phase.VERIFYING, published_version="3.0",
                verification=VerificationProgress(stage="bake", started_at=ago(720), window_seconds=600)),
         obs(flow(published="3.0")), S.SampleVerifyStage(BAKE, 600, "stage 'bake' baked 600s and settled")),
    Case("verify-breach", "the version's own outcomes breach → roll back (decided here)",
         spec(verify=CANARY), status(Phase.VERIFYING, published_version="3.0", verification=baked(100, 30)),
         obs(flow(published="3.0")),
         S.StartRollback("2.0", C.HEALTH_BREACH, BREACH_30, stage_record=record("breached", BREACH_30, SIGNALS_30))),
    Case("verify-breach-no-rollback", "a breach with rollback.strategy None → Failed, the version stays",
         spec(verify=CANARY, rollback={"strategy": "None"}),
         status(Phase.VERIFYING, published_version="3.0", verification=baked(100, 30)), obs(flow(published="3.0")),
         S.NoRollback(C.ROLLBACK_DISABLED, C.HEALTH_BREACH, BREACH_30 + "; spec.rollback.strategy is None, so "
                      "nothing is rolled back", stage_record=record("breached", BREACH_30, SIGNALS_30))),
    Case("verify-healthy-next", "a healthy stage → the next stage", spec(verify=TWO_STAGES),
         status(Phase.VERIFYING, published_version="3.0", verification=baked(100, 1)), obs(flow(published="3.0")),
         S.PassVerifyStage(BAKE, SOAK, HEALTHY_1, record("passed", HEALTHY_1, SIGNALS_1))),
    Case("verify-quiet-extends", "fewer entries than minSamples is not healthy: Extend bakes on (the default)",
         spec(verify=CANARY), status(Phase.VERIFYING, published_version="3.0", verification=baked(5, 0)),
         obs(flow(published="3.0")),
         S.ExtendVerifyStage(BAKE, 600, QUIET_5 + "; baking 600 s longer (up to maxBakeSeconds 1800)",
                             record("insufficientData", QUIET_5 + "; baking 600 s longer (up to maxBakeSeconds "
                                    "1800)", SIGNALS_5))),
    Case("verify-check-first-attempt", "analytics healthy, a check not tried yet → run it", spec(verify=VERIFY_WITH_CHECK),
         status(Phase.VERIFYING, published_version="3.0", verification=baked(100, 1)), obs(flow(published="3.0")),
         S.RunCheck(CHECKED_STAGE, CHECKED_STAGE.checks[0], 1, "check 'synthetic' of stage 'bake'")),
    Case("verify-check-failed-rolls-back", "the check failed on its last attempt → roll back (CheckFailed)",
         spec(verify=VERIFY_WITH_CHECK),
         status(Phase.VERIFYING, published_version="3.0", verification=baked(100, 1, checks=[check_record(3, 503)])),
         obs(flow(published="3.0")),
         S.StartRollback("2.0", C.CHECK_FAILED, CHECK_FAILED_MSG,
                         stage_record=record("checkFailed", CHECK_FAILED_MSG, SIGNALS_1,
                                             [check_record(3, 503, judged=CHECK_503)]))),
    # ---------------------------------------------------------------- Exporting (the export job, polled here)
    Case("export", "Exporting with spec.export.git and a store → register the export job", spec(export=GIT),
         exporting(), obs(flow(published="3.0"), can_export=True),
         S.StartExportJob("3.0", "export what went live to git")),
    Case("export-running", "the export job is polled", spec(export=GIT), exporting(job=export_job()),
         obs(flow(published="3.0"), can_export=True, recorded_job=JobState("x-1", "Started")),
         S.Wait(1.0, C.EXPORTING, "Exporting version 3.0: export job x-1 is Started", poll=True)),
    Case("export-store", "the export job succeeded → download and commit", spec(export=GIT), exporting(job=export_job()),
         obs(flow(published="3.0"), can_export=True,
             recorded_job=JobState("x-1", "Success", download_url="http://dl/x-1")),
         S.StoreArtifact("3.0", "http://dl/x-1", "export job x-1 succeeded")),
    Case("export-job-failed", "Archy's internal 429 is an export failure, retried with backoff", spec(export=GIT),
         exporting(job=export_job()),
         obs(flow(published="3.0"), can_export=True,
             recorded_job=JobState("x-1", "Failure", messages=(JobMessage("Error", "exit code 107"),), throttled=True)),
         S.ExportJobFailed("the export job x-1 of version 3.0 failed (Archy's internal rate limit): exit code 107")),
    Case("export-job-stuck", "an export job not done in 90 s is an export failure", spec(export=GIT),
         exporting(job=export_job(started=91)),
         obs(flow(published="3.0"), can_export=True, recorded_job=JobState("x-1", "Started")),
         S.ExportJobFailed("the export job x-1 of version 3.0 did not finish within 90s")),
    Case("export-backoff", "a transient export failure waits as long again as it has been failing (≥ 15 s)",
         spec(export=GIT),
         exporting(export_failure=ExportFailure(version="3.0", message="push failed", since=ago(100), at=ago(20))),
         obs(flow(published="3.0"), can_export=True),
         S.Wait(60.0, C.EXPORT_FAILED, "Export of version 3.0 failed; retrying at 2026-01-01T12:01:00Z (the version "
                "stays live): push failed")),
    Case("export-retry-due", "the backoff is over → export again", spec(export=GIT),
         exporting(export_failure=ExportFailure(version="3.0", message="push failed", since=ago(40), at=ago(30))),
         obs(flow(published="3.0"), can_export=True), S.StartExportJob("3.0", "export what went live to git")),
    Case("export-permanent", "a permanent export error stalls (the flow stays live), not retried until the timeout",
         spec(export=GIT),
         exporting(export_failure=ExportFailure(version="3.0", message="bad token", permanent=True, since=ago(1),
                                                at=ago(1))),
         obs(flow(published="3.0"), can_export=True), S.StallExport("bad token")),
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
    Case("rollback-finishes-before-a-new-attempt", "a rollback in progress is finished before a spec change starts "
         "a new attempt", spec(version="4.0"), rb(), obs(LIVE_3),
         S.StartRollbackPublish("2.0", "publish lastGoodVersion 2.0 again"), generation=2),
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
    Case("first-pass-error-stays", "an auth failure on the very first pass (observedGeneration written, no attempt) "
         "stays stalled until asked", spec(),
         status(Phase.FAILED, observed_generation=1, attempt_generation=None,
                conditions=[cond(C.STALLED, "True", C.AUTHENTICATION_FAILED, "a")]),
         obs(flow()), S.Stall(C.AUTHENTICATION_FAILED, "a")),
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
    Case("import-running", "Architect job Started → poll later", spec(source=SOURCE), importing(),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Started")),
         S.Wait(2.0, C.IMPORTING, "Importing the Archy source: Architect job job-1 is Started (timeout 900s)",
                poll=True)),
    Case("r6-import-registered-after-upload", "r6: Registered after an acknowledged upload means still running; "
         "never imported again", spec(source=SOURCE), importing(),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Registered")),
         S.Wait(2.0, C.IMPORTING, "Importing the Archy source: Architect job job-1 is Registered (timeout 900s)",
                poll=True)),
    Case("import-upload-unacked-waits", "a restart finds the job Registered and no acknowledged upload: wait for it "
         "to start", spec(source=SOURCE), importing(posted=None),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Registered")),
         S.Wait(2.0, C.IMPORTING, "Importing the Archy source: the upload was not acknowledged; waiting up to 60s for "
                "the job to start before importing again", poll=True)),
    Case("import-never-uploaded", "Registered and never acknowledged for 60 s → the file never arrived: import again",
         spec(source=SOURCE), importing(posted=None, started=61),
         obs(flow(), source=PREPARED, job=JobState("job-1", "Registered")),
         S.StartImport(PREPARED, "2.0", "the Architect job never received its file (60s without starting); importing "
                       "again")),
    Case("import-intent-only", "an import intent with no job id: look first, then register", spec(source=SOURCE),
         importing(id="", posted=None, started=31), obs(flow(), source=PREPARED),
         S.StartImport(PREPARED, "2.0", "the Architect job never received its file (30s without starting); importing "
                       "again")),
    Case("import-failed", "Architect job Failure → ValidationFailed with its messages", spec(source=SOURCE),
         importing(), obs(flow(), source=PREPARED,
                           job=JobState("job-1", "Failure", messages=(JobMessage("Error", "queue 'X' not found"),))),
         S.FailValidation(C.IMPORT_FAILED, "the Architect job job-1 failed: queue 'X' not found")),
    Case("r6-import-failed-without-messages", "r6: a Failure without messages still fails, with a clear message",
         spec(source=SOURCE), importing(), obs(flow(), source=PREPARED, job=JobState("job-1", "Failure")),
         S.FailValidation(C.IMPORT_FAILED, "the Architect job job-1 failed: Genesys reported Failure without any "
                          "message; open the job in Genesys Cloud or run `archy publish` on the same file to see why")),
    Case("import-succeeded", "Architect job Success and publishedVersion moved → that version is desired",
         spec(source=SOURCE), importing(), obs(flow(published="4.0"), source=PREPARED,
                                               job=JobState("job-1", "Success", flow_id="f-1")),
         S.ImportSucceeded(IDENTITY, "4.0", "Architect job job-1 succeeded; publishedVersion is 4.0")),
    Case("r1-import-stale", "r1: Success but the read still shows the version from before → note it, never take the "
         "stale one", spec(source=SOURCE), importing(),
         obs(flow(published="2.0"), source=PREPARED, job=JobState("job-1", "Success", flow_id="f-1")),
         S.ImportJobSucceeded("Architect job job-1 succeeded; waiting for the flow to show it")),
    Case("r1-import-stale-waits", "r1: … and waits for the read-back within the grace", spec(source=SOURCE),
         importing(completed_at=ago(5)),
         obs(flow(published="2.0"), source=PREPARED, job=JobState("job-1", "Success", flow_id="f-1")),
         S.Wait(1.0, C.IMPORTING, "Importing the Archy source: the Architect job succeeded; waiting for "
                "publishedVersion to show the new version (up to 30s)", poll=True)),
    Case("import-read-back-too-few-reads", "r1: the grace is over but only 2 reads since the job's success (a "
         "tight rate limit) → read again, a read may lag by count", spec(source=SOURCE),
         importing(completed_at=ago(31)),
         obs(flow(published="2.0"), source=PREPARED, job=JobState("job-1", "Success", flow_id="f-1"),
             operation_reads=2),
         S.Wait(6.2, C.IMPORTING, "Importing the Archy source: the Architect job succeeded and the 30s grace is "
                "over, but only 2 of 3 reads since (a read may lag by count); reading again before concluding",
                poll=True)),
    Case("import-never-read-back", "Success, the grace over and 3 reads since, the new version never reads back "
         "→ Failed, not guessed", spec(source=SOURCE), importing(completed_at=ago(31)),
         obs(flow(published="2.0"), source=PREPARED, job=JobState("job-1", "Success", flow_id="f-1"),
             operation_reads=3),
         S.ReleaseFailed(C.IMPORT_NOT_PUBLISHED, "Architect job job-1 succeeded but publishedVersion is still 2.0; "
                         "check the flow in Genesys Cloud before retrying")),
    Case("import-timeout", "Architect job beyond the timeout → Failed", spec(source=SOURCE), importing(started=901),
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


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_step_kind_is_planned_by_some_case() -> None:
    planned = {type(c.want) for c in CASES} | {type(c.want) for c in PROMOTION_PLAN_CASES}
    assert set(typing.get_args(S.Step)) - planned == set()
