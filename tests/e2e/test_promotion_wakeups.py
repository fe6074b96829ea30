"""The operator's promotion wakeups, without a cluster: who wakes whom on which watch event (a table). The
scheduler runs what they name through `ReleaseScheduler.wake` (one pass, never two queued); the e2e
promotion test sees the wakeup in the operator's log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.k8s.promotion_wakeups import PromotionWakeups


def release(
    namespace: str, name: str, *, requires: list[dict[str, str]] | None = None, **status: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"promotion": {"requires": requires}} if requires is not None else {}
    return {"metadata": {"namespace": namespace, "name": name}, "spec": spec, "status": status}


PROD = release("cc-prod", "ivr-prod", requires=[{"name": "ivr-test", "namespace": "cc-test"}])
LOCAL = release("cc-test", "ivr-canary", requires=[{"name": "ivr-test"}])
TEST = release("cc-test", "ivr-test", phase="Verifying")
TEST_READY = release(
    "cc-test",
    "ivr-test",
    phase="Ready",
    conditions=[{"type": "Healthy", "status": "True", "lastTransitionTime": "t1"}],
)
TEST_READY_OTHER_CONDITION = release(
    "cc-test",
    "ivr-test",
    phase="Ready",
    conditions=[
        {"type": "Healthy", "status": "True", "lastTransitionTime": "t1"},
        {"type": "Exported", "status": "True"},
    ],
)


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    events: list[tuple[str, dict[str, Any]]]
    want: frozenset[str]


CASES = [
    Case(
        "first-sight-wakes-nobody",
        "the operator's initial list is not a change: the scheduler runs every unsettled release anyway",
        [("ADDED", PROD), ("ADDED", TEST)],
        frozenset(),
    ),
    Case(
        "upstream-phase-change-wakes-downstream",
        "test went Ready and Healthy: prod (other namespace) and the canary (same namespace, none given)",
        [("ADDED", PROD), ("ADDED", LOCAL), ("ADDED", TEST), ("MODIFIED", TEST_READY)],
        frozenset({"cc-prod/ivr-prod", "cc-test/ivr-canary"}),
    ),
    Case(
        "irrelevant-status-change-wakes-nobody",
        "an Exported condition is not something the gate reads",
        [("ADDED", PROD), ("ADDED", TEST_READY), ("MODIFIED", TEST_READY_OTHER_CONDITION)],
        frozenset(),
    ),
    Case(
        "deleted-upstream-wakes-downstream",
        "the gate must now say the upstream does not exist",
        [("ADDED", PROD), ("ADDED", TEST), ("DELETED", TEST)],
        frozenset({"cc-prod/ivr-prod"}),
    ),
    Case(
        "a-release-no-longer-requiring-is-not-woken",
        "prod dropped its requirement: test's change is none of its business",
        [
            ("ADDED", PROD),
            ("ADDED", TEST),
            ("MODIFIED", release("cc-prod", "ivr-prod")),
            ("MODIFIED", TEST_READY),
        ],
        frozenset(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_who_is_woken(case: Case) -> None:
    wakeups = PromotionWakeups()
    woken: frozenset[str] = frozenset()
    for event_type, obj in case.events:
        woken = wakeups.observe(event_type, obj)
    assert woken == case.want, case.reason
