"""The planner's vocabulary: one frozen value per next action, each with the reason it was chosen.

Observation is what the orchestrator read before planning. A Step is what the planner decided; the
orchestrator executes exactly one, persists the status, observes again and asks the planner again.
Steps that end a pass (`Wait`, `Settled`, `Stall`, `Suspend`) do nothing in Genesys.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowrelease.api.models import FlowIdentity, VerifyStage
from flowrelease.engine.archy_source import PreparedSource, SourceProblem
from flowrelease.engine.ports import FlowState, JobState, LockHolder


@dataclass(frozen=True)
class Observation:
    """Facts read before planning; the planner never reads anything else."""

    flow: FlowState | None
    """The flow as Genesys reports it now; None when no such flow exists (yet)."""
    source: PreparedSource | SourceProblem | None = None
    """Mode B: the substituted, locally checked Archy document."""
    job: JobState | None = None
    """Mode B: the Architect job of the in-flight import, when one is recorded."""
    can_export: bool = False
    """An ArtifactStore was given to the engine."""


# --------------------------------------------------------------------------------- pass-ending steps


@dataclass(frozen=True)
class Suspend:
    reason: str = "spec.suspend is true: nothing is done until it is false"


@dataclass(frozen=True)
class Stall:
    """Needs a person; the status already says why. Nothing is done."""

    reason: str
    message: str


@dataclass(frozen=True)
class Wait:
    """Come back after `after` seconds. `poll` counts one poll of the in-flight operation."""

    after: float
    reason: str
    message: str
    poll: bool = False


@dataclass(frozen=True)
class Settled:
    """Ready and in sync: come back for the next drift check."""

    reason: str = "desired version is live, verified and exported"


# ----------------------------------------------------------------------------------- status-only steps


@dataclass(frozen=True)
class ResolveFlow:
    flow: FlowIdentity
    reason: str = "record which Genesys flow this release manages"


@dataclass(frozen=True)
class BeginAttempt:
    """Start a release pass for `version` ("" in mode B until the import says which version it made)."""

    version: str
    source_digest: str
    reason: str
    message: str
    drift: bool = False
    """Started because Genesys drifted from what this release made live (driftPolicy Enforce)."""


@dataclass(frozen=True)
class FailValidation:
    reason: str
    """A conditions reason such as FlowLocked or VersionNotCheckedIn."""
    message: str


@dataclass(frozen=True)
class SkipPublish:
    """The desired version is already live: a re-run never publishes twice."""

    version: str
    verified: bool
    """Already verified in an earlier pass: go straight to Exporting."""
    reason: str


@dataclass(frozen=True)
class PublishSucceeded:
    version: str
    operation_id: str
    reason: str


@dataclass(frozen=True)
class AdoptOperation:
    """An intent was persisted but its id was not: take the in-flight operation on the flow as ours."""

    operation_id: str
    reason: str


@dataclass(frozen=True)
class StartVerifyStage:
    stage: VerifyStage
    reason: str


@dataclass(frozen=True)
class VerificationPassed:
    reason: str


@dataclass(frozen=True)
class StartRollback:
    """Record the failure (failedVersion) and publish lastGoodVersion."""

    target: str
    failure_reason: str
    message: str


@dataclass(frozen=True)
class NoRollback:
    """The release failed and cannot be rolled back (strategy None, or no earlier version)."""

    reason: str
    failure_reason: str
    message: str


@dataclass(frozen=True)
class RollbackSucceeded:
    version: str
    restored_from: str
    """For a restore: the old version whose configuration is now live as `version`."""
    reason: str


@dataclass(frozen=True)
class ReleaseFailed:
    """A permanent failure after something may have been published (rollback failed, import timed out)."""

    reason: str
    message: str


@dataclass(frozen=True)
class ImportSucceeded:
    flow: FlowState
    version: str
    reason: str


@dataclass(frozen=True)
class MarkReady:
    reason: str


@dataclass(frozen=True)
class ReportDrift:
    observed: str
    expected: str
    message: str


# ---------------------------------------------------------------------------------- side-effect steps


@dataclass(frozen=True)
class ForceUnlock:
    holder: LockHolder
    reason: str


@dataclass(frozen=True)
class Validate:
    """Run the mode A gate: version checked in, dependencies present (and pinned), validate job clean."""

    version: str
    reason: str


@dataclass(frozen=True)
class StartPublish:
    """Record lastGoodVersion and the intended operation, then POST publish."""

    version: str
    last_good: str
    reason: str


@dataclass(frozen=True)
class PostPublish:
    """POST publish for the operation already recorded in status (resume, rollback or restore)."""

    version: str
    reason: str


@dataclass(frozen=True)
class StartImport:
    """Mode B: record the intent, register an Architect job, record its id, upload the YAML."""

    source: PreparedSource
    last_good: str
    reason: str


@dataclass(frozen=True)
class JudgeVerifyStage:
    stage: VerifyStage
    reason: str


@dataclass(frozen=True)
class CreateRestoredVersion:
    """Rollback fallback: save the old version's configuration as a new version."""

    old_version: str
    reason: str


@dataclass(frozen=True)
class CheckinRestored:
    version: str
    reason: str


@dataclass(frozen=True)
class Export:
    version: str
    reason: str


Step = (
    Suspend
    | Stall
    | Wait
    | Settled
    | ResolveFlow
    | BeginAttempt
    | FailValidation
    | SkipPublish
    | PublishSucceeded
    | AdoptOperation
    | StartVerifyStage
    | VerificationPassed
    | StartRollback
    | NoRollback
    | RollbackSucceeded
    | ReleaseFailed
    | ImportSucceeded
    | MarkReady
    | ReportDrift
    | ForceUnlock
    | Validate
    | StartPublish
    | PostPublish
    | StartImport
    | JudgeVerifyStage
    | CreateRestoredVersion
    | CheckinRestored
    | Export
)

PASS_ENDING = (Suspend, Stall, Wait, Settled)
