"""The release scheduler's decisions as tables, on the clock reading each case gives (no sleeps): which booked
passes start now and how long the loop sleeps, what a wake-up does, when the next pass is booked after one
ends or fails. The cases that matter most: a finished publish is looked at at once (no requeue delay), work
in flight keeps its priority, a superseded booking never runs, a running release is never started twice."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import pytest

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.k8s.config import DEFAULT_DRIFT_INTERVAL, ConfigError, OperatorConfig
from flowrelease.k8s.pass_booking import (
    API_ERROR_RETRY_S,
    UNEXPECTED_ERROR_RETRY_S,
    Booked,
    Booking,
    Due,
    HeapEntry,
    PassFailure,
    Wake,
    after_failure,
    after_pass,
    on_wake,
    take_due,
)
from flowrelease.k8s.slots import Priority

# -- which passes start now ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCase:
    id: str
    reason: str
    heap: list[HeapEntry]
    now: float
    booked: dict[str, Booked]
    want: Due
    left: list[HeapEntry]
    """The heap after the call, in heap order."""


DUE_CASES = [
    DueCase("empty", "nothing booked: sleep until kicked", [], 10.0, {}, Due((), None), []),
    DueCase(
        "not-yet",
        "the only booking is due later: sleep exactly until then",
        [(12.5, 1, "a/x")],
        10.0,
        {"a/x": Booked(1, False)},
        Due((), 2.5),
        [(12.5, 1, "a/x")],
    ),
    DueCase(
        "due-now",
        "a booking due at this instant starts (a wake-up is booked at now + 0)",
        [(10.0, 1, "a/x")],
        10.0,
        {"a/x": Booked(1, False)},
        Due(("a/x",), None),
        [],
    ),
    DueCase(
        "overdue-in-order",
        "every overdue booking starts, earliest due first, then booking order",
        [(9.0, 3, "a/c"), (8.0, 2, "a/b"), (9.0, 1, "a/a"), (11.0, 4, "a/d")],
        10.0,
        {k: Booked(t, False) for k, t in (("a/a", 1), ("a/b", 2), ("a/c", 3), ("a/d", 4))},
        Due(("a/b", "a/a", "a/c"), 1.0),
        [(11.0, 4, "a/d")],
    ),
    DueCase(
        "superseded",
        "a release re-booked (a wake-up after a poll was booked) runs on its live token only",
        [(9.0, 1, "a/x"), (9.5, 2, "a/x")],
        10.0,
        {"a/x": Booked(2, False)},
        Due(("a/x",), None),
        [],
    ),
    DueCase(
        "superseded-later",
        "the old entry due now is dropped; the live one, later, is still waited for",
        [(9.0, 1, "a/x"), (30.0, 2, "a/x")],
        10.0,
        {"a/x": Booked(2, False)},
        Due((), 20.0),
        [(30.0, 2, "a/x")],
    ),
    DueCase(
        "gone",
        "a release deleted since it was booked is dropped",
        [(9.0, 1, "a/x")],
        10.0,
        {},
        Due((), None),
        [],
    ),
    DueCase(
        "running",
        "a release whose pass is running is not started twice (its end books the next)",
        [(9.0, 1, "a/x"), (9.0, 2, "a/y")],
        10.0,
        {"a/x": Booked(1, True), "a/y": Booked(2, False)},
        Due(("a/y",), None),
        [],
    ),
]


@pytest.mark.parametrize("case", DUE_CASES, ids=[c.id for c in DUE_CASES])
def test_take_due(case: DueCase) -> None:
    heap = list(case.heap)
    heapq.heapify(heap)
    assert take_due(heap, case.now, case.booked) == case.want, case.reason
    assert sorted(heap) == case.left, case.reason


def test_a_thousand_due_at_once_start_in_booking_order() -> None:
    heap: list[HeapEntry] = []
    booked = {}
    for token in range(1, 1001):
        heapq.heappush(heap, (5.0, token, f"bench/{token:04d}"))
        booked[f"bench/{token:04d}"] = Booked(token, False)
    due = take_due(heap, 5.0, booked)
    assert due == Due(tuple(f"bench/{t:04d}" for t in range(1, 1001)), None)


# -- a wake-up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("running", "want", "reason"),
    [
        (False, Wake.NOW, "an idle release is booked at once (no requeue delay)"),
        (True, Wake.WHEN_IT_ENDS, "a running one runs once more when its pass ends, never twice at once"),
    ],
    ids=["idle", "running"],
)
def test_on_wake(running: bool, want: Wake, reason: str) -> None:
    assert on_wake(running) is want, reason


# -- after a pass ---------------------------------------------------------------------------------------

PUBLISHING = FlowReleaseStatus.model_validate(
    {"phase": "Publishing", "operation": {"kind": "publish", "version": "2.0"}}
)
VERIFYING = FlowReleaseStatus.model_validate({"phase": "Verifying"})
PENDING = FlowReleaseStatus.model_validate({"phase": "Pending"})
READY = FlowReleaseStatus.model_validate({"phase": "Ready"})
STALLED = FlowReleaseStatus.model_validate({"phase": "Pending"})
DRIFT = 300.0


@dataclass(frozen=True)
class AfterCase:
    id: str
    reason: str
    kind: OutcomeKind
    after: float | None
    status: FlowReleaseStatus
    woken: bool
    drift: float
    want: Booking | None


AFTER_CASES = [
    AfterCase(
        "poll",
        "a publish in flight: back exactly when the engine's poll is due, ahead of new starts",
        OutcomeKind.WAITING,
        0.5,
        PUBLISHING,
        False,
        DRIFT,
        Booking(0.5, Priority.IN_FLIGHT, "the engine waits: back when it ends"),
    ),
    AfterCase(
        "bake",
        "a bake stage: back when the stage ends, still in flight",
        OutcomeKind.WAITING,
        120.0,
        VERIFYING,
        False,
        DRIFT,
        Booking(120.0, Priority.IN_FLIGHT, "the engine waits: back when it ends"),
    ),
    AfterCase(
        "waiting-no-after",
        "a wait without a time is a look at once",
        OutcomeKind.WAITING,
        None,
        PUBLISHING,
        False,
        DRIFT,
        Booking(0.0, Priority.IN_FLIGHT, "the engine waits: back when it ends"),
    ),
    AfterCase(
        "waiting-negative",
        "a wait already over (clock skew) is a look at once, never in the past",
        OutcomeKind.WAITING,
        -3.0,
        PUBLISHING,
        False,
        DRIFT,
        Booking(0.0, Priority.IN_FLIGHT, "the engine waits: back when it ends"),
    ),
    AfterCase(
        "waiting-not-started",
        "waiting before anything is in flight (a lock, a gate) keeps a new start's place",
        OutcomeKind.WAITING,
        15.0,
        PENDING,
        False,
        DRIFT,
        Booking(15.0, Priority.NEW, "the engine waits: back when it ends"),
    ),
    AfterCase(
        "woken-while-polling",
        "a notification came during the pass: once more at once, not after the poll interval",
        OutcomeKind.WAITING,
        10.0,
        PUBLISHING,
        True,
        DRIFT,
        Booking(0.0, Priority.IN_FLIGHT, "woken while the pass ran: once more at once"),
    ),
    AfterCase(
        "woken-ready",
        "the owner of its flow went away during a pass that settled: look again now",
        OutcomeKind.READY,
        None,
        READY,
        True,
        DRIFT,
        Booking(0.0, Priority.NEW, "woken while the pass ran: once more at once"),
    ),
    AfterCase(
        "ready-drift",
        "Ready: the next look is the drift check, behind every start",
        OutcomeKind.READY,
        None,
        READY,
        False,
        DRIFT,
        Booking(DRIFT, Priority.CHECK, "Ready: the next drift check"),
    ),
    AfterCase(
        "ready-no-drift",
        "Ready without drift checks (--drift-interval 0, or --peering): nothing is booked",
        OutcomeKind.READY,
        None,
        READY,
        False,
        0.0,
        None,
    ),
    AfterCase(
        "stalled-look-again",
        "held by another release's flow: look again when the engine says",
        OutcomeKind.STALLED,
        30.0,
        STALLED,
        False,
        DRIFT,
        Booking(30.0, Priority.CHECK, "stalled: the engine asked for another look"),
    ),
    AfterCase(
        "stalled-for-good",
        "a bad spec: nothing until the object changes",
        OutcomeKind.STALLED,
        None,
        STALLED,
        False,
        DRIFT,
        None,
    ),
    AfterCase(
        "rolled-back",
        "a settled failure waits for a change (a drift check is for Ready only)",
        OutcomeKind.STALLED,
        None,
        FlowReleaseStatus.model_validate({"phase": "RolledBack"}),
        False,
        DRIFT,
        None,
    ),
]


@pytest.mark.parametrize("case", AFTER_CASES, ids=[c.id for c in AFTER_CASES])
def test_after_pass(case: AfterCase) -> None:
    got = after_pass(case.kind, case.after, case.status, woken=case.woken, drift_seconds=case.drift)
    assert got == case.want, case.reason


@pytest.mark.parametrize(
    ("failure", "priority", "want", "reason"),
    [
        (PassFailure.OBJECT_GONE, Priority.IN_FLIGHT, None, "deleted mid-pass: forgotten, nothing booked"),
        (
            PassFailure.KUBE_API,
            Priority.IN_FLIGHT,
            Booking(API_ERROR_RETRY_S, Priority.IN_FLIGHT, "Kubernetes API error: retry"),
            "a failed status write is retried, keeping its place ahead of new starts",
        ),
        (
            PassFailure.KUBE_API,
            Priority.NEW,
            Booking(API_ERROR_RETRY_S, Priority.NEW, "Kubernetes API error: retry"),
            "a new start stays a new start",
        ),
        (
            PassFailure.UNEXPECTED,
            Priority.CHECK,
            Booking(UNEXPECTED_ERROR_RETRY_S, Priority.CHECK, "unexpected error: retry later"),
            "a bug backs off longer, so it cannot spin",
        ),
    ],
    ids=["gone", "api-in-flight", "api-new", "unexpected"],
)
def test_after_failure(failure: PassFailure, priority: Priority, want: Booking | None, reason: str) -> None:
    assert after_failure(failure, priority) == want, reason


# -- drift checks and peering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peering", "drift_interval", "want", "reason"),
    [
        (None, None, DEFAULT_DRIFT_INTERVAL, "one replica checks drift by default"),
        (None, 0.0, 0.0, "--drift-interval 0 turns it off"),
        (None, 60.0, 60.0, "an explicit interval is used"),
        (
            "fr",
            None,
            0.0,
            "with --peering the own schedule (which peering cannot pause) books no drift check",
        ),
        ("fr", 0.0, 0.0, "--peering with drift explicitly off is allowed"),
        ("fr", 60.0, ConfigError, "--peering with drift checks is refused before anything runs"),
    ],
    ids=[
        "standalone-default",
        "standalone-off",
        "standalone-60",
        "peering-default",
        "peering-off",
        "peering-60",
    ],
)
def test_drift_checks_under_peering(
    peering: str | None, drift_interval: float | None, want: float | type[ConfigError], reason: str
) -> None:
    config = OperatorConfig(peering=peering, drift_interval=drift_interval)
    if want is ConfigError:
        with pytest.raises(ConfigError, match="--drift-interval and --peering contradict"):
            config.check()
        return
    assert config.check().drift_seconds == want, reason
    ready = after_pass(OutcomeKind.READY, None, READY, woken=False, drift_seconds=config.drift_seconds)
    assert (ready is None) == (want == 0.0), reason
