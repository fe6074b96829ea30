"""What an error from Genesys means for the release when it is not a refused side effect: PURE.

Refusals of a side effect (400/404/409 answering a publish, a draft, a check-in) are facts the planner
decides on; everything else arrives here:

- `Transient` (429, 5xx, timeouts after the client's own retries): WAITING with `Retry-After` or 2ⁿ s
  (≤ 60 s, jittered). An intent whose POST may or may not have reached Genesys is kept; the planner looks
  for it on the flow before sending anything again.
- `Conflict` registering an import: lockPolicy Fail stalls, otherwise look again in 5 s.
- anything else (`AuthenticationFailed`, `PermissionDenied`, `InvalidRequest`, `NotFound`, `Conflict`
  elsewhere): STALLED, phase Failed, the message says what to fix.
"""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.audit_trail import action_of
from flowrelease.engine.bounds import CONFLICT_RETRY_SECONDS
from flowrelease.engine.outcome import OutcomeKind, ReleaseEvent
from flowrelease.engine.ports import (
    AuthenticationFailed,
    Conflict,
    FlowApiError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Transient,
)
from flowrelease.engine.step_fold import FoldContext, Folded

TRANSIENT_RETRY_MAX = 60.0


def fold_error(
    error: FlowApiError, step: S.Step | None, status: FlowReleaseStatus, context: FoldContext, streak: int
) -> Folded:
    """The status and outcome after `error` ended `step` (None: while observing). `streak` counts the
    consecutive transient errors of this release, for the backoff."""
    fold = context.folder
    action = action_of(step, status)
    if isinstance(error, Transient):
        jittered = error.retry_after is None
        after = min(TRANSIENT_RETRY_MAX, 2.0**streak) if error.retry_after is None else error.retry_after
        message = f"{action} hit a temporary Genesys error ({error.message}); retrying with backoff"
        return Folded(
            fold.waiting(status, C.RETRYING, message),
            audit="error",
            details={"error": error.message, "status": error.status},
            ends=OutcomeKind.WAITING,
            after=after,
            jitter=jittered,
            summary=f"{action} hit a temporary Genesys error ({error.message}); retrying in {after:.1f}s",
        )
    if isinstance(error, Conflict) and _worth_waiting(step, context):
        message = f"{action} met a conflict ({error.message}); looking again in {CONFLICT_RETRY_SECONDS:.0f}s"
        return Folded(
            fold.waiting(status, C.CONFLICT, message),
            audit="waiting",
            details={"error": error.message},
            ends=OutcomeKind.WAITING,
            after=CONFLICT_RETRY_SECONDS,
            summary=message,
        )
    reason = error_reason(error)
    message = f"{action} failed: {error.message}"
    op = status.operation
    refused_outright = (
        isinstance(step, (S.StartPublish, S.ResendOperation))
        and op is not None
        and op.kind == "publish"
        and not op.posted_at
    )
    return Folded(
        fold.permanent_error(status, reason=reason, message=message, drop_operation=refused_outright),
        (ReleaseEvent("Warning", reason, message),),
        audit="failed",
        details={"error": error.message, "status": error.status},
        ends=OutcomeKind.STALLED,
        summary=message,
    )


def _worth_waiting(step: S.Step | None, context: FoldContext) -> bool:
    """A 409 registering an import means the flow is locked or busy: lockPolicy decides. Anywhere else
    (two flows with the same name and type, say) it needs a person."""
    return isinstance(step, S.StartImport) and context.spec.publish.lock_policy != "Fail"


def error_reason(error: FlowApiError) -> str:
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
