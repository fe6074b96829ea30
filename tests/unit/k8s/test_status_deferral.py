"""Which pass endings keep their status in memory for the next pass (no write) — a table. The case that
matters: with notifications a publish's safety-net wait (20 s) costs no status write per release."""

from __future__ import annotations

import pytest

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s.release_pass import STATUS_DEFER_S, keeps_status_in_memory

STATUS = FlowReleaseStatus.model_validate({"phase": "Publishing"})


def waiting(after: float, *, poll: bool = True) -> Outcome:
    return Outcome(OutcomeKind.WAITING, STATUS, after=after, poll=poll)


@pytest.mark.parametrize(
    ("outcome", "notified", "expected", "reason"),
    [
        (waiting(0.5), False, True, "a poll half a second away: the next pass writes what changed"),
        (waiting(STATUS_DEFER_S), False, True, "exactly the deferral limit"),
        (waiting(10.0), False, False, "a slower poll without notifications: write now"),
        (waiting(20.0), True, True, "notified: the safety-net wait ends with the event's pass"),
        (waiting(120.0, poll=False), True, False, "a bake stage is no poll: write now"),
        (waiting(1.0, poll=False), False, False, "a lock or a retry is no poll: write now"),
        (Outcome(OutcomeKind.READY, STATUS), True, False, "settled: always written"),
    ],
    ids=["poll-soon", "poll-at-limit", "poll-slow", "notified-safety-net", "bake", "lock", "ready"],
)
def test_keeps_status_in_memory(outcome: Outcome, notified: bool, expected: bool, reason: str) -> None:
    assert keeps_status_in_memory(outcome, notified=notified) is expected, reason
