"""When each release's next pass runs (the operator without --peering): a per-release wake-up the shell owns.

kopf delivers the watch (its initial listing after a restart included) and nothing else: an event handler
hands every FlowRelease it sees to `notice`, and a pass runs from here

- at once, when the event shows something a pass reads has changed, or the release is new (`triggers`);
- when the wait the engine asked for ends (a poll half a second after a publish, a bake stage, a retry):
  the engine tells the shell when to come back, and nothing adds a requeue delay to it;
- when `wake(key)` is called: the owner of its flow went away (deleted or retargeted), an upstream of its
  promotion gate changed what the gate reads (`promotion_wakeups`), or — for any caller with news, such as a
  Genesys notification that the flow's operation finished — something worth a look.
  A wake-up during a pass runs the release once more as soon as that pass ends;
- for a drift check `--drift-interval` after it became Ready.

A release that waits keeps its `Session` between passes, so a poll reads nothing from the cluster. Nothing
here is written to the object (no kopf progress annotations, no finalizer): after a restart, kopf's listing
brings every release back, and the status the engine wrote says what is in flight.

kopf peering cannot pause this schedule, so with --peering the operator runs its passes from kopf's change
handlers instead (handlers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s.flow_claims import ClaimKey, claim_keys, claims_under
from flowrelease.k8s.kube_api import KubeApiError, ObjectGone
from flowrelease.k8s.promotion_wakeups import PromotionWakeups
from flowrelease.k8s.release_pass import Session, release_key, run_release_pass
from flowrelease.k8s.runtime import Runtime
from flowrelease.k8s.slots import Priority
from flowrelease.k8s.triggers import Fingerprint, fingerprint, on_sighting, priority_of

logger = logging.getLogger(__name__)

API_ERROR_RETRY_S = 15.0
"""A pass whose status write failed is run again after this long."""
UNEXPECTED_ERROR_RETRY_S = 60.0


@dataclass
class _Release:
    body: Mapping[str, Any]
    """The newest copy of the object a watch event brought."""
    seen: Fingerprint | None = None
    """What the last pass (or booking) was decided on."""
    session: Session | None = None
    due: float | None = None
    token: int = 0
    """Which heap entry is this release's live booking (older ones are skipped)."""
    priority: Priority = Priority.NEW
    running: bool = False
    again: bool = False
    claims: tuple[ClaimKey, ...] = ()


class ReleaseScheduler:
    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._clock = clock
        self._releases: dict[str, _Release] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._tokens = itertools.count(1)
        self._kick = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._passes: set[asyncio.Task[None]] = set()
        self._promotion = PromotionWakeups()

    # -- what kopf tells us -------------------------------------------------------------------------------

    def notice(self, body: Mapping[str, Any]) -> None:
        """A watch event (or kopf's initial listing) for a FlowRelease that exists."""
        key = release_key(body)
        release = self._releases.get(key)
        if release is None:
            release = self._releases[key] = _Release(body)
        release.body = body
        self._claims_changed(key, release, claim_keys(body))
        sighting = on_sighting(
            key,
            body,
            self._status_of(key, body),
            release.seen,
            drift_seconds=self._runtime.config.drift_seconds,
        )
        if sighting.run_now:
            release.seen = fingerprint(body)
            release.session = None
            release.priority = sighting.priority
            self._run_soon(key, release)
        elif release.seen is None:
            release.seen = fingerprint(body)
            if sighting.check_after is not None:
                self._book(key, release, sighting.check_after, sighting.priority)
        self._wake_downstream(key, self._promotion.observe("MODIFIED", body))

    def forget(self, body: Mapping[str, Any]) -> None:
        """The object is gone (deleted, or out of this operator's label shard)."""
        key = release_key(body)
        release = self._releases.pop(key, None)
        if release is not None:
            self._claims_changed(key, release, ())
        self._runtime.locks.forget(key)
        self._runtime.statuses.forget(key)
        self._wake_downstream(key, self._promotion.observe("DELETED", body))

    def wake(self, key: str) -> bool:
        """Run the release's next pass now (or right after the one running); False when it is unknown.

        For anything with news about a release: the owner of its flow is gone, a notification says its
        flow's operation finished. A pass observes Genesys before it decides, so a needless wake-up costs one
        look and never a side effect."""
        release = self._releases.get(key)
        if release is None:
            return False
        self._run_soon(key, release)
        return True

    def due_in(self, key: str) -> float | None:
        release = self._releases.get(key)
        if release is None or release.due is None:
            return None
        return max(release.due - self._clock(), 0.0)

    def __len__(self) -> int:
        return len(self._releases)

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name="flowrelease release scheduler")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._passes) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        self._passes.clear()

    # -- booking --------------------------------------------------------------------------------------------

    def _status_of(self, key: str, body: Mapping[str, Any]) -> FlowReleaseStatus:
        """The newest status this operator knows: its own (written or kept), else the event's."""
        store = self._runtime.statuses
        wire = store.start_from(key, None) if store.knows(key) else body.get("status")
        try:
            return FlowReleaseStatus.model_validate(wire or {})
        except ValidationError:
            return FlowReleaseStatus()

    def _run_soon(self, key: str, release: _Release) -> None:
        if release.running:
            release.again = True
        else:
            self._book(key, release, 0.0, release.priority)

    def _book(self, key: str, release: _Release, after: float, priority: Priority) -> None:
        release.due = self._clock() + max(after, 0.0)
        release.priority = priority
        release.token = next(self._tokens)
        heapq.heappush(self._heap, (release.due, release.token, key))
        self._kick.set()

    def _claims_changed(self, key: str, release: _Release, keys: tuple[ClaimKey, ...]) -> None:
        """A release let go of a flow (deleted, retargeted, resolved): wake those waiting for it."""
        gone = tuple(k for k in release.claims if k not in keys)
        release.claims = keys
        index = self._runtime.claims_index
        if not gone or index is None:
            return
        for claim in claims_under(index, gone):
            if claim.key != key:
                self.wake(claim.key)

    def _wake_downstream(self, upstream: str, downstream: frozenset[str]) -> None:
        """An upstream's change, phase or Healthy moved (or it is gone): its gated releases look again."""
        for key in sorted(downstream):
            if self.wake(key):
                logger.info("waking %s: its upstream %s changed", key, upstream)

    async def _loop(self) -> None:
        while True:
            self._kick.clear()
            now = self._clock()
            while self._heap and self._heap[0][0] <= now:
                _, token, key = heapq.heappop(self._heap)
                release = self._releases.get(key)
                if release is None or release.token != token or release.running:
                    continue
                release.due = None
                release.running = True
                task = asyncio.create_task(self._run(key, release), name=f"flowrelease pass {key}")
                self._passes.add(task)
                task.add_done_callback(self._passes.discard)
            timeout = self._heap[0][0] - now if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=timeout)

    async def _run(self, key: str, release: _Release) -> None:
        release.again = False
        started_from = release.seen
        session = release.session
        if session is not None and not session.fresh(self._clock()):
            session = None
        release.session = None
        try:
            result = await run_release_pass(
                self._runtime, release.body, fresh_read=False, session=session, priority=release.priority
            )
        except ObjectGone:
            logger.info("%s was deleted while it was being reconciled; nothing more to do", key)
            release.running = False
            self.forget(release.body)
            return
        except KubeApiError as error:
            logger.warning("%s: Kubernetes API: %s; trying again in %gs", key, error, API_ERROR_RETRY_S)
            release.running = False
            self._book(key, release, API_ERROR_RETRY_S, release.priority)
            return
        except Exception:
            logger.exception("%s: the pass failed; trying again in %gs", key, UNEXPECTED_ERROR_RETRY_S)
            release.running = False
            self._book(key, release, UNEXPECTED_ERROR_RETRY_S, release.priority)
            return
        release.running = False
        if self._releases.get(key) is not release:
            return  # deleted while it ran
        # A spec change (or new requestedAt) seen during the pass: the next one reads the object afresh.
        release.session = result.session if release.seen == started_from else None
        self._after_pass(key, release, result.outcome)

    def _after_pass(self, key: str, release: _Release, outcome: Outcome) -> None:
        if release.again:
            self._book(key, release, 0.0, priority_of(outcome.status))
            return
        if outcome.kind is OutcomeKind.WAITING:
            self._book(key, release, outcome.after or 0.0, priority_of(outcome.status))
            return
        release.session = None
        logger.info("%s: %s (%s)", key, outcome.kind.value, outcome.message or outcome.status.phase.value)
        if outcome.kind is OutcomeKind.READY and self._runtime.config.drift_seconds > 0:
            self._book(key, release, self._runtime.config.drift_seconds, Priority.CHECK)
        elif outcome.kind is OutcomeKind.STALLED and outcome.after is not None:
            self._book(key, release, outcome.after, Priority.CHECK)
