"""The release orchestrator: observe → plan → execute ONE step → persist, until it must wait or is done.

`ReleaseReconciler.reconcile` is the engine's one entry point for both shells (kopf and `flowrelease sync`).
Decisions are the planner's (`planner.plan`, pure); a status-only step is folded into the status
(`step_fold.fold_step`, pure); a side-effect step runs through the ports (`effects.Effects`), which saves
its intent BEFORE acting. Every status written carries `observedGeneration`. The engine never sleeps:
waiting is an Outcome (WAITING with `after`), and the shell calls again.

Errors from Genesys that are not a refused side effect decide the outcome in one place (`step_fold`'s
`fold_error`): Transient → WAITING with backoff; AuthenticationFailed / PermissionDenied / InvalidRequest /
NotFound → STALLED with the message; Conflict while registering an import → lockPolicy.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem, release_source
from flowrelease.engine.audit_trail import action_of, describe
from flowrelease.engine.checks import CheckProbe
from flowrelease.engine.effects import Effects
from flowrelease.engine.error_fold import fold_error
from flowrelease.engine.observing import Reread, observe, observe_jobs, reread_after, with_current_owner
from flowrelease.engine.outcome import Outcome, OutcomeKind, ReleaseEvent
from flowrelease.engine.planner import plan
from flowrelease.engine.poll_schedule import (
    PUSHED_POLL,
    START_EVENT_SECONDS,
    PollSchedule,
    lossy_channel,
)
from flowrelease.engine.ports import (
    ArtifactStore,
    AuditEvent,
    AuditSink,
    Clock,
    CompletionHints,
    FlowApi,
    FlowApiError,
    FlowClaims,
    Pushed,
    ReleaseDirectory,
    StatusStore,
    Transient,
    UpstreamExports,
)
from flowrelease.engine.promotion_gate import change_of, read_upstreams
from flowrelease.engine.release_import import resolve_from_release
from flowrelease.engine.status_folding import Folder, timestamp, validation_error_rate
from flowrelease.engine.step_fold import FoldContext, Folded, fold_step

DEFAULT_DRIFT_INTERVAL = 300.0
MAX_STEPS_PER_PASS = 64
POSTING_STEPS = (
    S.StartPublish,
    S.ResendOperation,
    S.StartRollbackPublish,
    S.StartCheckin,
    S.StartImport,
    S.StartReimport,
)
"""Side effects that start asynchronous work in Genesys, whose end notifications report."""
CLAIM_CHECKED_STEPS = (S.StartPublish, S.StartImport, S.StartReimport, S.StartCheckin)
"""Steps that begin work on the flow: the flow's owner is asked again right before them."""
ANNOUNCED_ENDS = (S.PublishSucceeded, S.RollbackSucceeded, S.CheckinSucceeded)
"""Ends of posted work that change the flow's operation and versions, which `v2.flows` announces: read with
no event since the POST, they show a lost event. (An Architect job's end is left out: the SDK documents the
topic's payload, not that a job's publish triggers it.)"""
JOB_STEPS = (S.StartImport, S.StartReimport)
"""Posting steps whose start Genesys does not announce on the flow's topic: an Architect job changes the flow
only when it ends (it publishes), so silence after its POST says nothing."""


class ReleaseReconciler:
    """Runs release passes for FlowReleases through the ports. One instance serves many releases."""

    def __init__(
        self,
        *,
        flow_api: FlowApi,
        statuses: StatusStore,
        audit: AuditSink,
        clock: Clock,
        artifacts: ArtifactStore | None = None,
        poll: PollSchedule | None = None,
        drift_interval: float = DEFAULT_DRIFT_INTERVAL,
        rng: random.Random | None = None,
        hints: CompletionHints | None = None,
        pushed_poll: PollSchedule | None = None,
        flow_claims: FlowClaims | None = None,
        releases: ReleaseDirectory | None = None,
        upstream_exports: UpstreamExports | None = None,
    ) -> None:
        self.flow_api = flow_api
        self.releases = releases
        """Where spec.promotion's upstream releases are read (None: a gated release waits)."""
        self.upstream_exports = upstream_exports
        """Where spec.source.fromRelease's upstream export is read (None: such a release is refused)."""
        self.statuses = statuses
        self.audit = audit
        self.clock = clock
        self.artifacts = artifacts
        self.poll = poll or PollSchedule()
        self.hints = hints
        self.pushed_poll = pushed_poll or PUSHED_POLL
        self.watched: dict[str, str] = {}
        """Per release key: the flow whose notifications it watches while something is in flight."""
        self.drift_interval = drift_interval
        self.rng = rng or random.Random()
        self.flow_claims = flow_claims
        """Which releases claim a flow (the operator's FlowRelease index); None: no one-owner rule here."""
        self.retry_streaks: dict[str, int] = {}
        """Consecutive transient errors per release key, for the retry backoff; reset by any settled pass."""
        self.early_watches: set[asyncio.Task[None]] = set()
        """Subscriptions started while a release validates, so its topic is live by the time it publishes."""
        self.poll_counts: dict[str, tuple[str, int]] = {}
        """Per release: (what is polled, polls so far) — the audit `attempt`, kept out of the status so a
        poll that learns nothing writes an identical status."""

    async def reconcile(
        self,
        release: FlowRelease,
        status: FlowReleaseStatus,
        *,
        generation: int,
        git_credentials: Mapping[str, str] | None = None,
        requested_at: str = "",
        source_yaml: str | None = None,
        checks: CheckProbe | None = None,
    ) -> Outcome:
        """Run steps until the release must wait, is Ready, is stalled or is suspended.

        `source_yaml` is the text of the ConfigMap key named by `spec.source.configMapRef` (mode B); the
        shells read it and pass it in, or pass None when the ConfigMap or key does not exist.
        `requested_at` echoes the `reconcile.flowrelease.io/requestedAt` annotation: a new value lifts a
        stall once. The status is saved through `statuses` after every step and before every side effect.
        `checks` runs the release's external verify checks (the shells build one per pass, holding the
        Secrets those checks name).
        """
        run = _Pass(
            self, release, status, generation, requested_at, git_credentials or {}, source_yaml, checks
        )
        return await run.run()

    def pushed(self, key: str) -> bool:
        """Whether notifications are live for the flow release `key` waits on (an event will wake it)."""
        flow_id = self.watched.get(key)
        return flow_id is not None and self.hints is not None and self.hints.pushed(flow_id).live

    def reads_of_operation(self, key: str, status: FlowReleaseStatus) -> int:
        """Reads of the flow since `status.operation` started, the one just made included: the polls of it
        counted so far (each came after a read) plus this read."""
        previous, count = self.poll_counts.get(key, ("", 0))
        return count + 1 if previous == polled_key(status) else 1

    def count_poll(self, key: str, polled: str) -> int:
        previous, count = self.poll_counts.get(key, ("", 0))
        count = count + 1 if previous == polled else 1
        self.poll_counts[key] = (polled, count)
        return count


def polled_key(status: FlowReleaseStatus) -> str:
    """What a poll of `status` is a poll of: the in-flight operation (counted afresh once its Architect job's
    success is recorded: the read-back counts reads since), else the recorded job."""
    op = status.operation
    if op is None:
        return f"job:{status.job.id}" if status.job else "wait"
    return f"{op.kind}:{op.started_at}:{op.completed_at}"


class _Pass:
    """One reconcile call for one release: observe → plan → execute → persist."""

    def __init__(
        self,
        engine: ReleaseReconciler,
        release: FlowRelease,
        status: FlowReleaseStatus,
        generation: int,
        requested_at: str,
        git_credentials: Mapping[str, str],
        source_yaml: str | None,
        checks: CheckProbe | None = None,
    ) -> None:
        self.engine = engine
        self.release = release
        self.status = status
        self.generation = generation
        self.requested_at = requested_at
        self.events: list[ReleaseEvent] = []
        self.observation = S.Observation(flow=None)
        self.source: PreparedSource | SourceProblem | SourcePending | None = release_source(
            release.spec, source_yaml
        )
        self.change = change_of(release.spec, source_yaml)
        self.imported = False
        self.effects = Effects(
            api=engine.flow_api,
            release=release,
            folder=self._folder(),
            save=self._save,
            artifacts=engine.artifacts,
            git_credentials=git_credentials,
            watch=self._watch if engine.hints is not None else None,
            checks=checks,
        )

    async def _import_from_release(self) -> None:
        """spec.source.fromRelease: the upstream's export, read once per pass (at its first observation)."""
        if self.imported:
            return
        self.imported = True
        engine = self.engine
        resolved = await resolve_from_release(engine.releases, engine.upstream_exports, self.release)
        if resolved is not None:
            self.source, self.change = resolved.source, resolved.change

    def _plan(self) -> S.Step:
        return plan(
            self.release.spec,
            self.status,
            self.observation,
            now=self._now(),
            generation=self.generation,
            requested_at=self.requested_at,
            poll=self.engine.poll,
            pushed_poll=self.engine.pushed_poll,
        )

    async def run(self) -> Outcome:
        reread = Reread.EVERYTHING
        flow_read_at = self._now()
        for _ in range(MAX_STEPS_PER_PASS):
            started = time.perf_counter()
            step: S.Step | None = None
            self.effects.folder = self._folder()
            try:
                if reread is Reread.JOBS:
                    self.observation = await observe_jobs(self.engine.flow_api, self.status, self.observation)
                elif reread is Reread.EVERYTHING:
                    flow_read_at = self._now()
                    await self._import_from_release()
                    observed = await observe(
                        self.engine.flow_api,
                        self.release.spec,
                        self.status,
                        self.source,
                        can_export=self.engine.artifacts is not None,
                        release=self.release.key,
                        flow_claims=self.engine.flow_claims,
                    )
                    self.observation = replace(
                        observed,
                        pushed=await self._pushed(observed),
                        operation_reads=self.engine.reads_of_operation(self.release.key, self.status),
                        change=self.change,
                        upstreams=await read_upstreams(
                            self.engine.releases, self.release.spec, self.release.metadata.namespace
                        ),
                    )
                step = self._plan()
                if isinstance(step, ANNOUNCED_ENDS):
                    self._report_finished()
                if isinstance(step, CLAIM_CHECKED_STEPS):
                    current = with_current_owner(self.observation, self.release.key, self.engine.flow_claims)
                    if current is not self.observation:
                        self.observation = current
                        step = self._plan()
                if isinstance(step, S.Validate):
                    self._watch_early()
                if isinstance(step, S.SIDE_EFFECTS):
                    folded = await self.effects.run(step, self.status, self.observation)
                else:
                    folded = fold_step(step, self.status, self._context())
            except FlowApiError as error:
                folded = fold_error(error, step, self.status, self._context(), self._streak(error))
            await self._save(folded.status)
            self.events.extend(folded.events)
            self._audit(step, folded, started)
            if folded.stale and isinstance(step, POSTING_STEPS) and self._reported_by_events():
                self.engine.retry_streaks.pop(self.release.key, None)
                return self._await_event(step)
            if folded.ends is not None:
                if folded.ends is not OutcomeKind.WAITING or folded.audit != "error":
                    self.engine.retry_streaks.pop(self.release.key, None)
                if self.status.operation is None:
                    self._unwatch()
                return self._outcome(folded, step)
            reread = reread_after(step, folded.stale, (self._now() - flow_read_at).total_seconds())
        return Outcome(
            kind=OutcomeKind.WAITING,
            status=self.status,
            after=1.0,
            message=f"stopped after {MAX_STEPS_PER_PASS} steps in one pass",
            events=tuple(self.events),
        )

    def _now(self) -> datetime:
        return self.engine.clock.now()

    # -- notifications (CompletionHints) -----------------------------------------------------------------

    async def _watch(self, flow_id: str, *, ahead: bool = False, late: bool = False) -> None:
        hints, key = self.engine.hints, self.release.key
        if hints is None:
            return
        previous = self.engine.watched.get(key)
        if previous is not None and previous != flow_id:
            hints.unwatch(key, previous)
        self.engine.watched[key] = flow_id
        await hints.watch(key, flow_id, ahead=ahead, late=late)

    def _watch_early(self) -> None:
        """Subscribe the flow's topic while the release validates (in the background): the subscription
        rides with other releases' in one request, and is live by the publish's own `watch`."""
        flow = self.observation.flow
        if self.engine.hints is None or flow is None or self.engine.watched.get(self.release.key) == flow.id:
            return
        task = asyncio.get_running_loop().create_task(self._watch(flow.id, ahead=True))
        self.engine.early_watches.add(task)
        task.add_done_callback(self.engine.early_watches.discard)

    def _unwatch(self) -> None:
        flow_id = self.engine.watched.pop(self.release.key, None)
        if flow_id is not None and self.engine.hints is not None:
            self.engine.hints.unwatch(self.release.key, flow_id)

    def _report_finished(self) -> None:
        """The work in flight reads finished: the hints judge whether an event announced it."""
        hints, op, pushed = self.engine.hints, self.status.operation, self.observation.pushed
        flow_id = self.engine.watched.get(self.release.key)
        if hints is None or op is None or not op.posted_at or not flow_id:
            return
        if pushed is not None and pushed.live:
            hints.finished(self.release.key, flow_id)

    def _reported_by_events(self) -> bool:
        """The work just posted was acknowledged and notifications are live for its flow: the event (or
        the safety net) brings the next look; a read right now would only show it still running."""
        op = self.status.operation
        return op is not None and bool(op.posted_at) and self.engine.pushed(self.release.key)

    def _await_event(self, step: S.Step) -> Outcome:
        """Wait for the event; the hints wake the release sooner if the POST's start is never announced.
        On a channel that lost events lately the regular schedule's first look comes instead of the net's."""
        after = self.engine.pushed_poll.delay(0.0)
        flow_id = self.engine.watched.get(self.release.key)
        hints = self.engine.hints
        if (
            hints is not None
            and flow_id is not None
            and lossy_channel(hints.pushed(flow_id).channel_lost_seconds_ago)
        ):
            after = self.engine.poll.delay(0.0)
        if self.engine.hints is not None and flow_id is not None and not isinstance(step, JOB_STEPS):
            self.engine.hints.expect(self.release.key, flow_id, START_EVENT_SECONDS)
        return Outcome(
            kind=OutcomeKind.WAITING,
            status=self.status,
            after=self.engine.poll.jittered(after, self.engine.rng),
            message=f"{describe(step)}: Genesys accepted it; waiting for its notification (the next look "
            f"is in {after:g}s at the latest)",
            events=tuple(self.events),
            poll=True,
        )

    async def _pushed(self, observation: S.Observation) -> Pushed | None:
        """What notifications say about the flow of the work in flight; a release resumed with work in
        flight (a restart) subscribes now, late but before its next look."""
        hints, op = self.engine.hints, self.status.operation
        if hints is None or op is None:
            return None
        flow = observation.flow
        flow_id = flow.id if flow is not None else (self.status.flow.id if self.status.flow else "")
        if not flow_id:
            return None
        if self.engine.watched.get(self.release.key) != flow_id:
            await self._watch(flow_id, late=True)
        return hints.pushed(flow_id)

    def _folder(self) -> Folder:
        spec = self.release.spec
        return Folder(
            now=self._now(),
            generation=self.generation,
            label=spec.release.label,
            timeout_seconds=spec.publish.timeout_seconds,
        )

    def _context(self) -> FoldContext:
        flow = self.observation.flow
        return FoldContext(
            folder=self._folder(),
            spec=self.release.spec,
            requested_at=self.requested_at,
            drift_interval=self.engine.drift_interval,
            has_artifact_store=self.engine.artifacts is not None,
            live_version=flow.published_version if flow is not None else None,
        )

    def _streak(self, error: FlowApiError) -> int:
        key = self.release.key
        if not isinstance(error, Transient):
            self.engine.retry_streaks.pop(key, None)
            return 0
        streak = self.engine.retry_streaks.get(key, 0) + 1
        self.engine.retry_streaks[key] = streak
        return streak

    async def _save(self, status: FlowReleaseStatus) -> None:
        self.status = self._folder().stamp(status)
        await self.engine.statuses.save(self.release.key, self.status)

    def _outcome(self, folded: Folded, step: S.Step | None) -> Outcome:
        after = folded.after
        if after is not None and folded.jitter:
            after = self.engine.poll.jittered(after, self.engine.rng)
        message = folded.summary or (describe(step) if step is not None else "")
        return Outcome(
            kind=folded.ends or OutcomeKind.WAITING,
            status=self.status,
            after=after,
            message=message,
            events=tuple(self.events),
            poll=folded.jitter,
        )

    # -- audit ------------------------------------------------------------------------------------------

    def _audit(self, step: S.Step | None, folded: Folded, started: float) -> None:
        status = self.status
        op = status.operation
        attempt = 1
        if isinstance(step, S.Wait) and step.poll:
            attempt = self.engine.count_poll(self.release.key, polled_key(status))
        elif folded.audit == "error":
            attempt = self.engine.retry_streaks.get(self.release.key, 1)
        details = dict(folded.details)
        details.setdefault("step", type(step).__name__ if step is not None else "Observe")
        details["phase"] = status.phase.value
        flow = status.flow
        self.engine.audit.emit(
            AuditEvent(
                timestamp=timestamp(self._now()),
                release=self.release.key,
                flow_id=flow.id if flow else "",
                flow_name=flow.name if flow else (self.release.spec.flow.name or ""),
                version=(op.version if op and op.version else "") or status.desired_version,
                action=action_of(step, status),
                outcome=folded.audit,
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                attempt=attempt,
                validation_error_rate=validation_error_rate(status),
                operation_id=op.id if op else "",
                details=details,
                milestone=folded.milestone,
                rollback_route=folded.rollback_route,
                route_result=folded.route_result,
            )
        )
