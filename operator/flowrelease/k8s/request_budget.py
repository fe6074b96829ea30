"""New starts leave part of each org's request budget to the work already in flight.

Every release on one org + OAuth client shares one client-side rate limiter (flowrelease.genesys), which
serves requests first come, first served. If new releases were let in whenever a slot is free, their
requests (token, flow, version, dependencies, validate, publish) would queue in front of the one poll that
would notice a publish has gone live, and at 300 requests/min that poll waits for seconds. So a new start
(or a drift check) gets its slot only while the limiter holds enough requests for it AND a small reserve for
polls, counting the starts already admitted that have not finished. An attempt that is validating counts as
a start: it has not changed the flow yet and its pass ends in a publish. Work in flight is never held back.

Banking a few requests costs no throughput: the limiter's bucket holds a whole minute's worth, and a request
not spent now can be spent a moment later.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from flowrelease.genesys import RateLimiter
from flowrelease.k8s.slots import Priority

IN_FLIGHT_RESERVE = 4
"""Requests kept for polls of work in flight whenever something new is admitted."""
COST = {Priority.STARTED: 4, Priority.NEW: 8, Priority.CHECK: 2}
"""About how many requests a pass of this kind makes (a validating attempt, up to its publish; a new start;
a drift check)."""


def _always() -> bool:
    return True


class RequestBudget:
    def __init__(self) -> None:
        self._starting: dict[int, int] = {}
        """Admitted passes of new work per limiter (by id) that have not finished yet."""

    def _admits(self, limiter: RateLimiter, priority: Priority) -> bool:
        running = self._starting.get(id(limiter), 0)
        return limiter.available() >= IN_FLIGHT_RESERVE + COST[priority] * (running + 1)

    def would_admit(self, limiter: RateLimiter, priority: Priority) -> bool:
        return priority is Priority.IN_FLIGHT or self._admits(limiter, priority)

    def gate(self, limiter: RateLimiter, priority: Priority) -> Callable[[], bool]:
        """The slot queue's gate for one waiter; a yes counts the pass as admitted (see `starting`)."""
        if priority is Priority.IN_FLIGHT:
            return _always

        def admit() -> bool:
            if not self._admits(limiter, priority):
                return False
            self._starting[id(limiter)] = self._starting.get(id(limiter), 0) + 1
            return True

        return admit

    @contextlib.asynccontextmanager
    async def starting(self, limiter: RateLimiter, priority: Priority) -> AsyncIterator[None]:
        """Held for the pass a gate admitted: it counts as starting until it ends."""
        try:
            yield
        finally:
            if priority is not Priority.IN_FLIGHT:
                left = self._starting.get(id(limiter), 1) - 1
                if left > 0:
                    self._starting[id(limiter)] = left
                else:
                    self._starting.pop(id(limiter), None)
