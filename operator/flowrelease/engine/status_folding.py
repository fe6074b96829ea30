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
    Condition,
    ConditionStatus,
    FlowIdentity,
    FlowReleaseStatus,
    HistoryEntry,
    OperationKind,
    OperationRecord,
    Phase,
    ValidationMessage,
    ValidationSummary,
    VerificationProgress,
    VerifyStage,
)
from flowrelease.engine.ports import HealthSample, StoredArtifact


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

    def _op(self, kind: OperationKind, version: str, **extra: str) -> OperationRecord:
        return OperationRecord(kind=kind, version=version, started_at=timestamp(self.now), **extra)

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
            stale += [C.VALIDATED, C.HEALTHY]
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
                "desired_version": version,
                "source_digest": source_digest or status.source_digest,
                "last_handled_reconcile_at": requested_at or status.last_handled_reconcile_at,
                "verification": None,
                "validation": None,
                "conditions": self._working(conditions, C.PROGRESSING, text),
            }
        )

    def suspended(self, status: FlowReleaseStatus) -> FlowReleaseStatus:
        conditions = drop_conditions(status.conditions, C.RECONCILING)
        return status.model_copy(update={"phase": Phase.SUSPENDED, "conditions": conditions})

    # -- validation -------------------------------------------------------------------------------------

    def validation_passed(
        self, status: FlowReleaseStatus, *, version: str, summary: ValidationSummary, dependency_hash: str
    ) -> FlowReleaseStatus:
        warnings = f" with {summary.warnings} warning(s)" if summary.warnings else ""
        conditions = self._set(
            status.conditions, C.VALIDATED, "True", C.SUCCEEDED, f"Version {version} passed{warnings}"
        )
        conditions = self._working(
            conditions, C.PUBLISHING, f"Publishing version {version} (timeout {self.timeout}s)"
        )
        return status.model_copy(
            update={
                "phase": Phase.PUBLISHING,
                "validation": summary,
                "dependency_hash": dependency_hash,
                "conditions": conditions,
            }
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
                "validation": summary
                or ValidationSummary(errors=1, messages=[ValidationMessage(type="Error", text=message)]),
                "history": self._history(status, version, Phase.VALIDATION_FAILED.value, message),
                "conditions": conditions,
            }
        )

    # -- publish ----------------------------------------------------------------------------------------

    def publish_intended(
        self, status: FlowReleaseStatus, *, version: str, last_good: str
    ) -> FlowReleaseStatus:
        """Before POST publish: lastGoodVersion and the intended operation, so a restart resumes it."""
        conditions = self._working(
            status.conditions, C.PUBLISHING, f"Publishing version {version} (timeout {self.timeout}s)"
        )
        return status.model_copy(
            update={
                "phase": Phase.PUBLISHING,
                "last_good_version": last_good or status.last_good_version,
                "operation": self._op("publish", version),
                "conditions": conditions,
            }
        )

    def import_intended(self, status: FlowReleaseStatus, *, digest: str, last_good: str) -> FlowReleaseStatus:
        conditions = self._working(
            status.conditions,
            C.IMPORTING,
            f"Importing and publishing the Archy source through an Architect job (timeout {self.timeout}s)",
        )
        return status.model_copy(
            update={
                "phase": Phase.PUBLISHING,
                "source_digest": digest,
                "last_good_version": last_good or status.last_good_version,
                "operation": self._op("import", ""),
                "conditions": conditions,
            }
        )

    def operation_id(self, status: FlowReleaseStatus, operation_id: str) -> FlowReleaseStatus:
        assert status.operation is not None
        return status.model_copy(
            update={"operation": status.operation.model_copy(update={"id": operation_id})}
        )

    def polled(self, status: FlowReleaseStatus, message: str) -> FlowReleaseStatus:
        op = status.operation
        updated = op.model_copy(update={"polls": op.polls + 1}) if op is not None else None
        reconciling = condition(status, C.RECONCILING)
        reason = reconciling.reason if reconciling else C.PROGRESSING
        conditions = self._set(status.conditions, C.RECONCILING, "True", reason, message)
        return status.model_copy(update={"operation": updated, "conditions": conditions})

    def waiting(self, status: FlowReleaseStatus, reason: str, message: str) -> FlowReleaseStatus:
        conditions = self._set(status.conditions, C.RECONCILING, "True", reason, message)
        return status.model_copy(update={"conditions": conditions})

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
                "verification": None,
                "conditions": conditions,
            }
        )

    def skipped_publish(
        self, status: FlowReleaseStatus, *, version: str, verified: bool
    ) -> FlowReleaseStatus:
        previous = condition(status, C.PUBLISHED)
        operation_id = (
            C.operation_of_published(previous.message) if previous and previous.status == "True" else ""
        )
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
        message = (
            f"Baking version {status.published_version} in stage '{stage.name}' for {stage.bake_seconds}s "
            f"(max failure ratio {stage.max_failure_ratio}, min samples {stage.min_samples})"
        )
        conditions = self._working(status.conditions, C.BAKING, message)
        progress = VerificationProgress(stage=stage.name, started_at=timestamp(self.now))
        return status.model_copy(update={"verification": progress, "conditions": conditions})

    def stage_passed(
        self,
        status: FlowReleaseStatus,
        stage: VerifyStage,
        sample: HealthSample,
        next_stage: VerifyStage | None,
    ) -> FlowReleaseStatus:
        judged = status.model_copy(update={"verification": _progress(status, stage, sample)})
        if next_stage is not None:
            return self.stage_started(judged, next_stage)
        return self.verification_passed(
            judged, C.STAGES_PASSED, f"Version {status.published_version} passed every verify stage"
        )

    def verification_passed(
        self, status: FlowReleaseStatus, reason: str, message: str = ""
    ) -> FlowReleaseStatus:
        text = message or f"Version {status.published_version} has no verify stages"
        conditions = self._set(status.conditions, C.HEALTHY, "True", reason, text)
        conditions = self._working(conditions, C.EXPORTING, f"Version {status.published_version} is verified")
        return status.model_copy(update={"phase": Phase.EXPORTING, "conditions": conditions})

    def health_breach(
        self, status: FlowReleaseStatus, stage: VerifyStage, sample: HealthSample, message: str
    ) -> FlowReleaseStatus:
        conditions = self._set(status.conditions, C.HEALTHY, "False", C.HEALTH_BREACH, message)
        return status.model_copy(
            update={"verification": _progress(status, stage, sample), "conditions": conditions}
        )

    # -- rollback ---------------------------------------------------------------------------------------

    def rollback_started(
        self, status: FlowReleaseStatus, *, target: str, failure_reason: str, message: str
    ) -> FlowReleaseStatus:
        conditions = status.conditions
        if failure_reason != C.HEALTH_BREACH:
            conditions = self._set(conditions, C.PUBLISHED, "False", failure_reason, message)
        conditions = self._set(
            conditions,
            C.RECONCILING,
            "True",
            C.ROLLING_BACK,
            f"Rolling back to version {target} (timeout {self.timeout}s): {message}",
        )
        conditions = self._set(conditions, C.READY, "False", failure_reason, message)
        return status.model_copy(
            update={
                "phase": Phase.ROLLING_BACK,
                "failed_version": status.desired_version,
                "operation": self._op("rollback", target),
                "conditions": conditions,
            }
        )

    def restore_intended(
        self, status: FlowReleaseStatus, *, old_version: str, refusal: str
    ) -> FlowReleaseStatus:
        conditions = self._set(
            status.conditions,
            C.RECONCILING,
            "True",
            C.RESTORING,
            f"Genesys refused publishing version {old_version} ({refusal}); restoring its configuration as a "
            f"new version (timeout {self.timeout}s)",
        )
        return status.model_copy(
            update={"operation": self._op("restore", old_version), "conditions": conditions}
        )

    def restored_version(self, status: FlowReleaseStatus, version: str) -> FlowReleaseStatus:
        assert status.operation is not None
        op = status.operation.model_copy(update={"restored_version": version, "id": ""})
        return status.model_copy(update={"operation": op})

    def rolled_back(
        self, status: FlowReleaseStatus, *, version: str, restored_from: str
    ) -> FlowReleaseStatus:
        ready = condition(status, C.READY)
        cause = f"{ready.reason}: {ready.message}" if ready and ready.reason else "the release failed"
        copy = f" (a copy of version {restored_from})" if restored_from else ""
        message = (
            f"Version {status.failed_version} failed ({cause}); version {version}{copy} is live again. "
            f"Version {status.failed_version} is not retried until the spec changes or a reconcile is "
            "requested."
        )
        reason = C.RESTORE_SUCCEEDED if restored_from else C.ROLLBACK_SUCCEEDED
        conditions = self._set(status.conditions, C.ROLLED_BACK, "True", reason, message)
        conditions = self._set(
            conditions, C.PUBLISHED, "False", C.ROLLED_BACK, f"Version {status.failed_version} is not live"
        )
        conditions = self._settled_failure(conditions, C.ROLLED_BACK, message)
        return status.model_copy(
            update={
                "phase": Phase.ROLLED_BACK,
                "published_version": version,
                "operation": None,
                "history": self._history(status, status.failed_version, Phase.ROLLED_BACK.value, message),
                "conditions": conditions,
            }
        )

    def no_rollback(
        self, status: FlowReleaseStatus, *, reason: str, failure_reason: str, message: str, live: str | None
    ) -> FlowReleaseStatus:
        conditions = status.conditions
        if failure_reason != C.HEALTH_BREACH:
            conditions = self._set(conditions, C.PUBLISHED, "False", failure_reason, message)
        conditions = self._settled_failure(conditions, reason, message)
        return status.model_copy(
            update={
                "phase": Phase.FAILED,
                "failed_version": status.desired_version,
                "published_version": live if live is not None else status.published_version,
                "operation": None,
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
                "history": self._history(status, version, Phase.FAILED.value, message),
                "conditions": conditions,
            }
        )

    def permanent_error(self, status: FlowReleaseStatus, *, reason: str, message: str) -> FlowReleaseStatus:
        """A permanent Genesys error (auth, permission, bad request): stalled; keeps in-flight work."""
        conditions = self._settled_failure(status.conditions, reason, message)
        version = status.desired_version or "(Archy source)"
        return status.model_copy(
            update={
                "phase": Phase.FAILED,
                "history": self._history(status, version, Phase.FAILED.value, message),
                "conditions": conditions,
            }
        )

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
        return status.model_copy(update={"artifact": artifact, "conditions": conditions})

    def export_failed(self, status: FlowReleaseStatus, message: str, retry_after: float) -> FlowReleaseStatus:
        conditions = self._set(status.conditions, C.EXPORTED, "False", C.EXPORT_FAILED, message)
        conditions = self._set(
            conditions,
            C.RECONCILING,
            "True",
            C.EXPORT_FAILED,
            f"Export of version {status.published_version} failed; retrying in {int(retry_after)}s "
            f"(the version stays live): {message}",
        )
        return status.model_copy(update={"conditions": conditions})

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
        message = f"Version {version} is live, verified{tail}"
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


def _progress(status: FlowReleaseStatus, stage: VerifyStage, sample: HealthSample) -> VerificationProgress:
    started = status.verification.started_at if status.verification else ""
    return VerificationProgress(
        stage=stage.name,
        started_at=started,
        samples=sample.outcomes,
        failure_ratio=round(sample.failure_ratio, 6),
    )


def validation_error_rate(status: FlowReleaseStatus) -> float:
    """Validation failures / attempts that ran validation, over the recorded history."""
    judged = [h for h in status.history if h.result in {"Ready", "RolledBack", "ValidationFailed", "Failed"}]
    if not judged:
        return 0.0
    failed = sum(1 for h in judged if h.result == Phase.VALIDATION_FAILED.value)
    return failed / len(judged)
