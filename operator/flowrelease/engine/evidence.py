"""What a read of the flow proves about a side effect we recorded: PURE.

Genesys does not document how a POST shows up on later reads (genesys-realism.md §1): reads lag writes (R1),
the id on `flow.currentOperation` may not be the one the POST returned (R2), and an older or missing version
may be answered 200 and ignored (R4, R5). So an operation counts as ours only when it is demonstrably ours:
its id is the one the POST returned, or its `client` is our OAuth client AND it is not the operation that was
on the flow when we recorded the intent. Everything else — the previous operation, someone else's, none — is
"not visible yet", never a failure.
"""

from __future__ import annotations

from datetime import datetime

from flowrelease.api.models import OperationRecord, OperationSnapshot
from flowrelease.engine.ports import FlowState, OperationState

PUBLISH = "PUBLISH"
CHECKIN = "CHECKIN"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"


def snapshot(operation: OperationState | None) -> OperationSnapshot | None:
    """flow.currentOperation as it is recorded with an intent."""
    if operation is None:
        return None
    return OperationSnapshot(id=operation.id, action=operation.action_name, status=operation.action_status)


def ours(flow: FlowState, op: OperationRecord, action: str) -> OperationState | None:
    """The flow's current `action` operation when it is demonstrably the one our recorded intent started."""
    current = flow.current_operation
    if current is None or current.action_name != action or not current.id:
        return None
    if op.id and current.id == op.id:
        return current
    prior = op.prior_operation
    if current.is_self and (prior is None or current.id != prior.id):
        return current
    return None


def busy(flow: FlowState) -> bool:
    """Some operation (anyone's) is still running on the flow."""
    current = flow.current_operation
    return current is not None and not current.complete


def failed(operation: OperationState) -> bool:
    return operation.complete and operation.action_status == FAILURE


def succeeded(operation: OperationState) -> bool:
    return operation.complete and operation.action_status == SUCCESS


def failure_detail(operation: OperationState) -> str:
    return operation.error_message or operation.error_code or operation.action_status


def seconds_since(moment: str, now: datetime) -> float:
    """Seconds from a recorded RFC 3339 time to now; 0 when nothing was recorded."""
    return (now - parse_time(moment)).total_seconds() if moment else 0.0


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
