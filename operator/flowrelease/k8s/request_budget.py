"""New starts leave part of each org's request budget to the work already in flight.

Every release on one org + OAuth client shares one client-side rate limiter (flowrelease.genesys), which
serves requests first come, first served. If new releases were let in whenever a slot is free, their
requests (token, flow, version, dependencies, validate, publish) would queue in front of the one poll that
would notice a publish has gone live, and at 300 requests/min that poll waits for seconds. So a new start
(or a drift check) gets its slot only while the limiter holds enough requests for it AND a small reserve for
polls, counting the starts already admitted that have not finished. The reserve grows with the releases
that have work in flight on that limiter — each will need at least the one read that notices its publish
(or rollback, or import) went live — so a burst of starts that all publish at once does not leave their
completions queueing for the bucket to refill (at 300/min, two dozen such reads took 3.5 s to serve). An
attempt that is validating counts as a start: it has not changed the flow yet and its pass ends in a
publish. Work in flight is never held back.

Banking a few requests costs no throughput: the limiter's bucket holds a whole minute's worth, and a request
not spent now can be spent a moment later.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from flowrelease.genesys import RateLimiter
from flowrelease.k8s.slots import Priority

IN_FLIGHT_RESERVE = 4
"""Requests kept for polls of work in flight whenever something new is admitted, at the least."""
READS_PER_IN_FLIGHT = 1
"""Requests kept per release with work in flight: the read that notices its operation finished."""
COST = {Priority.STARTED: 4, Priority.NEW: 8, Priority.CHECK: 2}
"""About how many requests a pass of this kind makes (a validating attempt, up to its publish; a new start;
a drift check)."""


def _always() -> bool:
    return True


def admits(*, available: float, capacity: float, in_flight: int, starting: int, cost: int) -> bool:
    """Whether one more pass of new work (of `cost` requests) may start on a limiter holding `available` of
    `capacity` requests, with `in_flight` releases in flight and `starting` passes of new work admitted and
    not finished. PURE.

    The reserve is one read per release in flight (at least IN_FLIGHT_RESERVE), but never more than half
    the bucket, so releases that stay in flight for long (an hour's bake) slow new starts down, never stop
    them; and a full bucket always admits a first start, however small the limit."""
    reserve = min(max(IN_FLIGHT_RESERVE, in_flight * READS_PER_IN_FLIGHT), capacity / 2)
    need = reserve + cost * (starting + 1)
    if starting == 0:
        need = min(need, capacity)
    return available >= need


class RequestBudget:
    def __init__(self) -> None:
        self._starting: dict[int, int] = {}
        """Admitted passes of new work per limiter (by id) that have not finished yet."""
        self._in_flight: dict[str, int] = {}
        """Releases (by key) whose last pass ended with work in flight, and their limiter (by id)."""
        self._in_flight_count: dict[int, int] = {}

    def note(self, key: str, limiter: RateLimiter | None) -> None:
        """After a pass: the release has work in flight on `limiter`, or (None) not any more."""
        was = self._in_flight.pop(key, None)
        if was is not None:
            left = self._in_flight_count.get(was, 1) - 1
            if left > 0:
                self._in_flight_count[was] = left
            else:
                self._in_flight_count.pop(was, None)
        if limiter is not None:
            self._in_flight[key] = id(limiter)
            self._in_flight_count[id(limiter)] = self._in_flight_count.get(id(limiter), 0) + 1

    def in_flight(self, limiter: RateLimiter) -> int:
        return self._in_flight_count.get(id(limiter), 0)

    def _admits(self, limiter: RateLimiter, priority: Priority) -> bool:
        return admits(
            available=limiter.available(),
            capacity=limiter.capacity,
            in_flight=self.in_flight(limiter),
            starting=self._starting.get(id(limiter), 0),
            cost=COST[priority],
        )

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
