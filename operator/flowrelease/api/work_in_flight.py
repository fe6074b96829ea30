"""Which releases have work in flight in Genesys, read from their status: PURE.

A release has work in flight once its attempt has done (or is about to do) something to the flow: a publish
or import to see finish, a bake stage to judge, an export to push, a rollback to finish. Its next request —
usually the one read that notices a publish has gone live — must not queue behind releases that have not
changed anything yet. A release that is only validating has changed nothing: it is still starting.
The operator's slot queue and both shells' rate limiters order work by this (k8s/triggers.py,
local/runner.py).
"""

from __future__ import annotations

from flowrelease.api.models import FlowReleaseStatus, Phase

IN_FLIGHT_PHASES = frozenset({Phase.PUBLISHING, Phase.VERIFYING, Phase.EXPORTING, Phase.ROLLING_BACK})


def has_work_in_flight(status: FlowReleaseStatus) -> bool:
    """An operation is recorded (or the phase is past validation): the next pass observes, not starts."""
    return status.operation is not None or status.phase in IN_FLIGHT_PHASES


def is_starting(status: FlowReleaseStatus) -> bool:
    """An attempt has begun (validating) but nothing has been done to the flow yet."""
    return not has_work_in_flight(status) and status.phase is Phase.VALIDATING
