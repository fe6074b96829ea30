"""The --max-concurrent slots: work in flight first, first come first served within a priority, and a gate
that holds a waiter back without losing its place."""

from __future__ import annotations

import asyncio

from flowrelease.k8s.slots import GATE_RECHECK_S, Priority, PrioritySlots


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
