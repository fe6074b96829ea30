"""The release orchestrator: observe → plan → execute ONE step → persist, until it must wait or is done.

`ReleaseReconciler.reconcile` is the engine's one entry point for both shells (kopf and `flowrelease sync`).
Decisions are the planner's (`planner.plan`, pure); this module only reads Genesys, runs the chosen step
through the ports, folds the result into the status (`status_folding`, pure) and saves it:

- after every step, and BEFORE every side effect: lastGoodVersion and the intended operation are saved
  before POST publish, an Architect job id before the upload, a restored version id as soon as it exists;
- the engine never sleeps: waiting is an Outcome (WAITING with `after`), and the shell calls again;
- errors decide the outcome in one place (`_on_error`): Transient → WAITING with backoff;
  AuthenticationFailed / PermissionDenied / InvalidRequest / NotFound → STALLED with the message;
  Conflict → the lock policy (Fail stalls, Wait and ForceUnlock wait and look again).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    FlowIdentity,
    FlowRelease,
    FlowReleaseStatus,
    ValidationMessage,
    ValidationSummary,
)
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourceProblem, prepare_source
from flowrelease.engine.judgement import (
    Rejection,
    check_dependencies,
    check_job,
    check_version,
    judge_health,
    summarize_job,
)
from flowrelease.engine.outcome import Outcome, OutcomeKind, ReleaseEvent
from flowrelease.engine.planner import describe_holder, next_stage_name, parse_time, plan, rollback_step
from flowrelease.engine.poll_schedule import PollSchedule
from flowrelease.engine.ports import (
    ArtifactProvenance,
    ArtifactStore,
    ArtifactStoreError,
    AuditEvent,
    AuditSink,
    AuthenticationFailed,
    Clock,
    Conflict,
    FlowApi,
    FlowApiError,
    FlowState,
    InvalidRequest,
    JobState,
    NotFound,
    PermissionDenied,
    StatusStore,
    Transient,
)
from flowrelease.engine.status_folding import Folder, condition, timestamp, validation_error_rate

DEFAULT_DRIFT_INTERVAL = 300.0
MAX_STEPS_PER_PASS = 64
EXPORT_RETRY_MIN = 15.0
EXPORT_RETRY_MAX = 300.0
TRANSIENT_RETRY_MAX = 60.0
CONFLICT_RETRY = 5.0


@dataclass
class _StepResult:
    outcome: OutcomeKind | None = None
    """Set when the pass ends with this step."""
    after: float | None = None
    audit: str = "ok"
    details: dict[str, object] = field(default_factory=dict)
    stale: bool = False
    """The step changed something in Genesys: observe again before planning."""
    audited_as: S.Step | None = None
    """The step this result belongs to when a step ran a follow-up step (a breach runs the rollback)."""


class ReleaseReconciler:
    """Runs release passes for FlowReleases through the ports. One instance serves many releases."""

    def __init__(
        self,
        *,
        flow_api: FlowApi,
        statuses: StatusStore,
        audit: AuditSink,
        clock: Clock,
        artifacts: ArtifactStore | None = None,
        poll: PollSchedule | None = None,
        drift_interval: float = DEFAULT_DRIFT_INTERVAL,
        rng: random.Random | None = None,
    ) -> None:
        self.flow_api = flow_api
        self.statuses = statuses
        self.audit = audit
        self.clock = clock
        self.artifacts = artifacts
        self.poll = poll or PollSchedule()
        self.drift_interval = drift_interval
        self.rng = rng or random.Random()
        self.retry_streaks: dict[str, int] = {}
        """Consecutive transient errors per release key, for the retry backoff; reset by any settled pass."""

    async def reconcile(
        self,
        release: FlowRelease,
        status: FlowReleaseStatus,
        *,
        generation: int,
        git_credentials: Mapping[str, str] | None = None,
        requested_at: str = "",
        source_yaml: str | None = None,
    ) -> Outcome:
        """Run steps until the release must wait, is Ready, is stalled or is suspended.

        `source_yaml` is the text of the ConfigMap key named by `spec.source.configMapRef` (mode B); the
        shells read it and pass it in, or pass None when the ConfigMap or key does not exist.
        `requested_at` echoes the `reconcile.flowrelease.io/requestedAt` annotation: a new value lifts a
        stall once. The status is saved through `statuses` after every step and before every side effect.
        """
        run = _Pass(self, release, status, generation, requested_at, git_credentials or {}, source_yaml)
        return await run.run()


class _Pass:
    """One reconcile call for one release."""

    def __init__(
        self,
        engine: ReleaseReconciler,
        release: FlowRelease,
        status: FlowReleaseStatus,
        generation: int,
        requested_at: str,
        git_credentials: Mapping[str, str],
        source_yaml: str | None,
    ) -> None:
        self.engine = engine
        self.api = engine.flow_api
        self.release = release
        self.spec = release.spec
        self.status = status
        self.generation = generation
        self.requested_at = requested_at
        self.git_credentials = git_credentials
        self.events: list[ReleaseEvent] = []
        self.unlocked = False
        self.observation = S.Observation(flow=None)
        self.source: PreparedSource | SourceProblem | None = None
        if self.spec.source is not None and source_yaml is not None:
            ref = self.spec.source.config_map_ref
            self.source = prepare_source(
                source_yaml,
                self.spec.source.substitutions,
                self.spec.flow,
                origin=f"spec.source (ConfigMap '{ref.name}' key '{ref.key}')",
            )

    # -- the loop ---------------------------------------------------------------------------------------

    async def run(self) -> Outcome:
        stale = True
        for _ in range(MAX_STEPS_PER_PASS):
            started = time.perf_counter()
            step: S.Step | None = None
            try:
                if stale:
                    self.observation = await self._observe()
                step = plan(
                    self.spec,
                    self.status,
                    self.observation,
                    now=self._now(),
                    generation=self.generation,
                    requested_at=self.requested_at,
                    poll=self.engine.poll,
                )
                result = await self._execute(step)
            except FlowApiError as error:
                return await self._on_error(error, step, started)
            await self._save()
            self._audit(result.audited_as or step, result, started)
            if result.outcome is not None:
                self.engine.retry_streaks.pop(self.release.key, None)
                return self._outcome(result.outcome, result.after, _describe(step))
            stale = result.stale
        await self._save()
        return self._outcome(
            OutcomeKind.WAITING, 1.0, f"stopped after {MAX_STEPS_PER_PASS} steps in one pass"
        )

    def _now(self) -> datetime:
        return self.engine.clock.now()

    def _folder(self) -> Folder:
        return Folder(
            now=self._now(),
            generation=self.generation,
            label=self.spec.release.label,
            timeout_seconds=self.spec.publish.timeout_seconds,
        )

    async def _save(self, status: FlowReleaseStatus | None = None) -> None:
        if status is not None:
            self.status = status
        await self.engine.statuses.save(self.release.key, self.status)

    def _event(self, type_: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        self.events.append(ReleaseEvent(type_, reason, message))

    def _outcome(self, kind: OutcomeKind, after: float | None, message: str) -> Outcome:
        return Outcome(kind=kind, status=self.status, after=after, message=message, events=tuple(self.events))

    # -- observe ----------------------------------------------------------------------------------------

    async def _observe(self) -> S.Observation:
        job: JobState | None = None
        op = self.status.operation
        if op is not None and op.kind == "import" and op.id:
            try:
                job = await self.api.get_job(op.id)
            except NotFound:
                job = None
        flow = await self._observe_flow()
        if flow is None and job is not None and job.status == "Success" and job.flow_id:
            flow = await self._get_flow(job.flow_id)
        return S.Observation(
            flow=flow, source=self.source, job=job, can_export=self.engine.artifacts is not None
        )

    async def _observe_flow(self) -> FlowState | None:
        selector = self.spec.flow
        known = self.status.flow
        if known is not None and known.id:
            matches = (not selector.id or selector.id == known.id) and (
                not selector.name or selector.name == known.name
            )
            if matches:
                flow = await self._get_flow(known.id)
                if flow is not None or selector.id:
                    return flow
                # deleted and recreated under the same name: look it up again
        if selector.id:
            return await self._get_flow(selector.id)
        return await self.api.find_flow(name=selector.name, flow_type=selector.type or "")

    async def _get_flow(self, flow_id: str) -> FlowState | None:
        try:
            flow = await self.api.get_flow(flow_id)
        except NotFound:
            return None
        return None if flow.deleted else flow

    # -- execute ----------------------------------------------------------------------------------------

    def _flow(self) -> FlowState:
        flow = self.observation.flow
        assert flow is not None, "the planner only chooses flow steps when the flow was observed"
        return flow

    async def _execute(self, step: S.Step) -> _StepResult:
        fold = self._folder()
        status = self.status
        match step:
            case S.Suspend():
                self.status = fold.suspended(status)
                return _StepResult(OutcomeKind.SUSPENDED, audit="skipped")
            case S.Stall():
                return _StepResult(OutcomeKind.STALLED, audit="skipped", details={"reason": step.reason})
            case S.Settled():
                return _StepResult(OutcomeKind.READY, after=self.engine.drift_interval)
            case S.Wait():
                if step.poll:
                    self.status = fold.polled(status, step.message)
                    after = self.engine.poll.jittered(step.after, self.engine.rng)
                else:
                    self.status = fold.waiting(status, step.reason, step.message)
                    after = step.after
                return _StepResult(
                    OutcomeKind.WAITING, after=after, audit="waiting", details={"reason": step.reason}
                )
            case S.ResolveFlow():
                self.status = fold.flow_resolved(status, step.flow)
            case S.BeginAttempt():
                self.status = fold.begin_attempt(
                    status,
                    version=step.version,
                    source_digest=step.source_digest,
                    requested_at=self.requested_at,
                    message=step.message,
                )
                if step.drift:
                    self._event(
                        "Warning",
                        "Drifted",
                        f"{step.reason.removeprefix('drift: ')}; re-publishing (driftPolicy Enforce)",
                    )
                return _StepResult(details={"why": step.reason})
            case S.FailValidation():
                self.status = fold.validation_failed(status, reason=step.reason, message=step.message)
                self._event("Warning", C.VALIDATION_FAILED, step.message)
                return _StepResult(audit="failed", details={"reason": step.reason, "message": step.message})
            case S.ForceUnlock() if self.unlocked:
                message = (
                    f"the lock of {describe_holder(step.holder)} is still there after unlocking; retrying"
                )
                self.status = fold.waiting(status, C.WAITING_FOR_LOCK, message)
                return _StepResult(OutcomeKind.WAITING, after=CONFLICT_RETRY, audit="waiting")
            case S.ForceUnlock():
                self.unlocked = True
                holder = describe_holder(step.holder)
                await self.api.unlock(self._flow().id)
                self._event(
                    "Warning", "LockBroken", f"Broke the lock held by {holder} (lockPolicy ForceUnlock)"
                )
                return _StepResult(stale=True, details={"lock_broken": holder})
            case S.Validate():
                return await self._validate(step.version)
            case S.SkipPublish():
                self.status = fold.skipped_publish(status, version=step.version, verified=step.verified)
                return _StepResult(audit="skipped", details={"reason": step.reason})
            case S.StartPublish():
                await self._save(
                    fold.publish_intended(status, version=step.version, last_good=step.last_good)
                )
                self._event("Normal", "Publishing", f"Publishing version {step.version}")
                return await self._post_publish(step.version)
            case S.PostPublish():
                return await self._post_publish(step.version)
            case S.AdoptOperation():
                self.status = fold.operation_id(status, step.operation_id)
                return _StepResult(details={"adopted": step.operation_id})
            case S.PublishSucceeded():
                self.status = fold.published(status, version=step.version, operation_id=step.operation_id)
                self._event("Normal", "Published", f"Version {step.version} is live")
            case S.StartImport():
                return await self._import(step.source, step.last_good)
            case S.ImportSucceeded():
                job_id = status.operation.id if status.operation else ""
                identity = FlowIdentity(id=step.flow.id, name=step.flow.name, type=step.flow.type)
                self.status = fold.imported(status, identity=identity, version=step.version, job_id=job_id)
                self._event("Normal", "Published", f"Version {step.version} is live (Architect job {job_id})")
            case S.StartVerifyStage():
                self.status = fold.stage_started(status, step.stage)
            case S.JudgeVerifyStage():
                return await self._judge_stage(step)
            case S.VerificationPassed():
                self.status = fold.verification_passed(status, step.reason)
            case S.StartRollback():
                self.status = fold.rollback_started(
                    status, target=step.target, failure_reason=step.failure_reason, message=step.message
                )
                self._event(
                    "Warning", "RollingBack", f"{step.message}; rolling back to version {step.target}"
                )
                return _StepResult(
                    audit="failed", details={"reason": step.failure_reason, "target": step.target}
                )
            case S.NoRollback():
                live = self.observation.flow.published_version if self.observation.flow else None
                self.status = fold.no_rollback(
                    status,
                    reason=step.reason,
                    failure_reason=step.failure_reason,
                    message=step.message,
                    live=live,
                )
                self._event("Warning", step.failure_reason, step.message)
                return _StepResult(audit="failed", details={"reason": step.reason})
            case S.RollbackSucceeded():
                self.status = fold.rolled_back(status, version=step.version, restored_from=step.restored_from)
                self._event("Warning", "RolledBack", self._condition_message(C.ROLLED_BACK))
            case S.ReleaseFailed():
                self.status = fold.release_failed(status, reason=step.reason, message=step.message)
                self._event("Warning", step.reason, step.message)
                ended = "RollbackFailed" if step.reason == C.ROLLBACK_FAILED else "ReleaseFailed"
                return _StepResult(audit="failed", details={"reason": step.reason, "step": ended})
            case S.CreateRestoredVersion():
                flow_id = self._flow().id
                configuration = await self.api.version_configuration(flow_id, step.old_version)
                created = await self.api.create_version(flow_id, configuration)
                self.status = fold.restored_version(status, created.id)
                return _StepResult(
                    stale=True, details={"old_version": step.old_version, "restored": created.id}
                )
            case S.CheckinRestored():
                operation = await self.api.checkin(self._flow().id)
                self.status = fold.operation_id(status, operation.id)
                return _StepResult(stale=True, details={"restored": step.version})
            case S.Export():
                return await self._export(step.version)
            case S.MarkReady():
                if self.spec.export and self.spec.export.git and self.engine.artifacts is None:
                    status = fold.export_unavailable(status)
                was_ready = status.phase.value == "Ready"
                self.status = fold.ready(status)
                if not was_ready:
                    self._event("Normal", "Ready", self._condition_message(C.READY))
            case S.ReportDrift():
                self.status = fold.drifted(status, step.message)
                self._event("Warning", "Drifted", f"{step.message} (driftPolicy Observe: not corrected)")
                return _StepResult(
                    audit="failed", details={"observed": step.observed, "expected": step.expected}
                )
        return _StepResult()

    def _condition_message(self, type_: str) -> str:
        found = condition(self.status, type_)
        return found.message if found else ""

    # -- side effects -----------------------------------------------------------------------------------

    async def _validate(self, version: str) -> _StepResult:
        """The mode A gate, cheapest check first; the first rejection ends it (nothing is published)."""
        flow = self._flow()
        info = await self.api.get_version(flow.id, version)
        rejection = check_version(flow.name, version, info)
        if rejection is not None:
            return self._reject(rejection)
        report = await self.api.consumed_resources(flow.id, version, flow.type)
        dependency_hash, rejection = check_dependencies(report, self.spec.release.dependency_hash)
        self.status = self.status.model_copy(update={"dependency_hash": dependency_hash})
        if rejection is not None:
            return self._reject(rejection)
        job = await self.api.validate(flow.id, version)
        summary = summarize_job(job)
        if not report.build_operational:
            stale_note = ValidationMessage(
                type="Warning", text="dependency tracking is not OPERATIONAL; consumed resources may be stale"
            )
            summary = summary.model_copy(
                update={"warnings": summary.warnings + 1, "messages": [*summary.messages, stale_note]}
            )
        rejection = check_job(job, summary, self.spec.validation.fail_on_warnings)
        if rejection is not None:
            return self._reject(rejection, summary)
        self.status = self._folder().validation_passed(
            self.status, version=version, summary=summary, dependency_hash=dependency_hash
        )
        return _StepResult(details={"dependency_hash": dependency_hash, "warnings": summary.warnings})

    def _reject(self, rejection: Rejection, summary: ValidationSummary | None = None) -> _StepResult:
        self.status = self._folder().validation_failed(
            self.status, reason=rejection.reason, message=rejection.message, summary=summary
        )
        self._event("Warning", C.VALIDATION_FAILED, rejection.message)
        return _StepResult(audit="failed", details={"reason": rejection.reason, "message": rejection.message})

    async def _post_publish(self, version: str) -> _StepResult:
        """POST publish for the operation recorded in status; its id is saved as soon as it is known."""
        op = self.status.operation
        assert op is not None, "publish intent is recorded before posting"
        flow_id = self._flow().id
        try:
            started = await self.api.publish_version(flow_id, version)
        except (InvalidRequest, Conflict) as refused:
            if op.kind == "rollback":
                await self._save(
                    self._folder().restore_intended(self.status, old_version=version, refusal=refused.message)
                )
                self._event("Warning", "RestoringPreviousVersion", self._condition_message(C.RECONCILING))
                return _StepResult(stale=True, audit="failed", details={"refused": refused.message})
            if op.kind == "publish":
                await self._save(self.status.model_copy(update={"operation": None}))
            raise
        except (PermissionDenied, AuthenticationFailed, NotFound):
            if op.kind == "publish":
                await self._save(self.status.model_copy(update={"operation": None}))
            raise
        self.status = self._folder().operation_id(self.status, started.id)
        return _StepResult(stale=True, details={"operation": started.id, "kind": op.kind})

    async def _import(self, source: PreparedSource, last_good: str) -> _StepResult:
        fold = self._folder()
        await self._save(fold.import_intended(self.status, digest=source.digest, last_good=last_good))
        job_id, url, headers = await self.api.start_import()
        await self._save(fold.operation_id(self.status, job_id))
        await self.api.upload_import(url, headers, source.text)
        self._event("Normal", "Importing", f"Architect job {job_id} is importing '{source.name}'")
        return _StepResult(stale=True, details={"job": job_id, "source_digest": source.digest})

    async def _judge_stage(self, step: S.JudgeVerifyStage) -> _StepResult:
        """Judge a baked stage; a breach is audited as its own step, then the rollback step runs."""
        started = time.perf_counter()
        progress = self.status.verification
        since = parse_time(progress.started_at) if progress and progress.started_at else self._now()
        sample = await self.api.flow_health(self._flow().id, since, self._now())
        version = self.status.published_version
        verdict = judge_health(step.stage, sample, version)
        fold = self._folder()
        details: dict[str, object] = {
            "stage": step.stage.name,
            "samples": sample.outcomes,
            "failed": sample.failed,
            "failure_ratio": round(sample.failure_ratio, 6),
            "verdict": verdict.message,
        }
        if not verdict.breach:
            name = next_stage_name(self.spec, step.stage.name)
            following = next((s for s in self.spec.verify.stages if s.name == name), None)
            self.status = fold.stage_passed(self.status, step.stage, sample, following)
            return _StepResult(details=details)
        self.status = fold.health_breach(self.status, step.stage, sample, verdict.message)
        self._event("Warning", C.HEALTH_BREACH, verdict.message)
        self._audit(step, _StepResult(audit="failed", details=details), started)
        follow = rollback_step(self.spec, self.status, C.HEALTH_BREACH, verdict.message)
        result = await self._execute(follow)
        result.audited_as = follow
        return result

    async def _export(self, version: str) -> _StepResult:
        store = self.engine.artifacts
        target = self.spec.export.git if self.spec.export else None
        assert store is not None and target is not None
        flow = self._flow()
        exported = await self.api.export_flow(flow.id, version)
        published = condition(self.status, C.PUBLISHED)
        provenance = ArtifactProvenance(
            release=self.release.key,
            label=self.spec.release.label,
            flow_id=flow.id,
            flow_name=flow.name,
            flow_type=flow.type,
            version=version,
            dependency_hash=self.status.dependency_hash,
            operation_id=C.operation_of_published(published.message) if published else "",
            exported_at=timestamp(self._now()),
        )
        fold = self._folder()
        try:
            stored = await store.store(target, self.git_credentials, exported, provenance)
        except ArtifactStoreError as error:
            after = self._export_backoff()
            self.status = fold.export_failed(self.status, str(error), after)
            self._event("Warning", C.EXPORT_FAILED, f"Export of version {version} failed: {error}")
            return _StepResult(OutcomeKind.WAITING, after=after, audit="error", details={"error": str(error)})
        self.status = fold.exported(self.status, version=version, stored=stored)
        self._event("Normal", "Exported", self._condition_message(C.EXPORTED))
        return _StepResult(details={"path": stored.path, "commit": stored.commit, "changed": stored.changed})

    def _export_backoff(self) -> float:
        """Doubles with the time the export has been failing: as long again as it has failed so far."""
        failing = condition(self.status, C.EXPORTED)
        if failing is None or failing.status != "False" or not failing.last_transition_time:
            return EXPORT_RETRY_MIN
        elapsed = (self._now() - parse_time(failing.last_transition_time)).total_seconds()
        return min(EXPORT_RETRY_MAX, max(EXPORT_RETRY_MIN, elapsed))

    # -- errors -----------------------------------------------------------------------------------------

    async def _on_error(self, error: FlowApiError, step: S.Step | None, started: float) -> Outcome:
        fold = self._folder()
        key = self.release.key
        action = _action(step, self.status) if step is not None else "observe"
        if isinstance(error, Transient):
            streak = self.engine.retry_streaks.get(key, 0) + 1
            self.engine.retry_streaks[key] = streak
            base = (
                error.retry_after if error.retry_after is not None else min(TRANSIENT_RETRY_MAX, 2.0**streak)
            )
            after = self.engine.poll.jittered(base, self.engine.rng) if error.retry_after is None else base
            message = f"{action} hit a temporary Genesys error ({error.message}); retrying in {after:.1f}s"
            await self._save(fold.waiting(self.status, C.RETRYING, message))
            self._emit(action, "error", started, streak, {"error": error.message, "status": error.status})
            return self._outcome(OutcomeKind.WAITING, after, message)
        self.engine.retry_streaks.pop(key, None)
        if isinstance(error, Conflict) and self._conflict_is_worth_waiting(step):
            message = f"{action} met a conflict ({error.message}); looking again in {CONFLICT_RETRY:.0f}s"
            await self._save(fold.waiting(self.status, C.CONFLICT, message))
            self._emit(action, "waiting", started, 1, {"error": error.message})
            return self._outcome(OutcomeKind.WAITING, CONFLICT_RETRY, message)
        reason = _error_reason(error)
        message = f"{action} failed: {error.message}"
        await self._save(fold.permanent_error(self.status, reason=reason, message=message))
        self._event("Warning", reason, message)
        self._emit(action, "failed", started, 1, {"error": error.message, "status": error.status})
        return self._outcome(OutcomeKind.STALLED, None, message)

    def _conflict_is_worth_waiting(self, step: S.Step | None) -> bool:
        """A 409 while changing the flow means locked or busy: a rollback or restore always waits it out;
        a publish or import follows lockPolicy (Fail stalls). A 409 anywhere else (e.g. two flows with
        the same name) needs a person."""
        op = self.status.operation
        if isinstance(step, (S.CreateRestoredVersion, S.CheckinRestored)):
            return True
        if isinstance(step, S.PostPublish) and op is not None and op.kind in ("rollback", "restore"):
            return True
        if isinstance(step, (S.StartPublish, S.PostPublish, S.StartImport)):
            return self.spec.publish.lock_policy != "Fail"
        return False

    # -- audit ------------------------------------------------------------------------------------------

    def _audit(self, step: S.Step, result: _StepResult, started: float) -> None:
        op = self.status.operation
        attempt = op.polls if op is not None and isinstance(step, S.Wait) and step.poll else 1
        details = dict(result.details)
        details.setdefault("step", type(step).__name__)
        details["phase"] = self.status.phase.value
        self._emit(_action(step, self.status), result.audit, started, attempt, details)

    def _emit(
        self, action: str, outcome: str, started: float, attempt: int, details: dict[str, object]
    ) -> None:
        flow = self.status.flow
        op = self.status.operation
        self.engine.audit.emit(
            AuditEvent(
                timestamp=timestamp(self._now()),
                release=self.release.key,
                flow_id=flow.id if flow else "",
                flow_name=flow.name if flow else (self.spec.flow.name or ""),
                version=(op.version if op and op.version else "") or self.status.desired_version,
                action=action,
                outcome=outcome,
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                attempt=attempt,
                validation_error_rate=validation_error_rate(self.status),
                operation_id=op.id if op else "",
                details=details,
            )
        )


def _describe(step: S.Step) -> str:
    for name in ("message", "reason"):
        value = getattr(step, name, "")
        if isinstance(value, str) and value:
            return value
    return type(step).__name__


def _action(step: S.Step, status: FlowReleaseStatus) -> str:
    """The audit action of a step (observe, validate, publish, poll, verify, rollback, restore, …)."""
    op = status.operation
    match step:
        case S.Suspend():
            return "suspend"
        case S.Stall() | S.ResolveFlow() | S.BeginAttempt():
            return "observe"
        case S.Settled():
            return "drift"
        case S.Wait():
            if step.reason == C.WAITING_FOR_LOCK:
                return "validate"
            if step.reason == C.BAKING:
                return "verify"
            return "poll"
        case S.FailValidation() | S.Validate() | S.ForceUnlock():
            return "validate"
        case S.StartPublish() | S.SkipPublish() | S.AdoptOperation() | S.PublishSucceeded():
            return "publish"
        case S.PostPublish():
            return {"rollback": "rollback", "restore": "restore"}.get(op.kind, "publish") if op else "publish"
        case S.StartImport() | S.ImportSucceeded():
            return "import"
        case S.StartVerifyStage() | S.JudgeVerifyStage() | S.VerificationPassed():
            return "verify"
        case S.StartRollback() | S.NoRollback() | S.RollbackSucceeded() | S.ReleaseFailed():
            return "rollback"
        case S.CreateRestoredVersion() | S.CheckinRestored():
            return "restore"
        case S.Export():
            return "export"
        case S.MarkReady():
            return "ready"
        case S.ReportDrift():
            return "drift"
    return "observe"


def _error_reason(error: FlowApiError) -> str:
    if isinstance(error, AuthenticationFailed):
        return C.AUTHENTICATION_FAILED
    if isinstance(error, PermissionDenied):
        return C.PERMISSION_DENIED
    if isinstance(error, InvalidRequest):
        return C.INVALID_REQUEST
    if isinstance(error, NotFound):
        return C.NOT_FOUND
    if isinstance(error, Conflict):
        return C.CONFLICT
    return C.INVALID_REQUEST
