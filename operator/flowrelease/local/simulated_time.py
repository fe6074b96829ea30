"""Simulated time for `flowrelease sync --emulator`: waits move the in-process emulator's clock instead of
passing, so a production bake stage (600 s, settle time, extensions) takes a moment, not ten minutes.

A small discrete-event scheduler: every running release is either working (talking to the emulator) or
asleep until a moment. Only when all of them sleep does the clock jump — to the earliest wake-up, which
wakes that sleeper (and any due at the same moment). So one release's 600 s bake never skips over another
one's publish polls, and the order of events is the order wall time would give. The engine, the runner's
deadline (`--timeout` counts simulated seconds) and the emulator all read this one clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime
from typing import Protocol

SETTLE_ROUNDS = 3
"""Event-loop rounds to wait before the clock jumps."""


class MovableClock(Protocol):
    """The emulator's clock: seconds since the epoch, moved forward by `advance`."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class SimulatedTime:
    def __init__(self, clock: MovableClock) -> None:
        self._clock = clock
        self._working = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    # the engine's Clock
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    # the runner's monotonic() and sleep()
    def monotonic(self) -> float:
        return self._clock.now()

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._clock.now() + max(seconds, 0.0), next(self._order), wake))
        self._working -= 1
        self._maybe_jump()
        await wake

    def job_started(self) -> None:
        self._working += 1

    def job_finished(self) -> None:
        self._working -= 1
        self._maybe_jump()

    def _maybe_jump(self, rounds: int = SETTLE_ROUNDS) -> None:
        """Jump once nobody works — after letting the loop run a few rounds, so a release that is about
        to start (a task just created, a semaphore just released) counts as working first."""
        if self._working > 0 or not self._sleepers:
            return
        if rounds > 0:
            asyncio.get_running_loop().call_soon(self._maybe_jump, rounds - 1)
            return
        due = self._sleepers[0][0]
        ahead = due - self._clock.now()
        if ahead > 0:
            self._clock.advance(ahead)
        while self._sleepers and self._sleepers[0][0] <= due:
            _, _, wake = heapq.heappop(self._sleepers)
            if not wake.done():  # a cancelled sleeper (Ctrl-C) is gone, not working
                self._working += 1
                wake.set_result(None)
