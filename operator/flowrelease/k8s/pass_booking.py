"""The release scheduler's decisions, PURE and table-tested: which booked passes start now and when the loop
looks next, what a wake-up does, and when a release's next pass is booked once one ends.

`scheduler.py` holds the state (one booking per release, a heap of due times) and runs the passes; every
choice it makes about time and order is one of these functions, with the clock's reading passed in.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.k8s.slots import Priority
from flowrelease.k8s.triggers import priority_of

API_ERROR_RETRY_S = 15.0
"""A pass whose status write (or another Kubernetes call) failed is run again after this long."""
UNEXPECTED_ERROR_RETRY_S = 60.0
"""A pass that raised something unexpected is run again after this long."""

HeapEntry = tuple[float, int, str]
"""(due time on the scheduler's clock, booking token, release key): the heap's order is due time, then the
order of booking."""


@dataclass(frozen=True)
class Booked:
    """What the scheduler knows of one release when its heap entry comes up."""

    token: int
    """The token of the release's live booking: an entry with another token was superseded."""
    running: bool
    """A pass of it is running now (a wake-up during a pass books the next one when it ends)."""


@dataclass(frozen=True)
class Due:
    start: tuple[str, ...]
    """Releases whose pass starts now, in heap order."""
    wait: float | None
    """Seconds until the next entry is due; None: nothing is booked, sleep until kicked."""


def take_due(heap: list[HeapEntry], now: float, booked: Mapping[str, Booked]) -> Due:
    """Pop every entry due at `now` from `heap` (in place): the live ones start, superseded ones (another
    token), entries of releases gone or running are dropped."""
    start: list[str] = []
    while heap and heap[0][0] <= now:
        _, token, key = heapq.heappop(heap)
        release = booked.get(key)
        if release is None or release.token != token or release.running:
            continue
        start.append(key)
    return Due(tuple(start), heap[0][0] - now if heap else None)


class Wake(enum.Enum):
    NOW = "book a pass now"
    WHEN_IT_ENDS = "run once more as soon as the running pass ends"


def on_wake(running: bool) -> Wake:
    """Someone has news about a release (its flow's owner went away, a notification, an upstream moved)."""
    return Wake.WHEN_IT_ENDS if running else Wake.NOW


@dataclass(frozen=True)
class Booking:
    after: float
    """Seconds from now."""
    priority: Priority
    """Its place in the --max-concurrent queue when it runs."""
    reason: str


def after_pass(
    kind: OutcomeKind,
    after: float | None,
    status: FlowReleaseStatus,
    *,
    woken: bool,
    drift_seconds: float,
) -> Booking | None:
    """The next pass once one ended with this outcome; None: nothing until the object changes or a wake-up.
    `woken`: a wake-up (or an event that needs a pass) came while it ran."""
    if woken:
        return Booking(0.0, priority_of(status), "woken while the pass ran: once more at once")
    if kind is OutcomeKind.WAITING:
        return Booking(max(after or 0.0, 0.0), priority_of(status), "the engine waits: back when it ends")
    if kind is OutcomeKind.READY and drift_seconds > 0:
        return Booking(drift_seconds, Priority.CHECK, "Ready: the next drift check")
    if kind is OutcomeKind.STALLED and after is not None:
        return Booking(max(after, 0.0), Priority.CHECK, "stalled: the engine asked for another look")
    return None


class PassFailure(enum.Enum):
    OBJECT_GONE = "the object was deleted while it was reconciled"
    KUBE_API = "a Kubernetes API call failed"
    UNEXPECTED = "the pass raised an unexpected error"


def after_failure(failure: PassFailure, priority: Priority) -> Booking | None:
    """The next pass after one that raised: none for a deleted object, else a retry at the same priority."""
    if failure is PassFailure.OBJECT_GONE:
        return None
    if failure is PassFailure.KUBE_API:
        return Booking(API_ERROR_RETRY_S, priority, "Kubernetes API error: retry")
    return Booking(UNEXPECTED_ERROR_RETRY_S, priority, "unexpected error: retry later")
