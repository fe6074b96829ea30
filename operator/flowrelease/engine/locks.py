"""Someone else's lock on the flow, under spec.publish.lockPolicy: PURE.

`Fail` refuses the release naming the holder; `Wait` waits (re-checked every 10 s) for at most
publish.timeoutSeconds from the attempt's start; `ForceUnlock` breaks it (audited). Our own lock never
blocks.
"""

from __future__ import annotations

from datetime import datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import Condition, FlowReleaseSpec, FlowReleaseStatus
from flowrelease.engine.bounds import LOCK_RECHECK_SECONDS
from flowrelease.engine.evidence import parse_time
from flowrelease.engine.ports import FlowState, LockHolder
from flowrelease.engine.status_folding import timestamp
from flowrelease.engine.steps import FailValidation, ForceUnlock, Wait


def describe_holder(holder: LockHolder) -> str:
    name = f"'{holder.name}' " if holder.name else ""
    return f"{holder.kind} {name}({holder.id})"


def attempt_started(status: FlowReleaseStatus, now: datetime) -> datetime:
    """When the current attempt started: Reconciling turned True then (its lastTransitionTime)."""
    return parse_time(attempt_started_at(status, now))


def attempt_started_at(status: FlowReleaseStatus, now: datetime) -> str:
    reconciling = _find(status.conditions, C.RECONCILING)
    if reconciling is not None and reconciling.status == "True" and reconciling.last_transition_time:
        return reconciling.last_transition_time
    return timestamp(now)


def lock_step(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, flow: FlowState, now: datetime
) -> FailValidation | ForceUnlock | Wait | None:
    """What someone else's lock means now, or None when nothing (or we) hold it."""
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


def _find(conditions: list[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)
