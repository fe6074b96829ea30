"""The planner's vocabulary: one frozen value per next action, each with the reason it was chosen.

Observation is what the orchestrator read before planning. A Step is what the planner decided; the
orchestrator executes exactly one, persists the status, observes again and asks the planner again.

- Pass-ending steps (`Wait`, `Settled`, `Stall`, `Suspend`) do nothing in Genesys.
- Status-only steps record a decision in the status (`step_fold.fold_step`, pure).
- Side-effect steps talk to Genesys or Git (`effects.py`); each records its intent in the status first.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowrelease.api.models import (
    FlowIdentity,
    PromotionGateState,
    RollbackRoute,
    RouteResult,
    StageRecord,
    ValidationSummary,
    VerifyCheck,
    VerifyStage,
)
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem
from flowrelease.engine.ports import (
    Change,
    FlowClaim,
    FlowState,
    JobState,
    LockHolder,
    Pushed,
    ServiceUnavailable,
    UpstreamRelease,
)


@dataclass(frozen=True)
class Observation:
    """Facts read before planning; the planner never reads anything else."""

    flow: FlowState | None
    """The flow as Genesys reports it now; None when no such flow exists (yet)."""
    source: PreparedSource | SourceProblem | SourcePending | None = None
    """Mode B: the substituted, locally checked Archy document (SourcePending: spec.source.fromRelease's
    upstream has not exported its live version yet)."""
    job: JobState | None = None
    """The Architect job of the in-flight import or re-import (`status.operation`), when one is recorded."""
    recorded_job: JobState | ServiceUnavailable | None = None
    """The validate or export job recorded in `status.job`, as Genesys reports it now."""
    can_export: bool = False
    """An ArtifactStore was given to the engine."""
    pushed: Pushed | None = None
    """What flow notifications say about the release's flow (None: the engine has no notifications)."""
    flow_owner: FlowClaim | None = None
    """Another release that owns this flow under the one-owner rule (`flow_ownership`); None when this
    release may release it (it is the oldest claim, or no one else claims the flow, or no FlowClaims port)."""
    change: Change | None = None
    """The change this release carries (promotion); None in mode B without source, or mode A without label."""
    upstreams: tuple[UpstreamRelease, ...] = ()
    """spec.promotion.requires, as read now."""
    operation_reads: int = 1
    """Reads of the flow this engine has made since the in-flight operation started, this one included
    (kept in memory: 1 after a restart)."""


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
    """Come back after `after` seconds. `poll`: a look at in-flight work (jittered, counted in audit)."""

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
class YieldFlow:
    """Another release owns the flow: hold back (Stalled, FlowConflict), forget work in flight, publish
    nothing; look again after a while or when woken (the owner deleted or retargeted)."""

    owner: FlowClaim
    message: str


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
    summary: ValidationSummary | None = None
    """What the validate job reported, when it was the one that refused."""


@dataclass(frozen=True)
class PassValidation:
    """The gate passed (the validate job was clean, or unavailable and not required)."""

    version: str
    summary: ValidationSummary
    reason: str
    unavailable: str = ""
    """Why the validate job could not be used; non-empty means a ValidationServiceUnavailable warning."""


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
    """An intent was persisted but its acknowledgement was not: take the flow's operation (demonstrably
    ours: our client, not the one there at intent time) as the one our POST started."""

    operation_id: str
    reason: str


@dataclass(frozen=True)
class ImportJobSucceeded:
    """The Architect job reports Success; reads of the flow may still lag behind it (R1)."""

    reason: str


@dataclass(frozen=True)
class ImportSucceeded:
    flow: FlowIdentity
    version: str
    reason: str


@dataclass(frozen=True)
class StartVerifyStage:
    stage: VerifyStage
    reason: str


@dataclass(frozen=True)
class PassVerifyStage:
    """The stage was judged healthy (or passed not judged, under onInsufficientData: Pass)."""

    stage: VerifyStage
    next_stage: VerifyStage | None
    message: str
    record: StageRecord | None = None


@dataclass(frozen=True)
class ExtendVerifyStage:
    """Too few samples under onInsufficientData: Extend — the window grows and the stage bakes on."""

    stage: VerifyStage
    extend_seconds: int
    message: str
    record: StageRecord


@dataclass(frozen=True)
class VerificationPassed:
    reason: str


@dataclass(frozen=True)
class StartRollback:
    """Record the failure (failedVersion) and start the first rollback route towards `target`."""

    target: str
    failure_reason: str
    message: str
    stage_record: StageRecord | None = None
    """When a verify stage failed: its judgement, kept in status.verification.stages."""


@dataclass(frozen=True)
class NoRollback:
    """The release failed and cannot be rolled back (strategy None, or no earlier version)."""

    reason: str
    failure_reason: str
    message: str
    stage_record: StageRecord | None = None


@dataclass(frozen=True)
class LeaveRoute:
    """A rollback route was refused, ignored, failed or timed out: take `next_route` (None: none left)."""

    route: RollbackRoute
    result: RouteResult
    message: str
    next_route: RollbackRoute | None


@dataclass(frozen=True)
class AdoptDraft:
    """restore: a restart finds the draft our POST created on the flow (its savedVersion changed)."""

    draft: str
    reason: str


@dataclass(frozen=True)
class CheckinSucceeded:
    """restore: our check-in is visible; the restored version is what the org reports as checked in."""

    restored: str
    reason: str


@dataclass(frozen=True)
class RollbackSucceeded:
    version: str
    route: RollbackRoute
    reason: str


@dataclass(frozen=True)
class ReleaseFailed:
    """A permanent failure (rollback failed, publish refused or ignored, import timed out)."""

    reason: str
    message: str


@dataclass(frozen=True)
class MarkReady:
    reason: str


@dataclass(frozen=True)
class ReportDrift:
    observed: str
    expected: str
    message: str


@dataclass(frozen=True)
class ExportJobFailed:
    """The export job failed or did not finish: an export failure, retried with backoff."""

    message: str


@dataclass(frozen=True)
class StallExport:
    """A permanent export error: Exported=False and Stalled; the version stays live."""

    message: str


# ---------------------------------------------------------------------------------- side-effect steps


@dataclass(frozen=True)
class ForceUnlock:
    holder: LockHolder
    reason: str


@dataclass(frozen=True)
class CheckExportTarget:
    """Read-only: can `spec.export.git` be written with its Secret (URL, branch, path, credentials, the
    remote answering)? Checked before the attempt's first side effect, so a target that would refuse the
    export stops the release before anything goes live."""

    reason: str


@dataclass(frozen=True)
class Validate:
    """The mode A gate's own checks (version checked in, dependencies present and pinned), then register
    the validate job (or record that the service is unavailable)."""

    version: str
    reason: str


@dataclass(frozen=True)
class StartPublish:
    """Record lastGoodVersion and the intended operation, then POST publish."""

    version: str
    last_good: str
    reason: str


@dataclass(frozen=True)
class ResendOperation:
    """Send the side effect of the intent already in `status.operation` again: there was an observation
    and a wait since, and it showed the first never reached Genesys (or was refused with 409 and waited)."""

    reason: str


@dataclass(frozen=True)
class StartImport:
    """Mode B: record the intent, register an Architect job, record its id, upload the YAML."""

    source: PreparedSource
    last_good: str
    reason: str


@dataclass(frozen=True)
class SampleVerifyStage:
    """Read the flow aggregates of the published version over the stage's window (which has closed and
    settled); the planner judges them."""

    stage: VerifyStage
    window_seconds: int
    reason: str


@dataclass(frozen=True)
class RunCheck:
    """One attempt of an external check of the stage (through the CheckProbe); the planner judges it."""

    stage: VerifyStage
    check: VerifyCheck
    attempt: int
    reason: str


@dataclass(frozen=True)
class StartRollbackPublish:
    """Rollback: record the intent, then POST publish of `version` (the last good or the restored one)."""

    version: str
    reason: str


@dataclass(frozen=True)
class StartRestore:
    """Rollback route restore: record the intent, read the last good configuration, POST it as a draft."""

    old_version: str
    reason: str


@dataclass(frozen=True)
class StartCheckin:
    """Rollback route restore: record the intent, then check the draft in."""

    draft: str
    reason: str


@dataclass(frozen=True)
class StartExportJob:
    """Register an export job of `version` (for Git, or as the re-import route's source)."""

    version: str
    reason: str


@dataclass(frozen=True)
class StartReimport:
    """Rollback route reimport: record the intent, download the exported YAML, import it as a new version."""

    version: str
    download_url: str
    reason: str


@dataclass(frozen=True)
class StoreArtifact:
    """Download the exported YAML and the version configuration and commit them to Git."""

    version: str
    download_url: str
    reason: str


# ------------------------------------------------------------------------------------------ promotion


@dataclass(frozen=True)
class RecordChange:
    """Record, once per attempt, the change this release carries: what downstream releases compare."""

    change: Change
    reason: str = "record the change this attempt carries, for the releases that promote it"


@dataclass(frozen=True)
class HoldForPromotion:
    """The promotion gate's verdict before publishing: Open goes on, Waiting waits, Blocked stalls."""

    gate: PromotionGateState
    message: str
    after: float = 0.0


Step = (
    Suspend
    | Stall
    | YieldFlow
    | Wait
    | Settled
    | ResolveFlow
    | BeginAttempt
    | FailValidation
    | PassValidation
    | SkipPublish
    | PublishSucceeded
    | AdoptOperation
    | ImportJobSucceeded
    | ImportSucceeded
    | StartVerifyStage
    | PassVerifyStage
    | ExtendVerifyStage
    | VerificationPassed
    | StartRollback
    | NoRollback
    | LeaveRoute
    | AdoptDraft
    | CheckinSucceeded
    | RollbackSucceeded
    | ReleaseFailed
    | MarkReady
    | ReportDrift
    | ExportJobFailed
    | StallExport
    | ForceUnlock
    | CheckExportTarget
    | Validate
    | StartPublish
    | ResendOperation
    | StartImport
    | SampleVerifyStage
    | RunCheck
    | StartRollbackPublish
    | StartRestore
    | StartCheckin
    | StartExportJob
    | StartReimport
    | StoreArtifact
    | RecordChange
    | HoldForPromotion
)

PASS_ENDING = (Suspend, Stall, Wait, Settled)
SIDE_EFFECTS = (
    ForceUnlock,
    CheckExportTarget,
    Validate,
    StartPublish,
    ResendOperation,
    StartImport,
    SampleVerifyStage,
    RunCheck,
    StartRollbackPublish,
    StartRestore,
    StartCheckin,
    StartExportJob,
    StartReimport,
    StoreArtifact,
)
"""Steps that read or change Genesys or Git; every other step is a pure fold of the status."""
