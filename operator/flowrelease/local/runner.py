"""Driving releases to a settled state: call the engine, wait what it asks, call again — bounded in time.

The engine never sleeps; it returns WAITING with `after` seconds. The runner waits that long (without
blocking the loop) — or less, when `wait_for_release` is given and a notification about the release's flow
wakes it — and calls again until the release is READY, STALLED or SUSPENDED, or the overall deadline
passes. Releases run concurrently under a semaphore, each holding its place until it settles, so work in
flight never waits for one; in the org's shared rate limiter the requests of a release with work in flight
(`api.work_in_flight`: the read that notices its publish went live) go before those of releases still
starting, as in the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.api.work_in_flight import has_work_in_flight
from flowrelease.audit.metrics import ReleaseMetrics
from flowrelease.engine.checks import CheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.genesys import in_flight_first
from flowrelease.local.folder_releases import StatusChanges
from flowrelease.local.outcomes import ReleaseResult, ResultKind, result_from, status_message
from flowrelease.local.progress import ProgressReporter
from flowrelease.local.promotion_order import dependency_keys

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 1.0
"""Used when the engine says WAITING without saying how long."""

SETTLED = {
    OutcomeKind.READY: ResultKind.READY,
    OutcomeKind.STALLED: ResultKind.STALLED,
    OutcomeKind.SUSPENDED: ResultKind.SUSPENDED,
}


class Reconciling(Protocol):
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
    ) -> Outcome: ...


@dataclass(frozen=True)
class ReleaseJob:
    release: FlowRelease
    reconciler: Reconciling
    status: FlowReleaseStatus
    generation: int
    git_credentials: Mapping[str, str] | None = None
    source_yaml: str | None = None
    requested_at: str = ""
    checks: CheckProbe | None = None

    @property
    def key(self) -> str:
        return self.release.key

    @property
    def upstreams(self) -> tuple[str, ...]:
        """`namespace/name` of the releases this one waits for (promotion gate, fromRelease)."""
        release = self.release
        return dependency_keys(release.spec, release.metadata.namespace)

    @property
    def flow_label(self) -> str:
        flow = self.release.spec.flow
        return flow.name or flow.id


class ReleaseRunner:
    def __init__(
        self,
        reporter: ProgressReporter,
        *,
        timeout: float,
        concurrency: int,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: ReleaseMetrics | None = None,
        wait_for_release: Callable[[str, float], Awaitable[bool]] | None = None,
        changes: StatusChanges | None = None,
        on_job_start: Callable[[], None] = lambda: None,
        on_job_end: Callable[[], None] = lambda: None,
    ) -> None:
        self.reporter = reporter
        self.changes = changes
        """Wakes a release waiting at its promotion gate as soon as an upstream saves a new status."""
        self.metrics = metrics or ReleaseMetrics()
        self.monotonic = monotonic
        self.sleep = sleep
        self.wait_for_release = wait_for_release
        """(release key, seconds) → sleeps up to `seconds`, returning early when the release is woken."""
        self.on_job_start, self.on_job_end = on_job_start, on_job_end
        self.deadline = monotonic() + timeout
        self.timeout = timeout
        self.semaphore = asyncio.Semaphore(max(1, concurrency))

    async def run_all(self, jobs: Sequence[ReleaseJob]) -> list[ReleaseResult]:
        return list(await asyncio.gather(*(self._bounded(job) for job in jobs)))

    async def _bounded(self, job: ReleaseJob) -> ReleaseResult:
        async with self.semaphore:
            self.reporter.started(job.key, job.flow_label)
            self.on_job_start()
            try:
                with self.metrics.tracking_in_flight():
                    result = await self.run(job)
            finally:
                self.on_job_end()
            self.metrics.record_result(result.phase)
            self.reporter.finished(result)
            return result

    async def run(self, job: ReleaseJob) -> ReleaseResult:
        status = job.status
        while True:
            seen = self.changes.seen(job.upstreams) if self.changes is not None else ()
            first = in_flight_first() if has_work_in_flight(status) else contextlib.nullcontext()
            try:
                with first:
                    outcome = await job.reconciler.reconcile(
                        job.release,
                        status,
                        generation=job.generation,
                        git_credentials=job.git_credentials,
                        requested_at=job.requested_at,
                        source_yaml=job.source_yaml,
                        checks=job.checks,
                    )
            except Exception as error:
                logger.exception("reconciling %s failed unexpectedly", job.key)
                message = f"unexpected error: {type(error).__name__}: {error}; rerun sync to resume"
                return result_from(job.key, job.flow_label, status, ResultKind.ERROR, message)
            status = outcome.status
            self.reporter.progressed(job.key, status, outcome.events)
            if outcome.kind in SETTLED:
                message = status_message(status) or outcome.message
                return result_from(job.key, job.flow_label, status, SETTLED[outcome.kind], message)
            remaining = self.deadline - self.monotonic()
            wait = outcome.after if outcome.after is not None else DEFAULT_WAIT_SECONDS
            gated = self.changes is not None and bool(job.upstreams) and _at_its_gate(status)
            if gated and remaining > 0:
                # The gate's wait is an upper bound: an upstream's next status may open it any moment.
                wait = min(wait, remaining)
            if wait > remaining:
                message = (
                    f"still {status.phase.value} when --timeout {self.timeout:g}s ran out "
                    f"({outcome.message or 'work in flight'}); rerun sync to resume"
                )
                return result_from(job.key, job.flow_label, status, ResultKind.TIMED_OUT, message)
            if gated and self.changes is not None:
                await self.changes.wait_for(job.upstreams, max(wait, 0.0), seen)
            elif self.wait_for_release is not None:
                await self.wait_for_release(job.key, max(wait, 0.0))
            else:
                await self.sleep(max(wait, 0.0))


def _at_its_gate(status: FlowReleaseStatus) -> bool:
    promotion = status.promotion
    return promotion is not None and promotion.gate == "Waiting"
