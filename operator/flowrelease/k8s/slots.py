"""The `--max-concurrent` limit, with priorities: work in flight before new starts, new starts before checks.

A release that has something in flight (a publish to poll, a stage to judge, a rollback to finish) must not
wait behind releases that have not started yet, or a publish that is already live waits minutes to be
noticed. So a free slot goes to the waiter with the lowest priority number, first come first served within
one priority.

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
    """polls, judgements, rollbacks, exports: work that has started"""
    NEW = 1
    """a new release, a spec change or a requested reconcile"""
    CHECK = 2
    """drift checks and FlowConflict re-checks of settled releases"""


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
        """A waiter of any priority would get a slot at once."""
        return self._busy < self.size and not self._waiting

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
                self._release()  # granted while it was being cancelled
            raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._busy -= 1
        self._grant()

    def _grant(self) -> None:
        blocked = False
        while self._busy < self.size and self._waiting:
            chosen = next((w for w in self._waiting if w.admit()), None)
            if chosen is None:
                blocked = True
                break
            self._waiting.remove(chosen)
            self._busy += 1
            chosen.future.set_result(None)
        if blocked and self._recheck is None:
            self._recheck = asyncio.get_running_loop().call_later(GATE_RECHECK_S, self._recheck_gates)

    def _recheck_gates(self) -> None:
        self._recheck = None
        self._grant()
