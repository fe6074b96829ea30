"""Status the operator writes itself, around the engine (pure functions).

- A new object (no status yet) is acknowledged at once, before it waits for a free slot: phase Pending,
  Reconciling=True and Ready=Unknown, so kstatus and Argo CD read it as in progress instead of Current.

- The object does not parse as a FlowRelease (the CRD's schema and CEL rules catch most mistakes; this is
  what they cannot): Stalled, phase Failed, the message names the field and the fix. Not retried until the
  spec changes.
- A referenced Secret or ConfigMap is missing or incomplete: Ready=False and Reconciling=True with the
  reason, phase unchanged; retried, because creating the object is all it takes.

Every status written here carries `observedGeneration`: it reflects the spec the operator just read. The
engine, though, reads `observedGeneration` as "the generation I have handled" (a new one starts a new
attempt), so `for_engine` hands it the generation it last handled instead (see there).

Everything else about conditions belongs to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flowrelease.api import conditions as c
from flowrelease.api.models import Condition, ConditionStatus, FlowReleaseStatus, Phase

ACCEPTED = "Accepted"
INVALID_SPEC = "InvalidSpec"
REFERENCE_UNAVAILABLE = "ReferenceUnavailable"
UNKNOWN_ENVIRONMENT = "UnknownEnvironment"
SHELL_REASONS = frozenset({ACCEPTED, INVALID_SPEC, REFERENCE_UNAVAILABLE, UNKNOWN_ENVIRONMENT})


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


def accepted(*, generation: int, now: datetime, message: str) -> FlowReleaseStatus:
    """The first status of a new object, written before it waits for a slot."""
    conditions = with_condition([], c.RECONCILING, "True", ACCEPTED, message, generation=generation, now=now)
    conditions = with_condition(
        conditions, c.READY, "Unknown", ACCEPTED, message, generation=generation, now=now
    )
    return FlowReleaseStatus(phase=Phase.PENDING, conditions=conditions, observed_generation=generation)


def for_engine(status: FlowReleaseStatus) -> FlowReleaseStatus:
    """The status to hand the engine: as read, except after a write of ours.

    When our Ready condition is the last word (reason in SHELL_REASONS), our observedGeneration says only that
    we read that spec, not that the engine handled it. The engine's generation is then the newest one among
    the conditions only the engine sets (Validated, Published, Healthy, Exported, RolledBack, Drifted), or
    none: so a spec change made while a Secret was missing still starts a new attempt once it is back.
    """
    ready = next((x for x in status.conditions if x.type == c.READY), None)
    if ready is None or ready.reason not in SHELL_REASONS:
        return status
    handled = [
        x.observed_generation
        for x in status.conditions
        if x.type in c.DOMAIN_TYPES and x.observed_generation is not None
    ]
    return status.model_copy(update={"observed_generation": max(handled) if handled else None})
