"""How long a --peering handler waits inside itself before handing a release back to kopf (pure table)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s.release_pass import inline_wait

NOW = 1000.0


def waiting(after: float, *, poll: bool = True) -> Outcome:
    return Outcome(kind=OutcomeKind.WAITING, status=FlowReleaseStatus(), after=after, poll=poll)


@dataclass(frozen=True)
class InlineCase:
    id: str
    reason: str
    outcome: Outcome
    budget_left: float
    notified: bool
    want: float | None


CASES = [
    InlineCase("short-poll", "a 0.5 s poll is slept here", waiting(0.5), 10.0, False, 0.5),
    InlineCase("long-poll", "polled, 5 s: handed back to kopf's requeue", waiting(5.0), 10.0, False, None),
    InlineCase("over-budget", "polled, the budget would run out first", waiting(1.5), 1.0, False, None),
    InlineCase(
        "notified", "the flow sends events: wait here for one, the whole budget if need be", waiting(16.0),
        10.0, True, 10.0,
    ),
    InlineCase(
        "notified-short", "an event or the engine's own 3 s, whichever comes first", waiting(3.0, poll=False),
        10.0, True, 3.0,
    ),
    InlineCase("notified-spent", "the budget is spent: kopf's requeue", waiting(16.0), 0.0, True, None),
    InlineCase(
        "standalone", "no budget (the operator's own scheduler waits): never inline", waiting(0.5), 0.0,
        True, None,
    ),
    InlineCase(
        "ready", "nothing to wait for", Outcome(kind=OutcomeKind.READY, status=FlowReleaseStatus()), 10.0,
        True, None,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_inline_wait(case: InlineCase) -> None:
    got = inline_wait(case.outcome, NOW + case.budget_left, notified=case.notified, now=NOW)
    assert got == case.want, case.reason
