"""Small builders for engine unit tests: specs, statuses and Genesys observations as frozen values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    Condition,
    FlowIdentity,
    FlowReleaseSpec,
    FlowReleaseStatus,
    OperationRecord,
    OperationSnapshot,
    Phase,
    Refusal,
)
from flowrelease.engine.ports import FlowState, LockHolder, OperationState

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
FLOW_ID = "f-1"
IDENTITY = FlowIdentity(id=FLOW_ID, name="Support IVR", type="INBOUNDCALL")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> str:
    return iso(NOW - timedelta(seconds=seconds))


def spec(**overrides: Any) -> FlowReleaseSpec:
    body: dict[str, Any] = {
        "genesys": {"environment": "http://127.0.0.1:1"},
        "flow": {"type": "inboundcall", "name": "Support IVR"},
        "version": "3.0",
    }
    if "source" in overrides:
        body.pop("version")
    body.update(overrides)
    return FlowReleaseSpec.model_validate(body)


def cond(type_: str, status: str, reason: str = "", message: str = "", since: str = "") -> Condition:
    return Condition.model_validate(
        {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": since}
    )


def reconciling(since_seconds: float = 0.0) -> Condition:
    return cond(C.RECONCILING, "True", C.PROGRESSING, "work", ago(since_seconds))


def status(phase: Phase = Phase.READY, **overrides: Any) -> FlowReleaseStatus:
    values: dict[str, Any] = {
        "observed_generation": 1,
        "phase": phase,
        "flow": IDENTITY,
        "desired_version": "3.0",
        "published_version": "2.0",
        "last_good_version": "2.0",
    }
    values.update(overrides)
    return FlowReleaseStatus(**values)


OUR_CLIENT = "flowrelease-client"
PRIOR = OperationSnapshot(id="op-0", action="PUBLISH", status="SUCCESS")
"""The operation on the flow when the intent was recorded: the previous release's publish (ours too)."""


def op(
    kind: str = "publish",
    id: str = "op-1",
    version: str = "3.0",
    *,
    started: float = 10,
    posted: float | None = 9,
    prior: OperationSnapshot | None = PRIOR,
    prior_version: str = "2.0",
    **extra: Any,
) -> OperationRecord:
    """An operation whose intent was recorded `started` s ago and acknowledged `posted` s ago (None: not)."""
    values: dict[str, Any] = {
        "kind": kind,
        "id": id,
        "version": version,
        "started_at": ago(started),
        "posted_at": ago(posted) if posted is not None else "",
        "prior_operation": prior,
        "prior_version": prior_version,
    }
    values.update(extra)
    return OperationRecord(**values)


def refused(status: int = 400, message: str = "refused", seconds: float = 1) -> Refusal:
    return Refusal(status=status, code="bad.request", message=message, at=ago(seconds))


def flow(published: str | None = "2.0", **overrides: Any) -> FlowState:
    values: dict[str, Any] = {
        "id": FLOW_ID,
        "name": "Support IVR",
        "type": "INBOUNDCALL",
        "published_version": published,
        "checked_in_version": "3.0",
    }
    values.update(overrides)
    return FlowState(**values)


def current(
    id: str = "op-1",
    action: str = "PUBLISH",
    status: str = "STARTED",
    complete: bool = False,
    error: str = "",
    *,
    mine: bool = True,
) -> OperationState:
    """flow.currentOperation; `mine`: started by our OAuth client (Operation.client)."""
    return OperationState(
        id=id,
        action_name=action,
        action_status=status,
        complete=complete,
        error_message=error,
        client_id=OUR_CLIENT if mine else "architect-ui",
        is_self=mine,
    )


def done(id: str = "op-1", action: str = "PUBLISH", error: str = "", *, mine: bool = True) -> OperationState:
    """A completed operation: FAILURE with `error`, else SUCCESS."""
    status = "FAILURE" if error else "SUCCESS"
    return current(id, action, status, complete=True, error=error, mine=mine)


def locked_by(name: str = "Jane", id: str = "u-9", *, is_self: bool = False) -> LockHolder:
    return LockHolder(kind="user", id=id, name=name, is_self=is_self)
