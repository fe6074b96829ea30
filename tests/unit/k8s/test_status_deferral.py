"""Which passes leave their status in memory for the next pass to write (pure table).

A kept status costs no apiserver write; it is written when the release settles, before its next side effect
(status_first.py) or when it waits for anything but a look at work in flight that comes soon."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s.release_pass import STATUS_DEFER_S, keeps_status_in_memory


def ended(kind: OutcomeKind, after: float | None = None, *, poll: bool = False) -> Outcome:
    return Outcome(kind=kind, status=FlowReleaseStatus(), after=after, poll=poll)


@dataclass(frozen=True)
class DeferralCase:
    id: str
    reason: str
    outcome: Outcome
    notified: bool
    want: bool


W = OutcomeKind.WAITING
CASES = [
    DeferralCase(
        "short-poll", "a poll 0.5 s away: the next pass writes", ended(W, 0.5, poll=True), False, True
    ),
    DeferralCase(
        "poll-at-bound", "a poll STATUS_DEFER_S away still comes within seconds",
        ended(W, STATUS_DEFER_S, poll=True), False, True,
    ),
    DeferralCase(
        "slow-poll", "polled, not notified, 10 s away: a slower poll writes now",
        ended(W, 10.0, poll=True), False, False,
    ),
    DeferralCase(
        "notified-safety-net", "notified: the 16 s look is only the safety net, the event's pass writes",
        ended(W, 16.0, poll=True), True, True,
    ),
    DeferralCase(
        "notified-not-poll", "notified but waiting for something else (a bake stage, a retry): written",
        ended(W, 16.0), True, False,
    ),
    DeferralCase("bake-wait", "a bake stage's wait is no poll: written", ended(W, 3.0), False, False),
    DeferralCase("ready", "settled: written", ended(OutcomeKind.READY, poll=True), True, False),
    DeferralCase(
        "stalled", "a stall is written even if notified", ended(OutcomeKind.STALLED, 30.0), True, False
    ),
    DeferralCase("suspended", "written", ended(OutcomeKind.SUSPENDED), False, False),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_keeps_status_in_memory(case: DeferralCase) -> None:
    assert keeps_status_in_memory(case.outcome, notified=case.notified) is case.want, case.reason
