"""The engine's read-only judgement of one release: the pass a reconcile would run, up to its first write.

`flowrelease plan` asks this instead of guessing. It observes, plans and folds exactly as the orchestrator
does, on a copy of the status kept in memory, but runs only the steps that read: starting the attempt (a
status fold), checking the Git export target (`CheckExportTarget`: the ArtifactStore's `git ls-remote`) and
the gate's own checks of a version (`Validate` without registering the validate job). It returns the first
step that would write anything — to Genesys, to Git or to the status store — or that ends the pass; a
read-only check that refused is that step, as the `FailValidation` the engine would fold. Nothing is saved:
the status store is not even given, and an attempt to save intent fails loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem, release_source
from flowrelease.engine.effects import Effects
from flowrelease.engine.error_fold import fold_error
from flowrelease.engine.observing import observe
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import (
    ArtifactStore,
    Change,
    FlowApi,
    FlowApiError,
    ReleaseDirectory,
    UpstreamExports,
)
from flowrelease.engine.promotion_gate import change_of, read_upstreams
from flowrelease.engine.release_import import resolve_from_release
from flowrelease.engine.status_folding import Folder, condition
from flowrelease.engine.step_fold import FoldContext, fold_step

MAX_READ_ONLY_STEPS = 16
"""Far more than the longest read-only run (begin, check the target, check the version)."""

_FOLDED = (S.BeginAttempt, S.ResolveFlow, S.RecordChange)
"""Status-only steps a pass takes on its way to the first write; folded here, in memory (an Open promotion
gate too: the publish it lets through is the judgement)."""


@dataclass(frozen=True)
class Judgement:
    step: S.Step
    """The first step that writes or ends the pass: what the release would do next."""
    status: FlowReleaseStatus
    """The in-memory status the step was planned from (the attempt begun, the checks recorded)."""
    observation: S.Observation


async def _never_save(status: FlowReleaseStatus) -> None:
    raise AssertionError("a read-only pass saved intent: it was about to write")


async def read_only_pass(
    api: FlowApi,
    release: FlowRelease,
    status: FlowReleaseStatus,
    *,
    generation: int,
    now: datetime,
    source_yaml: str | None,
    artifacts: ArtifactStore | None,
    git_credentials: Mapping[str, str],
    requested_at: str = "",
    releases: ReleaseDirectory | None = None,
    upstream_exports: UpstreamExports | None = None,
) -> Judgement:
    """What the next reconcile of `release` would do, found with read-only calls. An error from Genesys
    means what the orchestrator's `fold_error` says: one that stalls the release (a rejected client, a
    missing permission) is a `Stall` with the engine's reason and words; a transient one (429, 5xx,
    timeouts) propagates, since nothing can be judged until Genesys answers. `releases` shows the
    promotion gate its upstreams (and `upstream_exports` a fromRelease its upstream's export) as the
    shell knows them; without them a gated release is judged waiting, as the engine would."""
    spec = release.spec
    folder = Folder(
        now=now, generation=generation, label=spec.release.label, timeout_seconds=spec.publish.timeout_seconds
    )
    judging = _Judging(
        api=api,
        release=release,
        source=release_source(spec, source_yaml),
        change=change_of(spec, source_yaml),
        releases=releases,
        upstream_exports=upstream_exports,
        effects=Effects(
            api=api,
            release=release,
            folder=folder,
            save=_never_save,
            artifacts=artifacts,
            git_credentials=git_credentials,
        ),
        generation=generation,
        now=now,
        requested_at=requested_at,
    )
    return await judging.run(status)


@dataclass
class _Judging:
    api: FlowApi
    release: FlowRelease
    source: PreparedSource | SourceProblem | SourcePending | None
    change: Change | None
    releases: ReleaseDirectory | None
    upstream_exports: UpstreamExports | None
    effects: Effects
    generation: int
    now: datetime
    requested_at: str
    observation: S.Observation = field(default_factory=lambda: S.Observation(flow=None))
    imported: bool = False

    async def run(self, status: FlowReleaseStatus) -> Judgement:
        step: S.Step | None = None
        stale = True
        try:
            for _ in range(MAX_READ_ONLY_STEPS):
                if stale:
                    self.observation = await self._observe(status)
                step = self._plan(status)
                if isinstance(step, S.CheckExportTarget):
                    status = (await self.effects.run(step, status, self.observation)).status
                    stale = False
                    continue
                if isinstance(step, S.Validate):
                    return await self._gate(step, status)
                opened = isinstance(step, S.HoldForPromotion) and step.gate == "Open"
                if not isinstance(step, _FOLDED) and not opened:
                    return Judgement(step, status, self.observation)
                folded = fold_step(step, status, self._context())
                status, stale = folded.status, folded.stale
        except FlowApiError as error:
            folded = fold_error(error, step, status, self._context(), streak=0)
            stalled = condition(folded.status, C.STALLED)
            if folded.ends is not OutcomeKind.STALLED or stalled is None:
                raise
            return Judgement(S.Stall(stalled.reason, stalled.message), folded.status, self.observation)
        assert step is not None, "MAX_READ_ONLY_STEPS > 0"
        return Judgement(step, status, self.observation)

    async def _observe(self, status: FlowReleaseStatus) -> S.Observation:
        can_export = self.effects.artifacts is not None
        release = self.release
        if not self.imported:
            self.imported = True
            resolved = await resolve_from_release(self.releases, self.upstream_exports, release)
            if resolved is not None:
                self.source, self.change = resolved.source, resolved.change
        observed = await observe(self.api, release.spec, status, self.source, can_export=can_export)
        upstreams = await read_upstreams(self.releases, release.spec, release.metadata.namespace)
        return replace(observed, change=self.change, upstreams=upstreams)

    def _plan(self, status: FlowReleaseStatus) -> S.Step:
        return plan(
            self.release.spec,
            status,
            self.observation,
            now=self.now,
            generation=self.generation,
            requested_at=self.requested_at,
        )

    async def _gate(self, step: S.Validate, status: FlowReleaseStatus) -> Judgement:
        """The gate's own checks; registering the validate job is the first write, so it ends here."""
        flow = self.observation.flow
        assert flow is not None, "the planner validates only an observed flow"
        gate = await self.effects.gate_checks(step.version, status, flow)
        if gate.rejection is not None:
            refused = S.FailValidation(gate.rejection.reason, gate.rejection.message)
            return Judgement(refused, gate.status, self.observation)
        return Judgement(step, gate.status, self.observation)

    def _context(self) -> FoldContext:
        flow = self.observation.flow
        return FoldContext(
            folder=self.effects.folder,
            spec=self.release.spec,
            requested_at=self.requested_at,
            has_artifact_store=self.effects.artifacts is not None,
            live_version=flow.published_version if flow is not None else None,
        )
