"""Status for the two things that stop a pass before the engine runs (pure functions).

- The object does not parse as a FlowRelease (the CRD's schema and CEL rules catch most mistakes; this is
  what they cannot): Stalled, phase Failed, the message names the field and the fix. Not retried until the
  spec changes.
- A referenced Secret or ConfigMap is missing or incomplete: Ready=False and Reconciling=True with the
  reason, phase unchanged; retried, because creating the object is all it takes.

Everything else about conditions belongs to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flowrelease.api import conditions as c
from flowrelease.api.models import Condition, ConditionStatus, FlowReleaseStatus, Phase

INVALID_SPEC = "InvalidSpec"
REFERENCE_UNAVAILABLE = "ReferenceUnavailable"
UNKNOWN_ENVIRONMENT = "UnknownEnvironment"


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def with_condition(
    conditions: Sequence[Condition],
    type: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    *,
    generation: int,
    now: datetime,
) -> list[Condition]:
    """Set one condition, keeping its lastTransitionTime when the status does not change."""
    previous = next((existing for existing in conditions if existing.type == type), None)
    since = previous.last_transition_time if previous and previous.status == status else _stamp(now)
    updated = Condition(
        type=type,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=generation,
    )
    kept = [existing for existing in conditions if existing.type != type]
    return [*kept, updated] if previous is None else [updated if x.type == type else x for x in conditions]


def without_condition(conditions: Sequence[Condition], type: str) -> list[Condition]:
    return [existing for existing in conditions if existing.type != type]


def invalid_spec(
    status: FlowReleaseStatus, *, generation: int, message: str, now: datetime, reason: str = INVALID_SPEC
) -> FlowReleaseStatus:
    conditions = with_condition(
        status.conditions, c.READY, "False", reason, message, generation=generation, now=now
    )
    conditions = with_condition(
        conditions, c.STALLED, "True", reason, message, generation=generation, now=now
    )
    conditions = without_condition(conditions, c.RECONCILING)
    return status.model_copy(
        update={"phase": Phase.FAILED, "conditions": conditions, "observed_generation": generation}
    )


def waiting_for_reference(
    status: FlowReleaseStatus, *, generation: int, reason: str, message: str, now: datetime
) -> FlowReleaseStatus:
    conditions = with_condition(
        status.conditions, c.READY, "False", reason, message, generation=generation, now=now
    )
    conditions = with_condition(
        conditions, c.RECONCILING, "True", reason, message, generation=generation, now=now
    )
    conditions = without_condition(conditions, c.STALLED)
    return status.model_copy(update={"conditions": conditions, "observed_generation": generation})
