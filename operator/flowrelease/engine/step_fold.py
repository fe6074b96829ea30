"""Folding a status-only step into the status: PURE, and table-tested.

`fold_step(step, status, context)` returns a `Folded`: the next status, the Kubernetes Events to post, what
to audit (outcome, details, a typed milestone for metrics) and, for a pass-ending step, the outcome. The
orchestrator runs side-effect steps through `effects.py`, which answers with the same `Folded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseSpec, FlowReleaseStatus, StageRecord
from flowrelease.engine import steps as S
from flowrelease.engine.flow_ownership import FLOW_CONFLICT_RECHECK_SECONDS
from flowrelease.engine.outcome import OutcomeKind, ReleaseEvent
from flowrelease.engine.ports import Milestone
from flowrelease.engine.promotion_fold import change_recorded, gate_held
from flowrelease.engine.status_folding import Folder, condition

AuditOutcome = Literal["ok", "waiting", "failed", "skipped", "error"]


@dataclass(frozen=True)
class Folded:
    status: FlowReleaseStatus
    events: tuple[ReleaseEvent, ...] = ()
    audit: AuditOutcome = "ok"
    details: Mapping[str, object] = field(default_factory=dict)
    milestone: Milestone | None = None
    rollback_route: str = ""
    route_result: str = ""
    ends: OutcomeKind | None = None
    """Set when the pass ends with this step."""
    after: float | None = None
    jitter: bool = False
    """`after` is a poll interval: the orchestrator spreads it (±10 %) so a fleet does not poll in step."""
    stale: bool = False
    """Something changed in Genesys: observe before planning again."""
    summary: str = ""
    """The Outcome's one-line message when the pass ends here ("" → the step's own reason)."""


@dataclass(frozen=True)
class FoldContext:
    folder: Folder
    spec: FlowReleaseSpec
    requested_at: str = ""
    drift_interval: float = 300.0
    has_artifact_store: bool = False
    live_version: str | None = None
    """publishedVersion as just observed (None: no flow)."""


def _warning(reason: str, message: str) -> tuple[ReleaseEvent, ...]:
    return (ReleaseEvent("Warning", reason, message),)


def _normal(reason: str, message: str) -> tuple[ReleaseEvent, ...]:
    return (ReleaseEvent("Normal", reason, message),)


def _message(status: FlowReleaseStatus, type_: str) -> str:
    found = condition(status, type_)
    return found.message if found else ""


def judgement_details(record: StageRecord | None, message: str) -> dict[str, object]:
    """A stage judgement in an audit event: verdict, samples, every signal and check (never a secret)."""
    if record is None:
        return {"verdict": message}
    return {
        "stage": record.name,
        "verdict": record.verdict,
        "message": message,
        "version": record.version,
        "window_seconds": record.window_seconds,
        "entries": record.entries,
        "signals": [
            {
                "signal": s.signal,
                "value": s.value,
                "threshold": s.threshold,
                "samples": s.samples,
                "verdict": s.verdict,
            }
            for s in record.signals
        ],
        "checks": [
            {"check": c.name, "kind": c.kind, "passed": c.passed, "value": c.value, "attempts": c.attempts}
            for c in record.checks
        ],
    }


def fold_step(step: S.Step, status: FlowReleaseStatus, context: FoldContext) -> Folded:
    """The status after a status-only step. Pure: the same inputs give the very same result."""
    fold = context.folder
    events: tuple[ReleaseEvent, ...] = ()
    match step:
        case S.Suspend():
            return Folded(fold.suspended(status), audit="skipped", ends=OutcomeKind.SUSPENDED)
        case S.Stall():
            return Folded(status, audit="skipped", details={"reason": step.reason}, ends=OutcomeKind.STALLED)
        case S.YieldFlow():
            held = condition(status, C.STALLED)
            said = (held.reason, held.message) if held is not None else None
            reported = said == (C.FLOW_CONFLICT, step.message)
            return Folded(
                fold.flow_conflict(status, step.message),
                () if reported else _warning(C.FLOW_CONFLICT, step.message),
                audit="skipped",
                details={"reason": C.FLOW_CONFLICT, "owner": step.owner.key},
                ends=OutcomeKind.STALLED,
                after=FLOW_CONFLICT_RECHECK_SECONDS,
                summary=step.message,
            )
        case S.Settled():
            return Folded(status, ends=OutcomeKind.READY, after=context.drift_interval)
        case S.Wait():
            return Folded(
                fold.waiting(status, step.reason, step.message),
                audit="waiting",
                details={"reason": step.reason},
                ends=OutcomeKind.WAITING,
                after=step.after,
                jitter=step.poll,
            )
        case S.ResolveFlow():
            return Folded(fold.flow_resolved(status, step.flow))
        case S.BeginAttempt():
            begun = fold.begin_attempt(
                status,
                version=step.version,
                source_digest=step.source_digest,
                requested_at=context.requested_at,
                message=step.message,
            )
            if step.drift:
                what = step.reason.removeprefix("drift: ")
                events = _warning("Drifted", f"{what}; re-publishing (driftPolicy Enforce)")
            return Folded(begun, events, details={"why": step.reason}, milestone=Milestone.ATTEMPT_STARTED)
        case S.FailValidation():
            failed = fold.validation_failed(
                status, reason=step.reason, message=step.message, summary=step.summary
            )
            return Folded(
                failed,
                _warning(C.VALIDATION_FAILED, step.message),
                audit="failed",
                details={"reason": step.reason, "message": step.message},
                milestone=Milestone.VALIDATION_FAILED,
            )
        case S.PassValidation():
            passed = fold.validation_passed(
                status, version=step.version, summary=step.summary, unavailable=step.unavailable
            )
            details = {"warnings": step.summary.warnings, "dependency_hash": status.dependency_hash}
            if not step.unavailable:
                return Folded(passed, details=details)
            return Folded(
                passed,
                _warning(
                    C.VALIDATION_SERVICE_UNAVAILABLE,
                    f"Version {step.version} was validated without the Architect validate job: "
                    f"{step.unavailable}",
                ),
                details={**details, "validate_job": step.unavailable},
                milestone=Milestone.VALIDATION_SERVICE_UNAVAILABLE,
            )
        case S.SkipPublish():
            skipped = fold.skipped_publish(status, version=step.version, verified=step.verified)
            return Folded(skipped, audit="skipped", details={"reason": step.reason})
        case S.AdoptOperation():
            return Folded(
                fold.operation_adopted(status, step.operation_id), details={"adopted": step.operation_id}
            )
        case S.PublishSucceeded():
            published = fold.published(status, version=step.version, operation_id=step.operation_id)
            return Folded(
                published,
                _normal("Published", f"Version {step.version} is live"),
                details={"operation": step.operation_id},
                milestone=Milestone.PUBLISHED,
            )
        case S.ImportJobSucceeded():
            return Folded(fold.import_job_succeeded(status), audit="waiting", details={"reason": step.reason})
        case S.ImportSucceeded():
            job_id = status.operation.id if status.operation else ""
            imported = fold.imported(status, identity=step.flow, version=step.version, job_id=job_id)
            return Folded(
                imported,
                _normal("Published", f"Version {step.version} is live (Architect job {job_id})"),
                details={"job": job_id},
                milestone=Milestone.PUBLISHED,
            )
        case S.StartVerifyStage():
            return Folded(fold.stage_started(status, step.stage), details={"stage": step.stage.name})
        case S.PassVerifyStage():
            judged = step.record is None or step.record.verdict == "passed"
            passed = fold.stage_passed(status, step.next_stage, step.record)
            event = _normal("StagePassed", step.message) if judged else _warning(C.NOT_JUDGED, step.message)
            return Folded(
                passed,
                event,
                details=judgement_details(step.record, step.message),
                milestone=Milestone.STAGE_PASSED if judged else Milestone.STAGE_NOT_JUDGED,
            )
        case S.ExtendVerifyStage():
            extended = fold.stage_extended(status, step.stage, step.extend_seconds, step.message)
            return Folded(
                extended,
                _normal(C.EXTENDED, step.message),
                audit="waiting",
                details={
                    **judgement_details(step.record, step.message),
                    "extend_seconds": step.extend_seconds,
                },
                milestone=Milestone.STAGE_EXTENDED,
            )
        case S.VerificationPassed():
            return Folded(fold.verification_passed(status, step.reason))
        case S.StartRollback():
            started = fold.rollback_started(
                status,
                target=step.target,
                failure_reason=step.failure_reason,
                message=step.message,
                stage_record=step.stage_record,
            )
            events = _warning("RollingBack", f"{step.message}; rolling back to version {step.target}")
            if step.failure_reason in C.VERIFICATION_FAILURES:
                events = _warning(step.failure_reason, step.message) + events
            facts: dict[str, object] = {"reason": step.failure_reason, "target": step.target}
            if step.stage_record is not None:
                facts = {**judgement_details(step.stage_record, step.message), **facts}
            return Folded(
                started,
                events,
                audit="failed",
                details=facts,
                milestone=(
                    Milestone.STAGE_BREACHED
                    if step.failure_reason in C.VERIFICATION_FAILURES
                    else Milestone.ROLLBACK_STARTED
                ),
                rollback_route="republish",
            )
        case S.NoRollback():
            stopped = fold.no_rollback(
                status,
                reason=step.reason,
                failure_reason=step.failure_reason,
                message=step.message,
                live=context.live_version,
                stage_record=step.stage_record,
            )
            no_details: dict[str, object] = {"reason": step.reason}
            if step.stage_record is not None:
                no_details = {
                    **judgement_details(step.stage_record, step.message),
                    **no_details,
                    "failure": step.failure_reason,
                }
            return Folded(
                stopped,
                _warning(step.failure_reason, step.message),
                audit="failed",
                details=no_details,
                milestone=(
                    Milestone.STAGE_BREACHED if step.failure_reason in C.VERIFICATION_FAILURES else None
                ),
            )
        case S.LeaveRoute():
            route_details = {"route": step.route, "result": step.result, "message": step.message}
            if step.next_route is None:
                failed = fold.rollback_failed(
                    status, route=step.route, result=step.result, message=step.message
                )
                text = _message(failed, C.STALLED)
                return Folded(
                    failed,
                    _warning(C.ROLLBACK_FAILED, text),
                    audit="failed",
                    details=route_details,
                    milestone=Milestone.ROLLBACK_FAILED,
                    rollback_route=step.route,
                    route_result=step.result,
                )
            left = fold.route_left(
                status, route=step.route, result=step.result, message=step.message, next_route=step.next_route
            )
            reason = C.RESTORING if step.next_route == "restore" else C.REIMPORTING
            return Folded(
                left,
                _warning(reason, _message(left, C.RECONCILING)),
                audit="failed",
                details={**route_details, "next_route": step.next_route},
                milestone=Milestone.ROLLBACK_ROUTE_LEFT,
                rollback_route=step.route,
                route_result=step.result,
            )
        case S.AdoptDraft():
            return Folded(fold.draft_recorded(status, step.draft), details={"draft": step.draft})
        case S.CheckinSucceeded():
            draft = status.operation.version if status.operation else ""
            return Folded(
                fold.checkin_succeeded(status, step.restored),
                details={"draft": draft, "restored": step.restored},
            )
        case S.RollbackSucceeded():
            rolled = fold.rolled_back(status, version=step.version, route=step.route)
            record = rolled.rollback
            return Folded(
                rolled,
                _warning("RolledBack", _message(rolled, C.ROLLED_BACK)),
                details={
                    "route": step.route,
                    "target": record.target_version if record else "",
                    "restored": step.version,
                },
                milestone=Milestone.ROLLBACK_SUCCEEDED,
                rollback_route=step.route,
            )
        case S.ReleaseFailed():
            failed = fold.release_failed(status, reason=step.reason, message=step.message)
            rolling_back = status.rollback is not None and step.reason == C.ROLLBACK_FAILED
            return Folded(
                failed,
                _warning(step.reason, step.message),
                audit="failed",
                details={"reason": step.reason},
                milestone=Milestone.ROLLBACK_FAILED if rolling_back else None,
                rollback_route=status.rollback.route if rolling_back and status.rollback else "",
            )
        case S.ExportJobFailed():
            failed = fold.export_failed(status, step.message)
            return Folded(
                failed,
                _warning(
                    C.EXPORT_FAILED, f"Export of version {status.published_version} failed: {step.message}"
                ),
                audit="error",
                details={"error": step.message},
                milestone=Milestone.EXPORT_FAILED,
            )
        case S.StallExport():
            stalled = fold.export_stalled(status, step.message)
            return Folded(stalled, audit="failed", details={"error": step.message}, ends=OutcomeKind.STALLED)
        case S.MarkReady():
            marked = status
            if context.spec.export and context.spec.export.git and not context.has_artifact_store:
                marked = fold.export_unavailable(marked)
            ready = fold.ready(marked)
            if status.phase.value != "Ready":
                return Folded(ready, _normal("Ready", _message(ready, C.READY)), milestone=Milestone.READY)
            return Folded(ready, events)
        case S.ReportDrift():
            return Folded(
                fold.drifted(status, step.message),
                _warning("Drifted", f"{step.message} (driftPolicy Observe: not corrected)"),
                audit="failed",
                details={"observed": step.observed, "expected": step.expected},
            )
        case S.RecordChange():
            return Folded(change_recorded(status, step), details={"change": str(step.change)})
        case S.HoldForPromotion():
            return _fold_gate(step, status, fold)
    raise ValueError(f"{type(step).__name__} is a side-effect step: run it through effects, not fold_step")


_GATE_ENDS = {"Open": None, "Waiting": OutcomeKind.WAITING, "Blocked": OutcomeKind.STALLED}
_GATE_AUDIT: dict[str, AuditOutcome] = {"Open": "ok", "Waiting": "waiting", "Blocked": "failed"}


def _fold_gate(step: S.HoldForPromotion, status: FlowReleaseStatus, fold: Folder) -> Folded:
    """The promotion gate's state (promotion_fold); an Event only when the state changes."""
    changed = status.promotion is None or status.promotion.gate != step.gate
    events: tuple[ReleaseEvent, ...] = ()
    if changed and step.gate == "Blocked":
        events = _warning(C.PROMOTION_BLOCKED, step.message)
    elif changed:
        reason = C.WAITING_FOR_PROMOTION if step.gate == "Waiting" else "PromotionGateOpen"
        events = _normal(reason, step.message)
    return Folded(
        gate_held(status, step, fold),
        events,
        audit=_GATE_AUDIT[step.gate],
        details={"gate": step.gate, "message": step.message},
        ends=_GATE_ENDS[step.gate],
        after=step.after if step.gate == "Waiting" else None,
    )
