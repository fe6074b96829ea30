"""Simulated time for `sync --emulator`: the clock jumps only when every release sleeps, to the earliest
wake-up, so a long bake never skips another release's short polls."""

from __future__ import annotations

import asyncio

from flowrelease.emulator.clock import ManualClock
from flowrelease.local.simulated_time import SimulatedTime

START = 1_767_225_600.0


async def test_the_clock_jumps_to_the_earliest_wake_up_once_everyone_sleeps() -> None:
    clock = ManualClock(START)
    time = SimulatedTime(clock)
    seen: list[tuple[str, float]] = []

    async def release(name: str, waits: list[float]) -> None:
        time.job_started()
        try:
            for wait in waits:
                await time.sleep(wait)
                seen.append((name, time.monotonic() - START))
                await asyncio.sleep(0)  # talking to the emulator: real awaits, no clock movement
        finally:
            time.job_finished()

    await asyncio.wait_for(
        asyncio.gather(release("bake", [600, 120]), release("poll", [5, 5, 5, 900])), timeout=10
    )
    assert seen == [
        ("poll", 5),
        ("poll", 10),
        ("poll", 15),
        ("bake", 600),
        ("bake", 720),
        ("poll", 915),
    ]
    assert time.now().timestamp() == START + 915


async def test_a_working_release_holds_the_clock() -> None:
    clock = ManualClock(START)
    time = SimulatedTime(clock)
    time.job_started()
    time.job_started()
    sleeper = asyncio.ensure_future(time.sleep(60))
    await asyncio.sleep(0.01)
    assert not sleeper.done() and clock.now() == START, "the other release is still working"
    time.job_finished()
    await asyncio.wait_for(sleeper, timeout=5)
    assert clock.now() == START + 60
