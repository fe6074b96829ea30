"""New starts leave requests to work in flight: the gate's arithmetic on a real RateLimiter with a manual
clock."""

from __future__ import annotations

import asyncio

import pytest

from flowrelease.genesys import RateLimiter
from flowrelease.k8s.request_budget import COST, IN_FLIGHT_RESERVE, RequestBudget
from flowrelease.k8s.slots import Priority


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _spend(limiter: RateLimiter, requests: int) -> None:
    for _ in range(requests):
        await limiter.acquire()


@pytest.mark.parametrize(
    ("tokens", "admitted", "expected", "reason"),
    [
        (60, 0, True, "a full bucket admits a new start"),
        (IN_FLIGHT_RESERVE + COST[Priority.NEW], 0, True, "exactly its cost plus the reserve"),
        (IN_FLIGHT_RESERVE + COST[Priority.NEW] - 1, 0, False, "one short: polls keep the reserve"),
        (IN_FLIGHT_RESERVE + COST[Priority.NEW], 1, False, "a start admitted earlier counts against it"),
        (IN_FLIGHT_RESERVE + COST[Priority.STARTED], 0, True, "a validating attempt: its smaller cost"),
        (IN_FLIGHT_RESERVE + COST[Priority.STARTED] - 1, 0, False, "a validating attempt is gated too"),
        (0, 5, True, "work in flight is never held back (checked with IN_FLIGHT below)"),
    ],
)
async def test_new_starts_are_admitted_only_with_requests_to_spare(
    tokens: int, admitted: int, expected: bool, reason: str
) -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, clock=clock)
    await _spend(limiter, 60 - tokens)
    budget = RequestBudget()
    for _ in range(admitted):
        assert budget.gate(limiter, Priority.NEW)() or tokens == 0
    priority = (
        Priority.IN_FLIGHT
        if reason.startswith("work in flight")
        else Priority.STARTED
        if reason.startswith("a validating")
        else Priority.NEW
    )
    assert budget.would_admit(limiter, priority) is expected, reason


async def test_an_admitted_start_counts_until_its_pass_ends() -> None:
    limiter = RateLimiter(60, clock=ManualClock())
    await _spend(limiter, 60 - (IN_FLIGHT_RESERVE + 2 * COST[Priority.NEW]))
    budget = RequestBudget()
    assert budget.gate(limiter, Priority.NEW)()
    assert budget.gate(limiter, Priority.NEW)()
    assert not budget.gate(limiter, Priority.NEW)(), "two admitted starts use up what is left"
    async with budget.starting(limiter, Priority.NEW):
        pass
    assert budget.would_admit(limiter, Priority.NEW), "one finished: room for one more"
    assert budget.would_admit(limiter, Priority.CHECK)
    await asyncio.sleep(0)
