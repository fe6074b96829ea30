"""What one reconcile pass returns to a shell: the status to keep, and when (if ever) to come back.

Only the shells translate an Outcome: the kopf shell into a status patch, Events and a requeue
(`kopf.TemporaryError(delay=)` / timers), the CLI into progress lines, a state file and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from flowrelease.api.models import FlowReleaseStatus


class OutcomeKind(StrEnum):
    READY = "ready"
    """Desired version live, verified and exported. Come back only for the drift check."""
    WAITING = "waiting"
    """Work in flight (publish polling, a bake stage, a lock, an export retry): call again after `after`."""
    STALLED = "stalled"
    """Needs a human: validation failed, rolled back, or a permanent error. Not retried until the spec
    changes or a reconcile is requested — except a stall that lifts by itself (another release owns the
    flow: FlowConflict), which sets `after`: look again then."""
    SUSPENDED = "suspended"
    """spec.suspend is true: nothing was done."""


@dataclass(frozen=True)
class ReleaseEvent:
    """A significant transition, posted as a Kubernetes Event by the operator and printed by the CLI."""

    type: Literal["Normal", "Warning"]
    reason: str
    """ValidationFailed, Published, HealthBreach, RolledBack, Exported, ExportFailed, Drifted, ..."""
    message: str


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    status: FlowReleaseStatus
    after: float | None = None
    """Seconds until the engine wants to be called again (WAITING; READY when a drift check is due)."""
    message: str = ""
    events: tuple[ReleaseEvent, ...] = field(default_factory=tuple)
    poll: bool = False
    """WAITING to look at work in flight (a publish, a job): a shell may keep a status that changed only in
    bookkeeping for the next pass instead of writing it now."""
