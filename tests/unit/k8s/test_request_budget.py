"""New starts leave requests to work in flight: the gate's arithmetic on a real RateLimiter with a manual
clock."""

from __future__ import annotations

import asyncio

import pytest

from flowrelease.genesys import RateLimiter
from flowrelease.k8s.request_budget import COST, IN_FLIGHT_RESERVE, RequestBudget, admits
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


@pytest.mark.parametrize(
    ("available", "capacity", "in_flight", "starting", "cost", "expected", "reason"),
    [
        (12, 300, 0, 0, 8, True, "nothing in flight: the small reserve and its cost"),
        (11, 300, 0, 0, 8, False, "one short of the small reserve"),
        (12, 300, 4, 0, 8, True, "four in flight: still the small reserve"),
        (12, 300, 10, 0, 8, False, "ten in flight: a read each is kept for them"),
        (18, 300, 10, 0, 8, True, "ten reads kept, and its cost"),
        (26, 300, 10, 1, 8, True, "a start admitted earlier counts too"),
        (25, 300, 10, 1, 8, False, "one short with a start admitted earlier"),
        (
            158,
            300,
            500,
            0,
            8,
            True,
            "hours of bakes keep at most half the bucket: starts slow down, never stop",
        ),
        (157, 300, 500, 0, 8, False, "half the bucket and its cost"),
        (10, 10, 0, 0, 8, True, "a limit smaller than reserve + cost: a full bucket admits a first start"),
        (10, 10, 0, 1, 8, False, "but not a second"),
        (9, 10, 0, 0, 8, False, "and only a full one"),
    ],
)
def test_the_reserve_grows_with_the_work_in_flight(
    available: float, capacity: float, in_flight: int, starting: int, cost: int, expected: bool, reason: str
) -> None:
    got = admits(available=available, capacity=capacity, in_flight=in_flight, starting=starting, cost=cost)
    assert got is expected, reason


async def test_releases_in_flight_are_counted_per_limiter_until_they_settle_or_go() -> None:
    one, other = RateLimiter(300, clock=ManualClock()), RateLimiter(300, clock=ManualClock())
    budget = RequestBudget()
    for key in ("a", "b", "c"):
        budget.note(key, one)
    budget.note("d", other)
    budget.note("a", one)  # a second pass still in flight counts once
    assert (budget.in_flight(one), budget.in_flight(other)) == (3, 1)
    budget.note("b", None)  # settled
    budget.note("c", other)  # moved to another org's client
    assert (budget.in_flight(one), budget.in_flight(other)) == (1, 2)
    for key in ("a", "c", "d"):
        budget.note(key, None)
    assert (budget.in_flight(one), budget.in_flight(other)) == (0, 0)
