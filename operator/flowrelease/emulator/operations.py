"""Asynchronous flow operations (publish, check-in): start, observe, settle by time, finish and effect.

An operation is an `Operation` on `flow.currentOperation` plus a `Progress` (see `transitions`). While it
runs, each observation moves its status STARTED → PENDING_GENERATION → PENDING_BACKEND_NOTIFICATION, so
clients must wait for `complete`, not for one particular in-progress status. When it finishes, an
`OperationFault` (or a forced outcome) can turn it into a FAILURE with the fault's message; otherwise its
effect lands: a check-in turns the draft into a CHECKIN version (renumbering a `saved_version_<uuid>` draft to
the next `N.0`, R3) and unlocks, a publish moves `publishedVersion`. Under `operationIdMismatch` (R2) the
Operation the starting POST answers with has another id than the one the flow shows.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from flowrelease.emulator.model import Flow, FlowVersion, Operation, PendingOperation

if TYPE_CHECKING:
    from flowrelease.emulator.state import Org

IN_PROGRESS_STATUSES = ("STARTED", "PENDING_GENERATION", "PENDING_BACKEND_NOTIFICATION")
FORCED_FAILURE_CODE = "architect.publish.failed"


def start(
    org: Org,
    flow: Flow,
    action: str,
    kind: str,
    target_version: str,
    client_id: str,
    *,
    outcome: str = "",
) -> Operation:
    """Begin `action` on `flow`; returns the Operation as the starting response shows it."""
    operation = Operation(str(uuid.uuid4()), action, "STARTED", complete=False, client_id=client_id)
    answered = Operation(**vars(operation))
    if org.behaviour.operation_id_mismatch:
        answered.id = str(uuid.uuid4())
    now = org.clock.now()
    progress = org.transition_for(kind, flow.id).start(now)
    flow.current_operation = operation
    flow.pending = PendingOperation(operation, progress, target_version, outcome)
    if progress.due(now):
        finish(org, flow)
    elif progress.mode.mode == "seconds":
        org.timed_flow_ids.add(flow.id)
    return answered


def observe(org: Org, flow: Flow) -> None:
    pending = flow.pending
    if pending is None:
        return
    if pending.progress.poll(org.clock.now()):
        finish(org, flow)
    else:
        seen = pending.progress.polls_seen
        pending.operation.action_status = IN_PROGRESS_STATUSES[min(seen, len(IN_PROGRESS_STATUSES) - 1)]


def settle(org: Org) -> None:
    now = org.clock.now()
    for flow_id in sorted(org.timed_flow_ids):
        flow = org.flows[flow_id]
        if flow.pending is None or flow.pending.progress.due(now):
            org.timed_flow_ids.discard(flow_id)
            if flow.pending is not None:
                finish(org, flow)


def finish(org: Org, flow: Flow) -> None:
    pending = flow.pending
    assert pending is not None
    flow.pending = None
    org.timed_flow_ids.discard(flow.id)
    operation = pending.operation
    operation.complete = True
    failure = _failure(org, flow, pending)
    version = flow.versions.get(pending.version_id)
    if failure is None and version is None:
        failure = ("not.found", f"Version {pending.version_id} is gone.")
    if failure is not None or version is None:
        operation.action_status = "FAILURE"
        operation.error_code, operation.error_message = failure or ("not.found", "")
        operation.error_details = [
            {"errorCode": operation.error_code, "entityId": flow.id, "entityName": flow.name}
        ]
        return
    if operation.action_name == "CHECKIN":
        apply_checkin(org, flow, version)
    else:
        apply_publish(org, flow, version, operation.client_id)
    operation.action_status = "SUCCESS"


def _failure(org: Org, flow: Flow, pending: PendingOperation) -> tuple[str, str] | None:
    """(errorCode, errorMessage) when the operation must fail: a forced outcome or a matching fault rule."""
    operation = pending.operation
    if pending.outcome == "FAILURE":
        return FORCED_FAILURE_CODE, f"The flow could not be published by client '{operation.client_id}'."
    fault = org.faults.operation_fault_for(operation.action_name, flow.id, pending.version_id)
    return (fault.error_code, fault.error_message) if fault else None


def apply_checkin(org: Org, flow: Flow, version: FlowVersion) -> None:
    org.number_draft(flow, version)
    version.type = "CHECKIN"
    version.date_checked_in = org.clock.now()
    flow.checked_in_version_id = version.id
    flow.saved_version_id = ""
    flow.lock = None


def apply_publish(org: Org, flow: Flow, version: FlowVersion, client_id: str) -> None:
    now = org.clock.now()
    previous = flow.versions.get(flow.published_version_id)
    if previous is not None and previous is not version:
        previous.date_published_end = now
    version.type = "PUBLISH"
    version.date_published = now
    version.date_published_end = None
    flow.published_version_id = version.id
    flow.active = True
    if flow.lock is not None and flow.lock.client_id == client_id:
        flow.lock = None
