"""The operator's promotion wakeups, without a cluster: who wakes whom on which watch event (a table), and
one queued pass per woken release however many events arrive."""

from __future__ import annotations

import asyncio
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
        "the operator's initial list is not a change: resume handlers run every release anyway",
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
    async def no_rerun(key: str) -> None:
        raise AssertionError("observe never runs a pass")

    wakeups = PromotionWakeups(no_rerun)
    woken: frozenset[str] = frozenset()
    for event_type, obj in case.events:
        woken = wakeups.observe(event_type, obj)
    assert woken == case.want, case.reason


def test_one_queued_pass_per_release_however_many_wakeups() -> None:
    async def scenario() -> list[str]:
        runs: list[str] = []
        gate = asyncio.Event()

        async def rerun(key: str) -> None:
            runs.append(key)
            await gate.wait()

        wakeups = PromotionWakeups(rerun)
        for _ in range(5):
            wakeups.wake(frozenset({"cc-prod/ivr-prod"}))
            await asyncio.sleep(0)
        gate.set()
        await asyncio.sleep(0)
        wakeups.wake(frozenset({"cc-prod/ivr-prod"}))
        await asyncio.sleep(0)
        await wakeups.close()
        return runs

    assert asyncio.run(scenario()) == ["cc-prod/ivr-prod", "cc-prod/ivr-prod"]
