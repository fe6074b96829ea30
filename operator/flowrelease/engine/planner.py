"""The release planner: PURE. `(spec, status, observation, now, generation, requested_at) -> Step`.

It reads frozen values and returns the next action with its reason; it never awaits, reads a clock or
touches Genesys. The orchestrator (`reconciler.py`) executes the step, persists, observes and asks again.

Order of decisions, each a rule of DESIGN §2:

1. suspend wins;
2. record which flow the release manages;
3. a settled failure (ValidationFailed, RolledBack, Failed) stays stalled until the generation changes, the
   desired version/source changes, or a reconcile is requested (failedVersion is not retried: Flux #2285);
4. an in-flight operation recorded in status is resumed, never repeated (crash safety);
5. a new generation, request or desired version starts a new attempt (Validating);
6. otherwise the phase decides: Validating → Publishing → Verifying → Exporting → Ready (+ drift).
"""

from __future__ import annotations

from datetime import datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    Condition,
    FlowIdentity,
    FlowReleaseSpec,
    FlowReleaseStatus,
    OperationRecord,
    Phase,
)
from flowrelease.engine.archy_source import PreparedSource, SourceProblem
from flowrelease.engine.poll_schedule import PollSchedule
from flowrelease.engine.ports import FlowState, LockHolder
from flowrelease.engine.steps import (
    AdoptOperation,
    BeginAttempt,
    CheckinRestored,
    CreateRestoredVersion,
    Export,
    FailValidation,
    ForceUnlock,
    ImportSucceeded,
    JudgeVerifyStage,
    MarkReady,
    NoRollback,
    Observation,
    PostPublish,
    PublishSucceeded,
    ReleaseFailed,
    ReportDrift,
    ResolveFlow,
    RollbackSucceeded,
    Settled,
    SkipPublish,
    Stall,
    StartImport,
    StartPublish,
    StartRollback,
    StartVerifyStage,
    Step,
    Suspend,
    Validate,
    VerificationPassed,
    Wait,
)

SETTLED_FAILURES = frozenset({Phase.VALIDATION_FAILED, Phase.ROLLED_BACK, Phase.FAILED})
LOCK_RECHECK_SECONDS = 10.0
PUBLISH = "PUBLISH"
FAILURE = "FAILURE"
SUCCESS = "SUCCESS"


def plan(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    *,
    now: datetime,
    generation: int,
    requested_at: str = "",
    poll: PollSchedule | None = None,
) -> Step:
    """The next step for this release. Pure."""
    schedule = poll or PollSchedule()
    if spec.suspend:
        return Suspend()
    flow = observation.flow
    if flow is not None:
        identity = FlowIdentity(id=flow.id, name=flow.name, type=flow.type)
        if status.flow != identity:
            return ResolveFlow(identity)

    fresh = _fresh_reason(spec, status, observation, generation, requested_at)
    if status.phase in SETTLED_FAILURES and not fresh:
        return _stay_stalled(status)
    if status.operation is not None:
        return _resume(spec, status, observation, status.operation, now, schedule)
    if fresh or status.phase in (Phase.PENDING, Phase.SUSPENDED):
        return _begin(spec, status, observation, fresh or "first reconcile of this release")

    desired = desired_version(spec, status, observation)
    if status.phase in (Phase.VALIDATING, Phase.PUBLISHING):
        return _before_publish(spec, status, observation, desired, now)
    if status.phase is Phase.VERIFYING:
        return _verify(spec, status, observation, now)
    if status.phase is Phase.EXPORTING:
        return _export(spec, status, observation)
    if status.phase is Phase.READY:
        return _ready(spec, status, observation)
    # RollingBack without an operation cannot happen (the operation is recorded with the phase);
    # restart the attempt rather than guess.
    return _begin(spec, status, observation, f"phase {status.phase.value} without an operation")


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
    return None


def _fresh_reason(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    generation: int,
    requested_at: str,
) -> str:
    """Why a new attempt is due, or "" when it is not."""
    if status.observed_generation != generation:
        return f"generation {generation} not yet handled"
    if requested_at and requested_at != status.last_handled_reconcile_at:
        return f"reconcile requested at {requested_at}"
    if spec.version is not None and spec.version != status.desired_version:
        return f"desired version changed to {spec.version}"
    source = observation.source
    if spec.source is not None and source is not None and source.digest != status.source_digest:
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
    digest = source.digest if source is not None else status.source_digest
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


def _before_publish(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    desired: str | None,
    now: datetime,
) -> Step:
    flow = observation.flow
    if desired is None:
        source = observation.source
        if spec.source is not None and source is None:
            ref = spec.source.config_map_ref
            return FailValidation(
                C.SOURCE_INVALID,
                f"spec.source: ConfigMap '{ref.name}' key '{ref.key}' was not found; create it or fix "
                "spec.source.configMapRef",
            )
        if isinstance(source, SourceProblem):
            return FailValidation(C.SOURCE_INVALID, source.message)
        if flow is not None:
            locked = _lock_step(spec, status, flow, now)
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
    locked = _lock_step(spec, status, flow, now)
    if locked is not None:
        return locked
    if status.phase is Phase.VALIDATING:
        return Validate(desired, f"check version {desired} before publishing it")
    return StartPublish(desired, flow.published_version or "", f"version {desired} passed validation")


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


def describe_holder(holder: LockHolder) -> str:
    name = f"'{holder.name}' " if holder.name else ""
    return f"{holder.kind} {name}({holder.id})"


def attempt_started(status: FlowReleaseStatus, now: datetime) -> datetime:
    """When the current attempt started: Reconciling turned True then (its lastTransitionTime)."""
    reconciling = find_condition(status.conditions, C.RECONCILING)
    if reconciling is not None and reconciling.status == "True" and reconciling.last_transition_time:
        return parse_time(reconciling.last_transition_time)
    return now


def _lock_step(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, flow: FlowState, now: datetime
) -> Step | None:
    lock = flow.lock
    if lock is None or lock.is_self:
        return None
    holder = describe_holder(lock)
    policy = spec.publish.lock_policy
    if policy == "ForceUnlock":
        return ForceUnlock(lock, f"flow is locked by {holder}; lockPolicy ForceUnlock breaks the lock")
    if policy == "Fail":
        return FailValidation(
            C.FLOW_LOCKED,
            f"flow '{flow.name}' is locked by {holder}; ask them to check it in or unlock it, or set "
            "spec.publish.lockPolicy to Wait or ForceUnlock",
        )
    timeout = spec.publish.timeout_seconds
    waited = (now - attempt_started(status, now)).total_seconds()
    if waited >= timeout:
        return FailValidation(
            C.LOCK_WAIT_TIMED_OUT,
            f"flow '{flow.name}' stayed locked by {holder} for {int(waited)}s, longer than "
            f"spec.publish.timeoutSeconds ({timeout}s); ask them to check it in",
        )
    return Wait(
        min(LOCK_RECHECK_SECONDS, timeout - waited),
        C.WAITING_FOR_LOCK,
        f"Waiting for {holder} to release the lock on '{flow.name}' (lockPolicy Wait, timeout {timeout}s)",
    )


# ------------------------------------------------------------------------------------------- resume


def _resume(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    observation: Observation,
    op: OperationRecord,
    now: datetime,
    poll: PollSchedule,
) -> Step:
    if op.kind == "import":
        return _resume_import(spec, observation, op, now, poll)
    flow = observation.flow
    if flow is None:
        return ReleaseFailed(
            C.FLOW_NOT_FOUND, f"the flow disappeared while its {op.kind} operation was in flight"
        )
    if op.kind == "restore":
        return _resume_restore(spec, flow, op, now, poll)
    if op.kind == "rollback":
        return _resume_rollback(spec, flow, op, now, poll)
    return _resume_publish(spec, status, flow, op, now, poll)


def _elapsed(op: OperationRecord, now: datetime) -> float:
    return (now - parse_time(op.started_at)).total_seconds() if op.started_at else 0.0


def _poll_wait(
    spec: FlowReleaseSpec, op: OperationRecord, now: datetime, poll: PollSchedule, what: str
) -> Wait:
    elapsed = _elapsed(op, now)
    timeout = spec.publish.timeout_seconds
    remaining = max(timeout - elapsed, 0.0)
    after = min(poll.delay(op.polls, elapsed), max(remaining, poll.initial))
    return Wait(
        after,
        C.PUBLISHING if op.kind == "publish" else C.ROLLING_BACK,
        f"{what} (poll {op.polls + 1}, {int(elapsed)}s of {timeout}s)",
        poll=True,
    )


def _resume_publish(
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    flow: FlowState,
    op: OperationRecord,
    now: datetime,
    poll: PollSchedule,
) -> Step:
    if flow.published_version == op.version:
        return PublishSucceeded(op.version, op.id, f"publishedVersion is {op.version}")
    current = flow.current_operation
    if not op.id:
        adoptable = current is not None and current.action_name == PUBLISH
        if adoptable and current is not None and (not current.complete or current.action_status == FAILURE):
            return AdoptOperation(
                current.id,
                "publish intent was recorded without an id; adopting the flow's PUBLISH operation",
            )
        return PostPublish(op.version, "publish intent recorded but not yet sent")
    if current is not None and current.id == op.id and current.complete:
        if current.action_status == SUCCESS:
            return PublishSucceeded(op.version, op.id, f"operation {op.id} completed with SUCCESS")
        detail = current.error_message or current.error_code or current.action_status
        return rollback_step(
            spec, status, C.PUBLISH_FAILED, f"publishing version {op.version} failed: {detail}"
        )
    if current is not None and current.id != op.id and current.complete:
        return rollback_step(
            spec,
            status,
            C.PUBLISH_FAILED,
            f"publish operation {op.id} was superseded by {current.action_name} {current.id} and version "
            f"{op.version} is not live",
        )
    if _elapsed(op, now) >= spec.publish.timeout_seconds:
        return rollback_step(
            spec,
            status,
            C.PUBLISH_TIMED_OUT,
            f"publishing version {op.version} did not finish within spec.publish.timeoutSeconds "
            f"({spec.publish.timeout_seconds}s)",
        )
    return _poll_wait(spec, op, now, poll, f"Publishing version {op.version}")


def _resume_rollback(
    spec: FlowReleaseSpec, flow: FlowState, op: OperationRecord, now: datetime, poll: PollSchedule
) -> Step:
    current = flow.current_operation
    timed_out = _elapsed(op, now) >= spec.publish.timeout_seconds
    busy = current is not None and not current.complete
    if flow.published_version == op.version and not busy:
        # Confirmed only when nothing is still running: a slow, timed-out publish could still land.
        return RollbackSucceeded(op.version, "", f"publishedVersion is back at {op.version}")
    if current is not None and op.id and current.id == op.id and current.complete:
        if current.action_status == SUCCESS:
            return RollbackSucceeded(op.version, "", f"rollback operation {op.id} completed with SUCCESS")
        detail = current.error_message or current.error_code or current.action_status
        return ReleaseFailed(C.ROLLBACK_FAILED, f"rolling back to version {op.version} failed: {detail}")
    if timed_out:
        return ReleaseFailed(
            C.ROLLBACK_FAILED,
            f"rolling back to version {op.version} did not finish within {spec.publish.timeout_seconds}s; "
            f"publishedVersion is {flow.published_version or 'none'}",
        )
    if current is not None and not current.complete:
        # Our rollback in flight, or the failed publish still running: wait until the flow is idle.
        return _poll_wait(spec, op, now, poll, f"Rolling back to version {op.version}")
    if op.id and current is not None and current.id == op.id:
        return _poll_wait(spec, op, now, poll, f"Rolling back to version {op.version}")
    return PostPublish(op.version, f"publish lastGoodVersion {op.version} to roll back")


def _resume_restore(
    spec: FlowReleaseSpec, flow: FlowState, op: OperationRecord, now: datetime, poll: PollSchedule
) -> Step:
    restored = op.restored_version
    if not restored:
        return CreateRestoredVersion(
            op.version, f"Genesys refused publishing version {op.version}; restoring its configuration"
        )
    current = flow.current_operation
    busy = current is not None and not current.complete
    if flow.published_version == restored and not busy:
        return RollbackSucceeded(restored, op.version, f"version {restored} (a copy of {op.version}) is live")
    if _elapsed(op, now) >= spec.publish.timeout_seconds:
        return ReleaseFailed(
            C.ROLLBACK_FAILED,
            f"restoring version {op.version} as version {restored} did not finish within "
            f"{spec.publish.timeout_seconds}s",
        )
    if busy:
        return _poll_wait(spec, op, now, poll, f"Restoring version {op.version} as {restored}")
    if current is not None and op.id and current.id == op.id:
        if current.action_status == FAILURE:
            detail = current.error_message or current.error_code
            return ReleaseFailed(
                C.ROLLBACK_FAILED, f"{current.action_name} of restored version {restored} failed: {detail}"
            )
        if current.action_name == PUBLISH:
            return RollbackSucceeded(
                restored, op.version, f"publish of restored version {restored} succeeded"
            )
    if flow.checked_in_version == restored:
        return PostPublish(restored, f"restored version {restored} is checked in; publish it")
    if flow.saved_version == restored:
        return CheckinRestored(restored, f"check in restored version {restored}")
    return ReleaseFailed(
        C.ROLLBACK_FAILED,
        f"restored version {restored} is neither saved nor checked in any more; restore version "
        f"{op.version} by hand",
    )


def _resume_import(
    spec: FlowReleaseSpec, observation: Observation, op: OperationRecord, now: datetime, poll: PollSchedule
) -> Step:
    source = observation.source
    job = observation.job
    if job is None or job.status == "Registered":
        if not isinstance(source, PreparedSource):
            message = (
                source.message if isinstance(source, SourceProblem) else "the Archy source is not available"
            )
            return FailValidation(C.SOURCE_INVALID, message)
        flow = observation.flow
        last_good = (flow.published_version or "") if flow is not None else ""
        return StartImport(source, last_good, "the Architect job never received its file; importing again")
    if job.status == "Failure":
        texts = [m.text for m in job.messages] or ["no tracing messages available"]
        return FailValidation(C.IMPORT_FAILED, "the Architect job failed: " + "; ".join(texts))
    if job.status == "Success":
        flow = observation.flow
        if flow is not None and flow.published_version:
            return ImportSucceeded(flow, flow.published_version, f"Architect job {job.id} succeeded")
    if _elapsed(op, now) >= spec.publish.timeout_seconds:
        return ReleaseFailed(
            C.IMPORT_TIMED_OUT,
            f"Architect job {job.id} did not finish within spec.publish.timeoutSeconds "
            f"({spec.publish.timeout_seconds}s); check the job in Genesys before retrying",
        )
    return Wait(
        min(poll.delay(op.polls, _elapsed(op, now)), spec.publish.timeout_seconds),
        C.IMPORTING,
        f"Waiting for Architect job {job.id} ({job.status})",
        poll=True,
    )


# ----------------------------------------------------------------------------------------- rollback


def rollback_step(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, failure_reason: str, message: str
) -> StartRollback | NoRollback:
    """What to do when the desired version failed after publishing started. Pure."""
    if spec.rollback.strategy == "None":
        return NoRollback(
            C.ROLLBACK_DISABLED,
            failure_reason,
            f"{message}; spec.rollback.strategy is None, so nothing is rolled back",
        )
    target = status.last_good_version
    if not target or target == status.desired_version:
        return NoRollback(
            C.NOTHING_TO_ROLL_BACK_TO,
            failure_reason,
            f"{message}; nothing to roll back to (no earlier published version)",
        )
    return StartRollback(target, failure_reason, message)


# ------------------------------------------------------------------------------------------- verify


def _verify(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, observation: Observation, now: datetime
) -> Step:
    stages = spec.verify.stages
    if not stages:
        return VerificationPassed(C.NO_VERIFY_STAGES)
    progress = status.verification
    names = [stage.name for stage in stages]
    if progress is None or not progress.started_at or progress.stage not in names:
        return StartVerifyStage(stages[0], "first verify stage")
    stage = stages[names.index(progress.stage)]
    baked = (now - parse_time(progress.started_at)).total_seconds()
    if baked < stage.bake_seconds:
        return Wait(
            stage.bake_seconds - baked,
            C.BAKING,
            f"Baking version {status.published_version} in stage '{stage.name}' "
            f"({int(baked)}s of {stage.bake_seconds}s)",
        )
    return JudgeVerifyStage(stage, f"stage '{stage.name}' baked for {stage.bake_seconds}s")


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


def _export(spec: FlowReleaseSpec, status: FlowReleaseStatus, observation: Observation) -> Step:
    if export_due(spec, status) and observation.can_export:
        return Export(status.published_version, "export what went live to git")
    return MarkReady("verified" + (" and exported" if spec.export and spec.export.git else ""))


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


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
