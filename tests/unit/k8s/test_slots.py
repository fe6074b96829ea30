"""The --max-concurrent slots: work in flight first, first come first served within a priority, and a gate
that holds a waiter back without losing its place."""

from __future__ import annotations

import asyncio

import pytest

from flowrelease.k8s.slots import GATE_RECHECK_S, Priority, PrioritySlots, in_flight_reserve, may_take


async def _take(
    slots: PrioritySlots, name: str, priority: Priority, order: list[str], **kwargs: object
) -> None:
    async with slots.slot(priority, **kwargs):  # type: ignore[arg-type]
        order.append(name)
        await asyncio.sleep(0)


async def test_in_flight_work_goes_before_new_starts_and_checks() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    async with slots.slot(Priority.NEW):
        tasks = [
            asyncio.create_task(_take(slots, "check", Priority.CHECK, order)),
            asyncio.create_task(_take(slots, "new-1", Priority.NEW, order)),
            asyncio.create_task(_take(slots, "poll", Priority.IN_FLIGHT, order)),
            asyncio.create_task(_take(slots, "new-2", Priority.NEW, order)),
        ]
        await asyncio.sleep(0.01)
        assert order == [] and slots.waiting == 4
    await asyncio.gather(*tasks)
    assert order == ["poll", "new-1", "new-2", "check"]
    assert slots.busy == 0 and slots.free_now()


async def test_a_closed_gate_lets_others_pass_and_keeps_the_waiters_place() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    open_gate = False
    async with slots.slot(Priority.IN_FLIGHT):
        gated = asyncio.create_task(_take(slots, "gated", Priority.NEW, order, admit=lambda: open_gate))
        later = asyncio.create_task(_take(slots, "check", Priority.CHECK, order))
        await asyncio.sleep(0.01)
    await later
    assert order == ["check"], "the gate held the new start; the check behind it went first"
    open_gate = True
    await asyncio.wait_for(gated, timeout=GATE_RECHECK_S * 10)
    assert order == ["check", "gated"]


async def test_a_cancelled_waiter_gives_its_place_up_and_its_slot_back() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    async with slots.slot(Priority.NEW):
        waiting = asyncio.create_task(_take(slots, "cancelled", Priority.NEW, order))
        await asyncio.sleep(0.01)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert slots.waiting == 0
    await _take(slots, "next", Priority.NEW, order)
    assert order == ["next"] and slots.busy == 0


@pytest.mark.parametrize(
    ("size", "reserve", "reason"),
    [
        (1, 0, "one slot: nothing can be kept back, or nothing new would ever start"),
        (2, 1, "two: one for work in flight"),
        (3, 1, "at least one"),
        (16, 4, "the default --max-concurrent keeps a quarter"),
        (17, 4, "a quarter, rounded down"),
        (100, 25, "a quarter"),
    ],
)
def test_the_reserve_for_work_in_flight(size: int, reserve: int, reason: str) -> None:
    assert in_flight_reserve(size) == reserve, reason


@pytest.mark.parametrize(
    ("priority", "busy_other", "size", "expected", "reason"),
    [
        (Priority.IN_FLIGHT, 16, 16, True, "work in flight may take any free slot"),
        (Priority.IN_FLIGHT, 0, 1, True, "also the only one"),
        (Priority.NEW, 11, 16, True, "a new start may take the 12th of 16"),
        (Priority.NEW, 12, 16, False, "not the 13th: four are kept for work in flight"),
        (Priority.STARTED, 12, 16, False, "a validating attempt is not work in flight either"),
        (Priority.CHECK, 12, 16, False, "nor is a drift check"),
        (Priority.NEW, 0, 1, True, "one slot: nothing is kept back"),
        (Priority.NEW, 1, 2, False, "two slots: the second is kept"),
    ],
)
def test_who_may_take_a_free_slot(
    priority: Priority, busy_other: int, size: int, expected: bool, reason: str
) -> None:
    assert may_take(priority, busy_other, size) is expected, reason


async def test_slots_kept_for_work_in_flight_are_free_when_a_release_is_woken() -> None:
    """Every slot new work may take is held by new starts (waiting in the rate limiter, say): a woken
    release's pass still starts at once, and the new starts queued behind get the next slot new work may
    take, not the reserve."""
    slots = PrioritySlots(4)  # reserve 1: new work holds at most 3
    order: list[str] = []
    release_new = asyncio.Event()

    async def hold(name: str, priority: Priority) -> None:
        async with slots.slot(priority):
            order.append(name)
            await release_new.wait()

    holders = [asyncio.create_task(hold(f"new-{i}", Priority.NEW)) for i in range(4)]
    await asyncio.sleep(0.01)
    assert order == ["new-0", "new-1", "new-2"] and slots.busy == 3 and slots.waiting == 1
    assert not slots.free_now(), "a new start would wait: the free slot is the reserve"
    await asyncio.wait_for(_take(slots, "woken", Priority.IN_FLIGHT, order), timeout=1.0)
    assert order[-1] == "woken" and slots.busy == 3
    release_new.set()
    await asyncio.gather(*holders)
    assert order == ["new-0", "new-1", "new-2", "woken", "new-3"]
    assert slots.busy == 0 and slots.free_now()


async def test_work_in_flight_beyond_the_reserve_takes_any_free_slot() -> None:
    slots = PrioritySlots(4)
    order: list[str] = []
    done = asyncio.Event()

    async def hold(name: str) -> None:
        async with slots.slot(Priority.IN_FLIGHT):
            order.append(name)
            await done.wait()

    holders = [asyncio.create_task(hold(f"poll-{i}")) for i in range(4)]
    await asyncio.sleep(0.01)
    assert slots.busy == 4, "nothing holds work in flight back"
    new = asyncio.create_task(_take(slots, "new", Priority.NEW, order))
    await asyncio.sleep(0.01)
    assert "new" not in order
    done.set()
    await asyncio.gather(*holders, new)
    assert order[-1] == "new" and slots.busy == 0
