"""The `--max-concurrent` limit, with priorities: work in flight before new starts, new starts before checks.

A release that has something in flight (a publish to poll, a stage to judge, a rollback to finish) must not
wait behind releases that have not started yet, or a publish that is already live waits minutes to be
noticed. So a free slot goes to the waiter with the lowest priority number, first come first served within
one priority, and a few slots (`in_flight_reserve`) are only ever given to work in flight: the other passes
spend most of their slot queued in the org's rate limiter, where work in flight goes first anyway, so with
every slot held by them a woken release would wait for one of them to finish before its one read could
jump that queue.

A waiter may also carry a gate (`admit`): it is passed over, without losing its place, until the gate says
yes. New starts use it to leave requests of their org's rate limit to the work in flight (see
`runtime.new_start_gate`); a gate that says no is asked again when a slot is released and every
`GATE_RECHECK_S` meanwhile.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import IntEnum

GATE_RECHECK_S = 0.2


class Priority(IntEnum):
    IN_FLIGHT = 0
    """polls, judgements, rollbacks, exports: something was done to the flow (api.work_in_flight)"""
    STARTED = 1
    """an attempt that is validating: begun, nothing done to the flow yet (finished before new ones start)"""
    NEW = 2
    """a new release, a spec change or a requested reconcile"""
    CHECK = 3
    """drift checks and FlowConflict re-checks of settled releases"""


def in_flight_reserve(size: int) -> int:
    """Slots that only work in flight may take: a quarter of them, at least one, never all. PURE."""
    return min(size - 1, max(1, size // 4))


def may_take(priority: Priority, busy_other: int, size: int) -> bool:
    """Whether a waiter of `priority` may take a free slot while `busy_other` slots are held by passes that
    are not work in flight. PURE."""
    return priority is Priority.IN_FLIGHT or busy_other < size - in_flight_reserve(size)


def _always() -> bool:
    return True


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    future: asyncio.Future[None] = field(compare=False)
    admit: Callable[[], bool] = field(compare=False, default=_always)


class PrioritySlots:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"at least one slot is needed, got {size}")
        self.size = size
        self._busy = 0
        self._busy_other = 0
        """Slots held by passes that are not work in flight (see `may_take`)."""
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._recheck: asyncio.TimerHandle | None = None

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def free_now(self) -> bool:
        """A new start would get a slot at once (work in flight may find one in its reserve too)."""
        return (
            self._busy < self.size
            and not self._waiting
            and may_take(Priority.NEW, self._busy_other, self.size)
        )

    @contextlib.asynccontextmanager
    async def slot(self, priority: Priority, *, admit: Callable[[], bool] = _always) -> AsyncIterator[None]:
        waiter = _Waiter(int(priority), next(self._seq), asyncio.get_running_loop().create_future(), admit)
        bisect.insort(self._waiting, waiter)  # kept in order: a grant looks at the first waiters only
        self._grant()
        try:
            await waiter.future
        except BaseException:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif waiter.future.done() and not waiter.future.cancelled():
                self._release(waiter)  # granted while it was being cancelled
            raise
        try:
            yield
        finally:
            self._release(waiter)

    def _release(self, waiter: _Waiter) -> None:
        self._busy -= 1
        if waiter.priority != Priority.IN_FLIGHT:
            self._busy_other -= 1
        self._grant()

    def _grant(self) -> None:
        blocked = False
        while self._busy < self.size and self._waiting:
            chosen, refused = None, False
            for waiter in self._waiting:  # in priority order: once the reserve stops one, it stops the rest
                if not may_take(Priority(waiter.priority), self._busy_other, self.size):
                    break
                if waiter.admit():
                    chosen = waiter
                    break
                refused = True
            if chosen is None:
                blocked = refused
                break
            self._waiting.remove(chosen)
            self._busy += 1
            if chosen.priority != Priority.IN_FLIGHT:
                self._busy_other += 1
            chosen.future.set_result(None)
        if blocked and self._recheck is None:
            self._recheck = asyncio.get_running_loop().call_later(GATE_RECHECK_S, self._recheck_gates)

    def _recheck_gates(self) -> None:
        self._recheck = None
        self._grant()
