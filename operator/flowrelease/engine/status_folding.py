"""Status folding: PURE functions from (status, what just happened) to the next FlowReleaseStatus.

Every function returns a new status and changes nothing else. They keep the kstatus contract:

- `Reconciling` is True while work is in flight (its message names the version and the timeout) and is
  removed when the release settles; its lastTransitionTime therefore marks when the current attempt began.
- `Stalled` is True with a reason when a person must act, and is removed when a new attempt starts.
- `Ready` is True only when the desired version is live, verified and (when asked) exported.
- A condition's lastTransitionTime changes only when its status changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    HISTORY_LIMIT,
    ArtifactRecord,
    CheckRecord,
    Condition,
    ConditionStatus,
    ExportFailure,
    ExportTargetCheck,
    FlowIdentity,
    FlowReleaseStatus,
    HistoryEntry,
    JobKind,
    JobRecord,
    OperationKind,
    OperationRecord,
    OperationSnapshot,
    Phase,
    Refusal,
    RollbackRecord,
    RollbackRoute,
    RouteAttempt,
    RouteResult,
    StageRecord,
    ValidationMessage,
    ValidationSummary,
    VerificationProgress,
    VerifyStage,
)
from flowrelease.engine.ports import StoredArtifact
from flowrelease.engine.verification import VersionSample

ROUTE_REASONS: dict[RollbackRoute, str] = {
    "republish": C.ROLLING_BACK,
    "restore": C.RESTORING,
    "reimport": C.REIMPORTING,
}
"""The Reconciling reason while a rollback route is being tried."""


def timestamp(now: datetime) -> str:
    """RFC 3339 UTC with seconds, as Kubernetes writes condition times."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------- conditions


def set_condition(
    conditions: list[Condition],
    type_: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    *,
    now: datetime,
    generation: int | None,
) -> list[Condition]:
    """Add or replace one condition; keep lastTransitionTime when its status did not change."""
    previous = next((c for c in conditions if c.type == type_), None)
    changed = previous is None or previous.status != status
    since = timestamp(now) if changed or previous is None else previous.last_transition_time
    updated = Condition(
        type=type_,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=generation,
    )
    if previous is None:
        return [*conditions, updated]
    return [updated if c.type == type_ else c for c in conditions]


def drop_conditions(conditions: list[Condition], *types: str) -> list[Condition]:
    return [c for c in conditions if c.type not in types]


def condition(status: FlowReleaseStatus, type_: str) -> Condition | None:
    return next((c for c in status.conditions if c.type == type_), None)


class Folder:
    """Folds for one release pass: the clock reading, generation and label every fold needs."""

    def __init__(
        self, *, now: datetime, generation: int, label: str = "", timeout_seconds: int = 900
    ) -> None:
        self.now = now
        self.generation = generation
        self.label = label
        self.timeout = timeout_seconds

    # -- helpers ----------------------------------------------------------------------------------------

    def _set(
        self, conditions: list[Condition], type_: str, status: ConditionStatus, reason: str, message: str
    ) -> list[Condition]:
        return set_condition(
            conditions, type_, status, reason, message, now=self.now, generation=self.generation
        )

    def _working(self, conditions: list[Condition], reason: str, message: str) -> list[Condition]:
        conditions = self._set(conditions, C.RECONCILING, "True", reason, message)
        conditions = self._set(conditions, C.READY, "False", reason, message)
        return drop_conditions(conditions, C.STALLED)

    def _settled_failure(self, conditions: list[Condition], reason: str, message: str) -> list[Condition]:
        conditions = drop_conditions(conditions, C.RECONCILING)
        conditions = self._set(conditions, C.STALLED, "True", reason, message)
        return self._set(conditions, C.READY, "False", reason, message)

    def _history(
        self, status: FlowReleaseStatus, version: str, result: str, message: str
    ) -> list[HistoryEntry]:
        reconciling = condition(status, C.RECONCILING)
        started = reconciling.last_transition_time if reconciling and reconciling.status == "True" else ""
        entry = HistoryEntry(
            version=version,
            label=self.label,
            result=result,
            started_at=started or timestamp(self.now),
            finished_at=timestamp(self.now),
            message=message,
        )
        return [*status.history, entry][-HISTORY_LIMIT:]

    def _op(
        self,
        kind: OperationKind,
        version: str,
        *,
        prior_operation: OperationSnapshot | None = None,
        prior_version: str = "",
    ) -> OperationRecord:
        return OperationRecord(
            kind=kind,
            version=version,
            started_at=timestamp(self.now),
            prior_operation=prior_operation,
            prior_version=prior_version,
        )

    def _update_op(self, status: FlowReleaseStatus, **changes: object) -> FlowReleaseStatus:
        assert status.operation is not None, "an operation is recorded before it is updated"
        return status.model_copy(update={"operation": status.operation.model_copy(update=changes)})

    def _update_rollback(self, status: FlowReleaseStatus, **changes: object) -> RollbackRecord:
        record = status.rollback or RollbackRecord(target_version=status.last_good_version)
        return record.model_copy(update=changes)

    def stamp(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        """Every status the engine writes says which generation it handled."""
        if status.observed_generation == self.generation:
            return status
        return status.model_copy(update={"observed_generation": self.generation})

    # -- attempt ----------------------------------------------------------------------------------------

    def flow_resolved(self, status: FlowReleaseStatus, identity: FlowIdentity) -> FlowReleaseStatus:
        return status.model_copy(update={"flow": identity})

    def begin_attempt(
        self, status: FlowReleaseStatus, *, version: str, source_digest: str, requested_at: str, message: str
    ) -> FlowReleaseStatus:
        """Start a pass: clear stale failure conditions, mark Reconciling anew (its time = attempt start)."""
        keep_verified = bool(version) and version == status.published_version
        stale = [C.STALLED, C.ROLLED_BACK, C.DRIFTED, C.RECONCILING]
        if not keep_verified:
            stale += [C.VALIDATED, C.HEALTHY, C.VERIFIED]
        conditions = drop_conditions(status.conditions, *stale)
        conditions = [
            c for c in conditions if not (c.type in (C.PUBLISHED, C.EXPORTED) and c.status != "True")
        ]
        what = f"version {version}" if version else "the Archy source"
        text = f"{message}: validating {what} (publish timeout {self.timeout}s)"
        return status.model_copy(
            update={
                "phase": Phase.VALIDATING,
                "observed_generation": self.generation,
                "attempt_generation": self.generation,
                "desired_version": version,
                "source_digest": source_digest or status.source_digest,
                "last_handled_reconcile_at": requested_at or status.last_handled_reconcile_at,
                "verification": None,
                "validation": None,
                "rollback": None,
                "job": None,
                "export_failure": None,
                "export_check": None,
                "conditions": self._working(conditions, C.PROGRESSING, text),
            }
        )

    def flow_conflict(self, status: FlowReleaseStatus, message: str) -> FlowReleaseStatus:
        """Another release owns the flow: held back (Pending, Stalled) with nothing in flight, so taking over
        later is a new attempt (the owner waits for anything still running on the flow to finish first)."""
        conditions = self._settled_failure(status.conditions, C.FLOW_CONFLICT, message)
        return status.model_copy(
            update={
                "phase": Phase.PENDING,
                "operation": None,
                "job": None,
                "rollback": None,
                "verification": None,
                "conditions": conditions,
            }
        )

    def suspended(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        conditions = drop_conditions(status.conditions, C.RECONCILING)
        return status.model_copy(update={"phase": Phase.SUSPENDED, "conditions": conditions})

    def waiting(self, status: FlowReleaseStatus, reason: str, message: str) -> FlowReleaseStatus:
        """Reconciling says what is awaited. Same reason and message: the very same status."""
        conditions = self._set(status.conditions, C.RECONCILING, "True", reason, message)
        return status.model_copy(update={"conditions": conditions})

    # -- validation -------------------------------------------------------------------------------------

    def gate_checked(
        self, status: FlowReleaseStatus, *, dependency_hash: str, notes: list[ValidationMessage]
    ) -> FlowReleaseStatus:
        """The gate's own checks passed; `notes` are warnings to keep for the final summary."""
        summary = ValidationSummary(warnings=len(notes), messages=notes)
        return status.model_copy(update={"dependency_hash": dependency_hash, "validation": summary})

    def export_target_checked(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        """The export target answered: it is not checked again in this attempt."""
        return status.model_copy(update={"export_check": ExportTargetCheck(checked_at=timestamp(self.now))})

    def export_target_failed(
        self, status: FlowReleaseStatus, message: str, *, permanent: bool
    ) -> FlowReleaseStatus:
        """The export target did not answer, or refused: a fact for the planner (fail or retry)."""
        previous = status.export_check
        since = previous.since if previous is not None and previous.since else timestamp(self.now)
        check = ExportTargetCheck(message=message, permanent=permanent, since=since, at=timestamp(self.now))
        return status.model_copy(update={"export_check": check})

    def job_started(
        self, status: FlowReleaseStatus, *, kind: JobKind, version: str, job_id: str, unavailable: str = ""
    ) -> FlowReleaseStatus:
        job = JobRecord(
            kind=kind, id=job_id, version=version, started_at=timestamp(self.now), unavailable=unavailable
        )
        return status.model_copy(update={"job": job})

    def validation_passed(
        self, status: FlowReleaseStatus, *, version: str, summary: ValidationSummary, unavailable: str = ""
    ) -> FlowReleaseStatus:
        warnings = f" with {summary.warnings} warning(s)" if summary.warnings else ""
        if unavailable:
            reason = C.VALIDATION_SERVICE_UNAVAILABLE
            text = (
                f"Version {version} passed{warnings}; the Architect validate job was not available: "
                f"{unavailable}"
            )
        else:
            reason, text = C.SUCCEEDED, f"Version {version} passed{warnings}"
        conditions = self._set(status.conditions, C.VALIDATED, "True", reason, text)
        conditions = self._working(
            conditions, C.PUBLISHING, f"Publishing version {version} (timeout {self.timeout}s)"
        )
        return status.model_copy(
            update={"phase": Phase.PUBLISHING, "validation": summary, "job": None, "conditions": conditions}
        )

    def validation_failed(
        self,
        status: FlowReleaseStatus,
        *,
        reason: str,
        message: str,
        summary: ValidationSummary | None = None,
    ) -> FlowReleaseStatus:
        version = status.desired_version or "(Archy source)"
        conditions = self._set(status.conditions, C.VALIDATED, "False", reason, message)
        conditions = self._settled_failure(
            conditions, reason, f"Validation failed, nothing was published: {message}"
        )
        return status.model_copy(
            update={
                "phase": Phase.VALIDATION_FAILED,
                "operation": None,
                "job": None,
                "validation": summary
                or ValidationSummary(errors=1, messages=[ValidationMessage(type="Error", text=message)]),
                "history": self._history(status, version, Phase.VALIDATION_FAILED.value, message),
                "conditions": conditions,
            }
        )

    # -- publish ----------------------------------------------------------------------------------------

    def publish_intended(
        self,
        status: FlowReleaseStatus,
        *,
        version: str,
        last_good: str,
        prior_operation: OperationSnapshot | None,
    ) -> FlowReleaseStatus:
        """Before POST publish: lastGoodVersion and the intended operation, so a restart resumes it."""
        conditions = self._working(
            status.conditions, C.PUBLISHING, f"Publishing version {version} (timeout {self.timeout}s)"
        )
        op = self._op("publish", version, prior_operation=prior_operation, prior_version=last_good)
        return status.model_copy(
            update={
                "phase": Phase.PUBLISHING,
                "last_good_version": last_good or status.last_good_version,
                "operation": op,
                "conditions": conditions,
            }
        )

    def import_intended(
        self,
        status: FlowReleaseStatus,
        *,
        digest: str,
        last_good: str,
        prior_operation: OperationSnapshot | None,
    ) -> FlowReleaseStatus:
        conditions = self._working(
            status.conditions,
            C.IMPORTING,
            f"Importing and publishing the Archy source through an Architect job (timeout {self.timeout}s)",
        )
        op = self._op("import", "", prior_operation=prior_operation, prior_version=last_good)
        return status.model_copy(
            update={
                "phase": Phase.PUBLISHING,
                "source_digest": digest,
                "last_good_version": last_good or status.last_good_version,
                "operation": op,
                "conditions": conditions,
            }
        )

    def operation_registered(self, status: FlowReleaseStatus, operation_id: str) -> FlowReleaseStatus:
        """The Architect job exists (its id is known) but has not received its file yet."""
        return self._update_op(status, id=operation_id)

    def operation_posted(self, status: FlowReleaseStatus, operation_id: str) -> FlowReleaseStatus:
        """Genesys acknowledged the side effect (its id is `operation_id`, "" to keep the recorded one)."""
        op = status.operation
        assert op is not None
        return self._update_op(status, id=operation_id or op.id, posted_at=timestamp(self.now), refused=None)

    def operation_adopted(self, status: FlowReleaseStatus, operation_id: str) -> FlowReleaseStatus:
        """A restart found the operation our unacknowledged POST started: it was posted."""
        op = status.operation
        assert op is not None
        return self._update_op(
            status, id=op.id or operation_id, posted_at=op.posted_at or timestamp(self.now)
        )

    def operation_refused(
        self, status: FlowReleaseStatus, *, http_status: int, code: str, message: str
    ) -> FlowReleaseStatus:
        refusal = Refusal(status=http_status, code=code, message=message, at=timestamp(self.now))
        return self._update_op(status, refused=refusal)

    def import_job_succeeded(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        return self._update_op(status, completed_at=timestamp(self.now))

    def published(
        self, status: FlowReleaseStatus, *, version: str, operation_id: str, reason: str = C.SUCCEEDED
    ) -> FlowReleaseStatus:
        conditions = self._set(
            status.conditions, C.PUBLISHED, "True", reason, C.published_message(version, operation_id)
        )
        conditions = self._working(conditions, C.VERIFYING, f"Verifying version {version}")
        return status.model_copy(
            update={
                "phase": Phase.VERIFYING,
                "operation": None,
                "published_version": version,
                "published_operation_id": operation_id,
                "verification": None,
                "conditions": conditions,
            }
        )

    def skipped_publish(
        self, status: FlowReleaseStatus, *, version: str, verified: bool
    ) -> FlowReleaseStatus:
        operation_id = status.published_operation_id if status.published_version == version else ""
        folded = self.published(
            status, version=version, operation_id=operation_id, reason=C.ALREADY_PUBLISHED
        )
        if not verified:
            return folded
        conditions = self._working(folded.conditions, C.EXPORTING, f"Version {version} is live and verified")
        return folded.model_copy(update={"phase": Phase.EXPORTING, "conditions": conditions})

    def imported(
        self, status: FlowReleaseStatus, *, identity: FlowIdentity, version: str, job_id: str
    ) -> FlowReleaseStatus:
        conditions = self._set(
            status.conditions, C.VALIDATED, "True", C.SUCCEEDED, f"Architect job {job_id} accepted the source"
        )
        status = status.model_copy(
            update={"flow": identity, "desired_version": version, "conditions": conditions}
        )
        return self.published(status, version=version, operation_id=job_id)

    # -- verify -----------------------------------------------------------------------------------------

    def stage_started(self, status: FlowReleaseStatus, stage: VerifyStage) -> FlowReleaseStatus:
        signals = (
            ", ".join(signal.signal for signal in stage.analytics)
            if stage.analytics is not None
            else f"outcomeFailureRatio ≤ {stage.max_failure_ratio:g}"
        )
        checks = f", {len(stage.checks)} check(s)" if stage.checks else ""
        message = (
            f"Baking version {status.published_version} in stage '{stage.name}' for {stage.bake_seconds}s "
            f"(signals: {signals or 'none'}{checks}; minSamples {stage.min_samples} entries)"
        )
        conditions = self._working(status.conditions, C.BAKING, message)
        conditions = self._set(
            conditions, C.VERIFIED, "Unknown", C.VERIFYING, f"Verifying version {status.published_version}"
        )
        judged = status.verification.stages if status.verification else []
        progress = VerificationProgress(
            stage=stage.name,
            started_at=timestamp(self.now),
            window_seconds=stage.bake_seconds,
            stages=list(judged),
        )
        return status.model_copy(update={"verification": progress, "conditions": conditions})

    def stage_sampled(
        self, status: FlowReleaseStatus, stage: VerifyStage, window_seconds: int, sample: VersionSample
    ) -> FlowReleaseStatus:
        current = status.verification or VerificationProgress(stage=stage.name)
        ratio = sample.failed_outcomes / sample.outcomes if sample.outcomes else 0.0
        progress = current.model_copy(
            update={
                "stage": stage.name,
                "window_seconds": window_seconds,
                "samples": sample.entries,
                "outcomes": sample.outcomes,
                "failed": sample.failed_outcomes,
                "failure_ratio": round(ratio, 6),
                "exits": sample.exits,
                "disconnects": sample.disconnects,
                "sampled_at": timestamp(self.now),
                "checks": [],
            }
        )
        return status.model_copy(update={"verification": progress})

    def check_attempted(self, status: FlowReleaseStatus, record: CheckRecord) -> FlowReleaseStatus:
        current = status.verification or VerificationProgress()
        checks = [c for c in current.checks if c.name != record.name] + [
            record.model_copy(update={"last_attempt_at": timestamp(self.now)})
        ]
        order = {name: index for index, name in enumerate(c.name for c in current.checks)}
        checks.sort(key=lambda c: order.get(c.name, len(order)))
        return status.model_copy(update={"verification": current.model_copy(update={"checks": checks})})

    def stage_extended(
        self, status: FlowReleaseStatus, stage: VerifyStage, extend_seconds: int, message: str
    ) -> FlowReleaseStatus:
        current = status.verification or VerificationProgress(stage=stage.name)
        window = (current.window_seconds or stage.bake_seconds) + extend_seconds
        progress = current.model_copy(update={"window_seconds": window, "sampled_at": "", "checks": []})
        conditions = self._working(status.conditions, C.BAKING, message)
        return status.model_copy(update={"verification": progress, "conditions": conditions})

    def _judged(self, status: FlowReleaseStatus, record: StageRecord | None) -> FlowReleaseStatus:
        """status.verification with `record` added to the stages judged in this attempt."""
        if record is None:
            return status
        current = status.verification or VerificationProgress(stage=record.name)
        stages = [s for s in current.stages if s.name != record.name] + [record]
        return status.model_copy(update={"verification": current.model_copy(update={"stages": stages})})

    def stage_passed(
        self, status: FlowReleaseStatus, next_stage: VerifyStage | None, record: StageRecord | None = None
    ) -> FlowReleaseStatus:
        status = self._judged(status, record)
        if next_stage is not None:
            return self.stage_started(status, next_stage)
        return self.verification_passed(
            status, C.STAGES_PASSED, f"Version {status.published_version} passed every verify stage"
        )

    def verification_passed(
        self, status: FlowReleaseStatus, reason: str, message: str = ""
    ) -> FlowReleaseStatus:
        version = status.published_version
        text = message or f"Version {version} has no verify stages"
        judged = status.verification.stages if status.verification else []
        unjudged = [s.name for s in judged if s.verdict == "passedNotJudged"]
        if unjudged:  # passed on too few samples: nobody may call it healthy
            conditions = self._set(
                status.conditions, C.HEALTHY, "Unknown", C.NOT_JUDGED, f"Version {version} was not judged"
            )
        else:
            conditions = self._set(status.conditions, C.HEALTHY, "True", reason, text)
        verified: tuple[ConditionStatus, str, str]
        if reason == C.NO_VERIFY_STAGES:
            verified = ("False", C.NOT_JUDGED, f"Version {version} is not verified: it has no verify stages")
        elif unjudged:
            names = ", ".join(f"'{name}'" for name in unjudged)
            verified = (
                "False",
                C.NOT_JUDGED,
                f"Version {version} is not verified: stage(s) {names} passed without enough samples "
                "(onInsufficientData: Pass)",
            )
        else:
            summary = "; ".join(s.message for s in judged) or text
            verified = ("True", C.STAGES_PASSED, summary)
        conditions = self._set(conditions, C.VERIFIED, *verified)
        conditions = self._working(conditions, C.EXPORTING, f"Version {version} is verified")
        return status.model_copy(update={"phase": Phase.EXPORTING, "conditions": conditions})

    # -- rollback ---------------------------------------------------------------------------------------

    def _failure_conditions(
        self, conditions: list[Condition], failure_reason: str, message: str
    ) -> list[Condition]:
        if failure_reason in C.VERIFICATION_FAILURES:
            conditions = self._set(conditions, C.VERIFIED, "False", failure_reason, message)
            return self._set(conditions, C.HEALTHY, "False", failure_reason, message)
        return self._set(conditions, C.PUBLISHED, "False", failure_reason, message)

    def rollback_started(
        self,
        status: FlowReleaseStatus,
        *,
        target: str,
        failure_reason: str,
        message: str,
        stage_record: StageRecord | None = None,
    ) -> FlowReleaseStatus:
        status = self._judged(status, stage_record)
        conditions = self._failure_conditions(status.conditions, failure_reason, message)
        conditions = self._set(
            conditions,
            C.RECONCILING,
            "True",
            C.ROLLING_BACK,
            f"Rolling back to version {target} (timeout {self.timeout}s per route): {message}",
        )
        conditions = self._set(conditions, C.READY, "False", failure_reason, message)
        record = RollbackRecord(
            route="republish", target_version=target, route_started_at=timestamp(self.now)
        )
        return status.model_copy(
            update={
                "phase": Phase.ROLLING_BACK,
                "failed_version": status.desired_version,
                "operation": None,
                "job": None,
                "rollback": record,
                "conditions": conditions,
            }
        )

    def route_left(
        self,
        status: FlowReleaseStatus,
        *,
        route: RollbackRoute,
        result: RouteResult,
        message: str,
        next_route: RollbackRoute,
    ) -> FlowReleaseStatus:
        """`route` did not restore the version: record why and start `next_route` afresh."""
        current = self._update_rollback(status)
        record = current.model_copy(
            update={
                "route": next_route,
                "route_started_at": timestamp(self.now),
                "left": [*current.left, RouteAttempt(route=route, result=result, message=message)],
            }
        )
        target = record.target_version
        text = (
            f"Rolling back to version {target} by route {next_route} (timeout {self.timeout}s per route); "
            f"route {route} {_result_words(result)}: {message}"
        )
        conditions = self._set(status.conditions, C.RECONCILING, "True", ROUTE_REASONS[next_route], text)
        return status.model_copy(
            update={"operation": None, "job": None, "rollback": record, "conditions": conditions}
        )

    def rollback_failed(
        self, status: FlowReleaseStatus, *, route: RollbackRoute, result: RouteResult, message: str
    ) -> FlowReleaseStatus:
        """The last route did not restore the version either."""
        current = self._update_rollback(status)
        left = [*current.left, RouteAttempt(route=route, result=result, message=message)]
        record = current.model_copy(update={"left": left})
        tried = "; ".join(f"{a.route} {_result_words(a.result)} ({a.message})" for a in left)
        text = (
            f"rolling back to version {record.target_version} failed on every route: {tried}; publish "
            f"version {record.target_version} (or a copy of it) by hand"
        )
        return self.release_failed(
            status.model_copy(update={"rollback": record}), reason=C.ROLLBACK_FAILED, message=text
        )

    def rollback_publish_intended(
        self,
        status: FlowReleaseStatus,
        *,
        version: str,
        prior_operation: OperationSnapshot | None,
        prior_published: str,
    ) -> FlowReleaseStatus:
        op = self._op("rollback", version, prior_operation=prior_operation, prior_version=prior_published)
        return status.model_copy(update={"operation": op})

    def restore_intended(
        self, status: FlowReleaseStatus, *, old_version: str, prior_saved: str
    ) -> FlowReleaseStatus:
        return status.model_copy(
            update={"operation": self._op("restore", old_version, prior_version=prior_saved)}
        )

    def draft_recorded(self, status: FlowReleaseStatus, draft: str) -> FlowReleaseStatus:
        record = self._update_rollback(status, draft_version=draft)
        return status.model_copy(update={"operation": None, "rollback": record})

    def checkin_intended(
        self,
        status: FlowReleaseStatus,
        *,
        draft: str,
        prior_operation: OperationSnapshot | None,
        prior_checked_in: str,
    ) -> FlowReleaseStatus:
        op = self._op("checkin", draft, prior_operation=prior_operation, prior_version=prior_checked_in)
        return status.model_copy(update={"operation": op})

    def checkin_succeeded(self, status: FlowReleaseStatus, restored: str) -> FlowReleaseStatus:
        record = self._update_rollback(status, restored_version=restored)
        return status.model_copy(update={"operation": None, "rollback": record})

    def reimport_intended(
        self,
        status: FlowReleaseStatus,
        *,
        old_version: str,
        prior_operation: OperationSnapshot | None,
        prior_published: str,
    ) -> FlowReleaseStatus:
        op = self._op("reimport", old_version, prior_operation=prior_operation, prior_version=prior_published)
        return status.model_copy(update={"operation": op, "job": None})

    def rolled_back(
        self, status: FlowReleaseStatus, *, version: str, route: RollbackRoute
    ) -> FlowReleaseStatus:
        record = self._update_rollback(status, route=route, restored_version=version)
        ready = condition(status, C.READY)
        cause = f"{ready.reason}: {ready.message}" if ready and ready.reason else "the release failed"
        copied = route != "republish" and record.target_version and record.target_version != version
        copy = f" (a copy of version {record.target_version}, route {route})" if copied else ""
        message = (
            f"Version {status.failed_version} failed ({cause}); version {version}{copy} is live again. "
            f"Version {status.failed_version} is not retried until the spec changes or a reconcile is "
            "requested."
        )
        reason = C.RESTORE_SUCCEEDED if copied else C.ROLLBACK_SUCCEEDED
        conditions = self._set(status.conditions, C.ROLLED_BACK, "True", reason, message)
        conditions = self._set(
            conditions, C.PUBLISHED, "False", C.ROLLED_BACK, f"Version {status.failed_version} is not live"
        )
        conditions = self._settled_failure(conditions, C.ROLLED_BACK, message)
        return status.model_copy(
            update={
                "phase": Phase.ROLLED_BACK,
                "published_version": version,
                "published_operation_id": "",
                "operation": None,
                "job": None,
                "rollback": record,
                "history": self._history(status, status.failed_version, Phase.ROLLED_BACK.value, message),
                "conditions": conditions,
            }
        )

    def no_rollback(
        self,
        status: FlowReleaseStatus,
        *,
        reason: str,
        failure_reason: str,
        message: str,
        live: str | None,
        stage_record: StageRecord | None = None,
    ) -> FlowReleaseStatus:
        status = self._judged(status, stage_record)
        conditions = self._failure_conditions(status.conditions, failure_reason, message)
        conditions = self._settled_failure(conditions, reason, message)
        return status.model_copy(
            update={
                "phase": Phase.FAILED,
                "failed_version": status.desired_version,
                "published_version": live if live is not None else status.published_version,
                "operation": None,
                "job": None,
                "history": self._history(status, status.desired_version, Phase.FAILED.value, message),
                "conditions": conditions,
            }
        )

    def release_failed(self, status: FlowReleaseStatus, *, reason: str, message: str) -> FlowReleaseStatus:
        conditions = self._settled_failure(status.conditions, reason, message)
        version = status.failed_version or status.desired_version
        return status.model_copy(
            update={
                "phase": Phase.FAILED,
                "operation": None,
                "job": None,
                "history": self._history(status, version, Phase.FAILED.value, message),
                "conditions": conditions,
            }
        )

    def permanent_error(
        self, status: FlowReleaseStatus, *, reason: str, message: str, drop_operation: bool = False
    ) -> FlowReleaseStatus:
        """A permanent Genesys error (auth, permission, bad request): stalled. In-flight work is kept for
        a later resume unless `drop_operation` (its side effect was refused, so nothing is in flight)."""
        conditions = self._settled_failure(status.conditions, reason, message)
        version = status.desired_version or "(Archy source)"
        update: dict[str, object] = {
            "phase": Phase.FAILED,
            "history": self._history(status, version, Phase.FAILED.value, message),
            "conditions": conditions,
        }
        if drop_operation:
            update["operation"] = None
        return status.model_copy(update=update)

    # -- export, ready, drift ---------------------------------------------------------------------------

    def exported(
        self, status: FlowReleaseStatus, *, version: str, stored: StoredArtifact
    ) -> FlowReleaseStatus:
        what = "committed" if stored.changed else "unchanged, no commit needed"
        conditions = self._set(
            status.conditions,
            C.EXPORTED,
            "True",
            C.SUCCEEDED,
            f"Version {version} exported to {stored.path} at {stored.commit[:12]} ({what})",
        )
        artifact = ArtifactRecord(
            path=stored.path, commit=stored.commit, exported_at=timestamp(self.now), version=version
        )
        return status.model_copy(
            update={"artifact": artifact, "job": None, "export_failure": None, "conditions": conditions}
        )

    def export_failed(
        self, status: FlowReleaseStatus, message: str, *, permanent: bool = False
    ) -> FlowReleaseStatus:
        version = status.published_version
        previous = status.export_failure
        since = (
            previous.since if previous is not None and previous.version == version else timestamp(self.now)
        )
        failure = ExportFailure(
            version=version, message=message, permanent=permanent, since=since, at=timestamp(self.now)
        )
        conditions = self._set(status.conditions, C.EXPORTED, "False", C.EXPORT_FAILED, message)
        return status.model_copy(update={"export_failure": failure, "job": None, "conditions": conditions})

    def export_stalled(self, status: FlowReleaseStatus, message: str) -> FlowReleaseStatus:
        text = (
            f"Export of version {status.published_version} failed and will not succeed by retrying (the "
            f"version stays live): {message}; fix it, then request a reconcile"
        )
        conditions = self._settled_failure(status.conditions, C.EXPORT_FAILED, text)
        return status.model_copy(
            update={
                "phase": Phase.FAILED,
                "job": None,
                "history": self._history(status, status.published_version, Phase.FAILED.value, text),
                "conditions": conditions,
            }
        )

    def export_unavailable(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        conditions = self._set(
            status.conditions,
            C.EXPORTED,
            "False",
            C.ARTIFACT_STORE_MISSING,
            "spec.export.git is set but this flowrelease runs without an artifact store; nothing exported",
        )
        return status.model_copy(update={"conditions": conditions})

    def ready(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        version = status.published_version
        exported = condition(status, C.EXPORTED)
        tail = " and exported" if exported is not None and exported.status == "True" else ""
        verified = condition(status, C.VERIFIED)
        if verified is None or verified.status == "True":
            message = f"Version {version} is live, verified{tail}"
        elif verified.reason == C.NOT_JUDGED and "no verify stages" in verified.message:
            message = f"Version {version} is live (no verify stages){tail}"
        else:
            message = f"Version {version} is live, not verified (a stage passed without judgement){tail}"
        conditions = drop_conditions(status.conditions, C.RECONCILING, C.STALLED, C.DRIFTED)
        conditions = self._set(conditions, C.READY, "True", C.SUCCEEDED, message)
        history = status.history
        if status.phase is not Phase.READY:
            history = self._history(status, version, Phase.READY.value, message)
        return status.model_copy(
            update={
                "phase": Phase.READY,
                "desired_version": status.desired_version or version,
                "failed_version": "" if status.failed_version == version else status.failed_version,
                "history": history,
                "conditions": conditions,
            }
        )

    def drifted(self, status: FlowReleaseStatus, message: str) -> FlowReleaseStatus:
        conditions = self._set(status.conditions, C.DRIFTED, "True", C.DRIFT_DETECTED, message)
        return status.model_copy(update={"conditions": conditions})


def _result_words(result: RouteResult) -> str:
    return {
        "refused": "was refused",
        "ignored": "was ignored",
        "failed": "failed",
        "timedOut": "timed out",
    }[result]


def validation_error_rate(status: FlowReleaseStatus) -> float:
    """Validation failures / attempts that ran validation, over the recorded history."""
    judged = [h for h in status.history if h.result in {"Ready", "RolledBack", "ValidationFailed", "Failed"}]
    if not judged:
        return 0.0
    failed = sum(1 for h in judged if h.result == Phase.VALIDATION_FAILED.value)
    return failed / len(judged)
