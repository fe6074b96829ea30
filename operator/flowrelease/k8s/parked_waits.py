"""Waits of releases whose flow notifications are live, kept across kopf handler calls.

While notifications are live the engine asks for long waits (its safety-net polls are 20-30 s apart), and
an event must end such a wait at once. kopf cannot be woken early from a `TemporaryError(delay=)`, so the
pass waits inline on the release's wake-up instead, for at most PUSHED_BUDGET_S per handler call; when the
wait is longer, it is parked here and the handler comes back at once (`MIN_REQUEUE_S`) to go on waiting,
without running the engine (no Genesys request) until the wait is up or the release is woken. A parked wait
is only resumed for the same generation and reconcile request: a changed spec runs the engine at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from flowrelease.engine.outcome import Outcome


@dataclass(frozen=True)
class ParkedWait:
    due: float
    """`time.monotonic()` when the engine wants to look again."""
    outcome: Outcome
    generation: int
    requested_at: str

    def left(self, now: float) -> float:
        return max(self.due - now, 0.0)

    def still(self, now: float) -> Outcome:
        """The parked outcome, its `after` shortened to what is left."""
        return replace(self.outcome, after=self.left(now), events=())


class ParkedWaits:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._waits: dict[str, ParkedWait] = {}

    def park(self, key: str, outcome: Outcome, *, generation: int, requested_at: str) -> None:
        after = max(outcome.after or 0.0, 0.0)
        self._waits[key] = ParkedWait(self.monotonic() + after, outcome, generation, requested_at)

    def take(self, key: str, *, generation: int, requested_at: str) -> ParkedWait | None:
        """The parked wait of `key` for this generation and request (removed), or None."""
        parked = self._waits.pop(key, None)
        if parked is None or (parked.generation, parked.requested_at) != (generation, requested_at):
            return None
        return parked

    def parked(self, key: str) -> bool:
        return key in self._waits

    def forget(self, key: str) -> None:
        self._waits.pop(key, None)
