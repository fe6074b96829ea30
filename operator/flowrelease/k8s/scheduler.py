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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.k8s.flow_claims import ClaimKey, claim_keys, claims_under
from flowrelease.k8s.kube_api import KubeApiError, ObjectGone
from flowrelease.k8s.pass_booking import (
    Booked,
    Booking,
    HeapEntry,
    PassFailure,
    Wake,
    after_failure,
    after_pass,
    on_wake,
    take_due,
)
from flowrelease.k8s.promotion_wakeups import PromotionWakeups
from flowrelease.k8s.release_pass import Session, release_key, run_release_pass
from flowrelease.k8s.runtime import Runtime
from flowrelease.k8s.slots import Priority
from flowrelease.k8s.triggers import Fingerprint, fingerprint, on_sighting, priority_of

logger = logging.getLogger(__name__)


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


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def kept_copy(body: Mapping[str, Any], *, status: bool) -> dict[str, Any]:
    """What the scheduler keeps of a watch event's object until the next: what a pass reads, without
    `managedFields` and kubectl's last-applied copy of the spec (together often larger than the rest), and
    without the status when `status` is False (the status store holds a newer one: a pass starts from it)."""
    meta = dict(body.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    kept = {k: v for k, v in body.items() if status or k != "status"}
    kept["metadata"] = meta
    return kept


class _Bookings(Mapping[str, Booked]):
    """The releases as `take_due` reads them, without copying them per loop turn."""

    def __init__(self, releases: Mapping[str, _Release]) -> None:
        self._releases = releases

    def __getitem__(self, key: str) -> Booked:
        release = self._releases[key]
        return Booked(token=release.token, running=release.running)

    def __iter__(self) -> Iterator[str]:
        return iter(self._releases)

    def __len__(self) -> int:
        return len(self._releases)


class ReleaseScheduler:
    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._clock = clock
        self._releases: dict[str, _Release] = {}
        self._heap: list[HeapEntry] = []
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
        self._claims_changed(key, release, claim_keys(body))
        self._wake_downstream(key, self._promotion.observe("MODIFIED", body))
        release.body = body = kept_copy(body, status=not self._runtime.statuses.knows(key))
        if release.seen is not None and release.seen == fingerprint(body):
            return  # most events: this operator's own status writes (on_sighting: "nothing ... changed")
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

    def forget(self, body: Mapping[str, Any]) -> None:
        """The object is gone (deleted, or out of this operator's label shard)."""
        key = release_key(body)
        release = self._releases.pop(key, None)
        if release is not None:
            self._claims_changed(key, release, ())
        self._runtime.locks.forget(key)
        self._runtime.statuses.forget(key)
        self._runtime.budget.note(key, None)
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
        if on_wake(release.running) is Wake.WHEN_IT_ENDS:
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
        bookings = _Bookings(self._releases)
        while True:
            self._kick.clear()
            due = take_due(self._heap, self._clock(), bookings)
            for key in due.start:
                release = self._releases[key]
                release.due = None
                release.running = True
                task = asyncio.create_task(self._run(key, release), name=f"flowrelease pass {key}")
                self._passes.add(task)
                task.add_done_callback(self._passes.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=due.wait)

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
            self._after_failure(key, release, PassFailure.OBJECT_GONE)
            return
        except KubeApiError as error:
            logger.warning("%s: Kubernetes API: %s; trying again", key, error)
            self._after_failure(key, release, PassFailure.KUBE_API)
            return
        except Exception:
            logger.exception("%s: the pass failed; trying again later", key)
            self._after_failure(key, release, PassFailure.UNEXPECTED)
            return
        release.running = False
        if self._releases.get(key) is not release:
            return  # deleted while it ran
        # A spec change (or new requestedAt) seen during the pass: the next one reads the object afresh.
        release.session = result.session if release.seen == started_from else None
        outcome = result.outcome
        in_flight = outcome.kind is OutcomeKind.WAITING and priority_of(outcome.status) is Priority.IN_FLIGHT
        limiter = result.session.prepared.limiter if result.session is not None else None
        self._runtime.budget.note(key, limiter if in_flight else None)
        booking = after_pass(
            outcome.kind,
            outcome.after,
            outcome.status,
            woken=release.again,
            drift_seconds=self._runtime.config.drift_seconds,
        )
        if outcome.kind is not OutcomeKind.WAITING:
            release.session = None
            logger.info("%s: %s (%s)", key, outcome.kind.value, outcome.message or outcome.status.phase.value)
        if booking is not None:
            self._book_for(key, release, booking)

    def _after_failure(self, key: str, release: _Release, failure: PassFailure) -> None:
        release.running = False
        booking = after_failure(failure, release.priority)
        if booking is None:
            self.forget(release.body)
        elif self._releases.get(key) is release:
            self._book_for(key, release, booking)

    def _book_for(self, key: str, release: _Release, booking: Booking) -> None:
        self._book(key, release, booking.after, booking.priority)
