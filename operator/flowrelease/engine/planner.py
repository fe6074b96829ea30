"""The release planner: PURE. `(spec, status, observation, now, generation, requested_at) -> Step`.

It reads frozen values and returns the next action with its reason; it never awaits, reads a clock or
touches Genesys. The orchestrator (`reconciler.py`) executes the step, persists, observes and asks again.

Order of decisions, each a rule of DESIGN §2:

1. suspend wins;
2. record which flow the release manages; another release that owns it (the oldest claim) holds this one
   back (`FlowConflict`, nothing published) — see `flow_ownership`;
3. a settled failure (ValidationFailed, RolledBack, Failed) stays stalled until the generation changes, the
   desired version/source changes, or a reconcile is requested (failedVersion is not retried: Flux #2285);
4. an in-flight side effect recorded in status is resumed, never repeated (`in_flight`, crash safety);
5. a rollback in progress is finished first, route by route (`rollback_routes`);
6. a new generation, request or desired version starts a new attempt (Validating);
7. otherwise the phase decides: Validating → Publishing → Verifying → Exporting → Ready (+ drift).
"""

from __future__ import annotations

from datetime import datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    Condition,
    FlowIdentity,
    FlowReleaseSpec,
    FlowReleaseStatus,
    Phase,
    ValidationMessage,
    ValidationSummary,
)
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem
from flowrelease.engine.bounds import (
    EXPORT_JOB_TIMEOUT_SECONDS,
    VALIDATE_JOB_TIMEOUT_SECONDS,
    export_check_retry_delay,
    export_retry_delay,
)
from flowrelease.engine.evidence import parse_time
from flowrelease.engine.flow_ownership import flow_conflict_message
from flowrelease.engine.in_flight import resume
from flowrelease.engine.judgement import check_job, identity_mismatch, summarize_job
from flowrelease.engine.locks import attempt_started, attempt_started_at, lock_step
from flowrelease.engine.poll_schedule import PUSHED_POLL, PollSchedule
from flowrelease.engine.ports import JobState, ServiceUnavailable
from flowrelease.engine.promotion_gate import PROMOTION_RECHECK_SECONDS, hold_for_promotion, record_change
from flowrelease.engine.rollback_routes import plan_rollback, rollback_step
from flowrelease.engine.situation import Situation
from flowrelease.engine.steps import (
    BeginAttempt,
    CheckExportTarget,
    ExportJobFailed,
    FailValidation,
    HoldForPromotion,
    MarkReady,
    Observation,
    PassValidation,
    ReleaseFailed,
    ReportDrift,
    ResolveFlow,
    Settled,
    SkipPublish,
    Stall,
    StallExport,
    StartExportJob,
    StartImport,
    StartPublish,
    Step,
    StoreArtifact,
    Suspend,
    Validate,
    Wait,
    YieldFlow,
)
from flowrelease.engine.verify_plan import plan_verify

__all__ = ["parse_time", "plan", "rollback_step"]

SETTLED_FAILURES = frozenset({Phase.VALIDATION_FAILED, Phase.ROLLED_BACK, Phase.FAILED})
FINISHED_JOB = frozenset({"Success", "Failure"})


def plan(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    *,
    now: datetime,
    generation: int,
    requested_at: str = "",
    poll: PollSchedule | None = None,
    pushed_poll: PollSchedule | None = None,
) -> Step:
    """The next step for this release. Pure. `pushed_poll` is the safety-net schedule while notifications
    are live for the flow (default `PUSHED_POLL`)."""
    schedule = poll or PollSchedule()
    if spec.suspend:
        return Suspend()
    flow = observation.flow
    if flow is not None:
        identity = FlowIdentity(id=flow.id, name=flow.name, type=flow.type)
        if status.flow != identity:
            return ResolveFlow(identity)
        if observation.flow_owner is not None:
            return YieldFlow(observation.flow_owner, flow_conflict_message(observation.flow_owner, flow))

    fresh = _fresh_reason(spec, status, observation, generation, requested_at)
    if status.phase in SETTLED_FAILURES and not fresh:
        return _stay_stalled(status)
    situation = Situation(spec, status, observation, now, schedule, pushed_poll or PUSHED_POLL)
    if status.operation is not None:
        return resume(situation, status.operation)
    if status.phase is Phase.ROLLING_BACK:
        return plan_rollback(situation)
    if fresh or status.phase in (Phase.PENDING, Phase.SUSPENDED):
        return _begin(spec, status, observation, fresh or "first reconcile of this release")
    change = record_change(status, observation)
    if change is not None:
        return change

    desired = desired_version(spec, status, observation)
    if flow is None and status.phase in (Phase.VERIFYING, Phase.EXPORTING):
        return ReleaseFailed(
            C.FLOW_NOT_FOUND,
            f"the flow was deleted (or is no longer found) while version {status.published_version} was "
            f"{status.phase.value.lower()}; check spec.flow and the flow in Genesys Cloud",
        )
    if status.phase in (Phase.VALIDATING, Phase.PUBLISHING):
        return hold_for_promotion(spec, status, observation, now, _before_publish(situation, desired))
    if status.phase is Phase.VERIFYING:
        return plan_verify(situation)
    if status.phase is Phase.EXPORTING:
        return _export(situation)
    if status.phase is Phase.READY:
        return _ready(spec, status, observation)
    return _begin(spec, status, observation, f"phase {status.phase.value} has no next step; starting over")


# ------------------------------------------------------------------------------------------- intent


def desired_version(spec: FlowReleaseSpec, status: FlowReleaseStatus, observation: Observation) -> str | None:
    """The version id to make live; None in mode B while the source has not been imported yet."""
    if spec.version is not None:
        return spec.version
    source = observation.source
    if (
        isinstance(source, PreparedSource)
        and source.digest == status.source_digest
        and status.desired_version
    ):
        return status.desired_version
    if isinstance(source, SourcePending) and status.source_digest and status.desired_version:
        # fromRelease: the upstream is mid-attempt; what this release imported before stays the intent.
        return status.desired_version
    return None


def _fresh_reason(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    generation: int,
    requested_at: str,
) -> str:
    """Why a new attempt is due, or "" when it is not."""
    handled = (
        status.attempt_generation if status.attempt_generation is not None else status.observed_generation
    )
    if handled != generation:
        return f"generation {generation} not yet handled"
    if requested_at and requested_at != status.last_handled_reconcile_at:
        return f"reconcile requested at {requested_at}"
    if spec.version is not None and spec.version != status.desired_version:
        return f"desired version changed to {spec.version}"
    source = observation.source
    if (
        spec.source is not None
        and isinstance(source, PreparedSource | SourceProblem)
        and source.digest != status.source_digest
    ):
        return "the Archy source changed"
    return ""


def _begin(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    why: str,
    *,
    drift: bool = False,
) -> Step:
    source = observation.source
    digest = source.digest if isinstance(source, PreparedSource | SourceProblem) else status.source_digest
    if spec.version is not None:
        return BeginAttempt(spec.version, "", why, f"Releasing version {spec.version}", drift)
    version = status.desired_version if digest == status.source_digest else ""
    return BeginAttempt(version, digest, why, "Releasing the Archy source", drift)


def _stay_stalled(status: FlowReleaseStatus) -> Stall:
    stalled = find_condition(status.conditions, C.STALLED)
    if stalled is not None and stalled.status == "True":
        return Stall(stalled.reason, stalled.message)
    return Stall(
        C.VALIDATION_FAILED, f"release is {status.phase.value}; change the spec or request a reconcile"
    )


# --------------------------------------------------------------------------------- before publishing


def _before_publish(situation: Situation, desired: str | None) -> Step:
    spec, status, observation, now = situation.spec, situation.status, situation.observation, situation.now
    flow = observation.flow
    mismatch = identity_mismatch(spec.flow, flow) if flow is not None else None
    if mismatch:
        return FailValidation(C.FLOW_IDENTITY_MISMATCH, f"spec.flow.id: {mismatch}")
    if desired is None:
        source = observation.source
        if isinstance(source, SourcePending):
            return HoldForPromotion("Waiting", source.message, PROMOTION_RECHECK_SECONDS)
        if spec.source is not None and source is None:
            ref = spec.source.config_map_ref
            if ref is None:
                return FailValidation(
                    C.SOURCE_INVALID, "spec.source.fromRelease: the upstream's export was not read here"
                )
            return FailValidation(
                C.SOURCE_INVALID,
                f"spec.source: ConfigMap '{ref.name}' key '{ref.key}' was not found; create it or fix "
                "spec.source.configMapRef",
            )
        if isinstance(source, SourceProblem):
            return FailValidation(C.SOURCE_INVALID, source.message)
        checking = _export_target(situation)
        if checking is not None:
            return checking
        if flow is not None:
            locked = lock_step(spec, status, flow, now)
            if locked is not None:
                return locked
        assert isinstance(source, PreparedSource)
        last_good = (flow.published_version or "") if flow is not None else ""
        return StartImport(source, last_good, "import and publish the Archy source through an Architect job")
    if flow is None:
        return FailValidation(C.FLOW_NOT_FOUND, _flow_not_found(spec))
    if flow.published_version == desired:
        verified = _verified(status, desired)
        return SkipPublish(desired, verified, f"version {desired} is already live: nothing to publish")
    checking = _export_target(situation)
    if checking is not None:
        return checking
    locked = lock_step(spec, status, flow, now)
    if locked is not None:
        return locked
    if status.phase is Phase.VALIDATING:
        return _gate(situation, desired)
    running = flow.current_operation
    if running is not None and not running.complete:
        waited = (now - attempt_started(status, now)).total_seconds()
        if waited < spec.publish.timeout_seconds:
            # Genesys refuses a publish while another operation runs (409); someone else's publish or
            # check-in finishes in seconds, so wait for it rather than fail or stall on the conflict.
            return situation.poll_wait(
                attempt_started_at(status, now),
                C.PUBLISHING,
                f"Publishing version {desired}: waiting for {running.action_name} {running.id} to finish "
                f"first (timeout {spec.publish.timeout_seconds}s)",
            )
    return StartPublish(desired, flow.published_version or "", f"version {desired} passed validation")


def _export_target(situation: Situation) -> Step | None:
    """Before the attempt's first side effect (unlock, validate job, publish, import): the Git export target,
    checked once. A permanent refusal fails validation (nothing is published); a remote that does not
    answer is checked again with backoff, for at most publish.timeoutSeconds from the attempt's start."""
    spec, status, now = situation.spec, situation.status, situation.now
    if spec.export is None or spec.export.git is None or not situation.observation.can_export:
        return None
    check = status.export_check
    if check is not None and check.checked_at:
        return None
    if check is None:
        return CheckExportTarget("check spec.export.git before anything is published")
    if check.permanent:
        return FailValidation(C.EXPORT_TARGET_INVALID, check.message)
    timeout = spec.publish.timeout_seconds
    waited = (now - attempt_started(status, now)).total_seconds()
    if waited >= timeout:
        return FailValidation(
            C.EXPORT_TARGET_UNREACHABLE,
            f"the export target could not be checked for {int(waited)}s, longer than "
            f"spec.publish.timeoutSeconds ({timeout}s); check the remote and the network, then request a "
            f"reconcile: {check.message}",
        )
    failing_for = situation.since(check.since) - situation.since(check.at)
    retry_at = situation.later(check.at, export_check_retry_delay(failing_for))
    wait = (parse_time(retry_at) - now).total_seconds()
    if wait > 0:
        return Wait(
            min(wait, timeout - waited),
            C.RETRYING,
            f"Checking the export target before publishing failed; retrying at {retry_at} (nothing was "
            f"published): {check.message}",
        )
    return CheckExportTarget("check spec.export.git again before anything is published")


def _gate(situation: Situation, desired: str) -> Step:
    """Validating: the gate's own checks run in `Validate`; then the validate job is polled and judged."""
    status = situation.status
    job = status.job
    if job is None or job.kind != "validate" or job.version != desired:
        return Validate(desired, f"check version {desired} before publishing it")
    if job.unavailable:
        return _without_validate_job(situation, desired, job.unavailable)
    seen = situation.observation.recorded_job
    if isinstance(seen, ServiceUnavailable):
        return _without_validate_job(situation, desired, f"HTTP {seen.status}: {seen.message}")
    if seen is None:
        return Validate(desired, f"validate job {job.id} is gone; validating version {desired} again")
    if seen.status in FINISHED_JOB:
        summary = _with_job(status.validation, seen)
        rejection = check_job(seen, summary, situation.spec.validation.fail_on_warnings)
        if rejection is not None:
            return FailValidation(rejection.reason, rejection.message, summary)
        return PassValidation(desired, summary, f"Architect validate job {seen.id} reported no errors")
    if situation.since(job.started_at) >= VALIDATE_JOB_TIMEOUT_SECONDS:
        return _without_validate_job(
            situation,
            desired,
            f"validate job {job.id} did not finish within {VALIDATE_JOB_TIMEOUT_SECONDS:g}s",
        )
    return situation.poll_wait(
        job.started_at, C.VALIDATING, f"Validating version {desired}: validate job {job.id} is {seen.status}"
    )


def _with_job(before: ValidationSummary | None, job: JobState) -> ValidationSummary:
    """The gate's own notes (kept in status.validation by Validate) plus what the job reported."""
    found = summarize_job(job)
    if before is None:
        return found
    return ValidationSummary(
        errors=before.errors + found.errors,
        warnings=before.warnings + found.warnings,
        messages=[*before.messages, *found.messages],
    )


def _without_validate_job(situation: Situation, desired: str, why: str) -> Step:
    """R7: the preview validate service is unavailable to this org or client."""
    if situation.spec.validation.require_validate_job:
        return FailValidation(
            C.VALIDATION_SERVICE_UNAVAILABLE,
            f"the Architect validate job could not be used ({why}) and spec.validation.requireValidateJob is "
            "true; enable the validate API for this org and OAuth client (architect:jobValidate:create), or "
            "set requireValidateJob to false to release on the other checks",
        )
    note = ValidationMessage(
        type="Warning",
        text=(
            f"the Architect validate job could not be used ({why}); version {desired} was checked without it "
            "(set spec.validation.requireValidateJob: true to require it)"
        ),
    )
    before = situation.status.validation or ValidationSummary()
    summary = before.model_copy(
        update={"warnings": before.warnings + 1, "messages": [*before.messages, note]}
    )
    return PassValidation(
        desired, summary, f"validated version {desired} without the validate job: {why}", unavailable=why
    )


def _flow_not_found(spec: FlowReleaseSpec) -> str:
    if spec.flow.id:
        return f"spec.flow.id: no flow with id '{spec.flow.id}' exists; check the id or use flow.name + type"
    return (
        f"spec.flow: no {spec.flow.type} flow named '{spec.flow.name}' exists; check the exact name and type "
        "(or release it from Archy YAML with spec.source)"
    )


def _verified(status: FlowReleaseStatus, version: str) -> bool:
    healthy = find_condition(status.conditions, C.HEALTHY)
    return status.published_version == version and healthy is not None and healthy.status == "True"


# ------------------------------------------------------------------------------------------- verify


def next_stage_name(spec: FlowReleaseSpec, current: str) -> str:
    """The stage after `current`, or "" when it was the last."""
    names = [stage.name for stage in spec.verify.stages]
    index = names.index(current) if current in names else len(names)
    return names[index + 1] if index + 1 < len(names) else ""


# --------------------------------------------------------------------------------- export and ready


def export_due(spec: FlowReleaseSpec, status: FlowReleaseStatus) -> bool:
    if spec.export is None or spec.export.git is None:
        return False
    return status.artifact is None or status.artifact.version != status.published_version


def _export(situation: Situation) -> Step:
    spec, status, observation = situation.spec, situation.status, situation.observation
    if not export_due(spec, status) or not observation.can_export:
        return MarkReady("verified" + (" and exported" if spec.export and spec.export.git else ""))
    version = status.published_version
    job = status.job
    if job is not None and job.kind == "export" and job.version == version:
        return _export_job(situation, version, job.id, job.started_at, job.unavailable)
    failure = status.export_failure
    if failure is not None and failure.version == version:
        if failure.permanent:
            return StallExport(failure.message)
        failing_for = situation.since(failure.since) - situation.since(failure.at)
        retry_at = situation.later(failure.at, export_retry_delay(failing_for))
        wait = (parse_time(retry_at) - situation.now).total_seconds()
        if wait > 0:
            return Wait(
                wait,
                C.EXPORT_FAILED,
                f"Export of version {version} failed; retrying at {retry_at} (the version stays live): "
                f"{failure.message}",
            )
    return StartExportJob(version, "export what went live to git")


def _export_job(situation: Situation, version: str, job_id: str, started_at: str, refused: str) -> Step:
    if refused:
        return ExportJobFailed(f"exporting version {version} was refused: {refused}")
    seen = situation.observation.recorded_job
    if not isinstance(seen, JobState):
        return ExportJobFailed(f"the export job {job_id} of version {version} is gone")
    if seen.status == "Success" and not seen.download_url:
        return ExportJobFailed(f"the export job {job_id} of version {version} succeeded without downloadUrl")
    if seen.status == "Success":
        return StoreArtifact(version, seen.download_url, f"export job {job_id} succeeded")
    if seen.status == "Failure":
        texts = "; ".join(m.text for m in seen.messages if m.text) or "no messages"
        throttled = " (Archy's internal rate limit)" if seen.throttled else ""
        return ExportJobFailed(f"the export job {job_id} of version {version} failed{throttled}: {texts}")
    if situation.since(started_at) >= EXPORT_JOB_TIMEOUT_SECONDS:
        return ExportJobFailed(
            f"the export job {job_id} of version {version} did not finish within "
            f"{EXPORT_JOB_TIMEOUT_SECONDS:g}s"
        )
    return situation.poll_wait(
        started_at, C.EXPORTING, f"Exporting version {version}: export job {job_id} is {seen.status}"
    )


def drift_message(observed: str | None, expected: str) -> str:
    shown = observed or "nothing"
    return f"publishedVersion is {shown} in Genesys but this release made {expected} live"


def _ready(spec: FlowReleaseSpec, status: FlowReleaseStatus, observation: Observation) -> Step:
    flow = observation.flow
    observed = flow.published_version if flow is not None else None
    drifted = find_condition(status.conditions, C.DRIFTED)
    if observed != status.published_version:
        message = drift_message(observed, status.published_version)
        if spec.drift_policy == "Enforce":
            return _begin(spec, status, observation, f"drift: {message}", drift=True)
        if drifted is not None and drifted.status == "True" and drifted.message == message:
            return Settled("drift already reported (driftPolicy Observe)")
        return ReportDrift(observed or "", status.published_version, message)
    if drifted is not None and drifted.status == "True":
        return MarkReady("drift resolved: publishedVersion is back")
    return Settled()


# ------------------------------------------------------------------------------------------ helpers


def find_condition(conditions: list[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)
