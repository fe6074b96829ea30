"""Time sources for the emulator: wall time with an adjustable offset, or a fully manual clock.

Every time-dependent behaviour (token expiry, rate-limit refill, "after T seconds" transitions, timestamps)
reads one `Clock`, so tests can advance time instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of the current time in seconds since the epoch that tests can move forward."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class OffsetClock:
    """Wall-clock time plus an offset that `advance` grows; the default for a running emulator."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class ManualClock:
    """A clock that only moves when told to: fully deterministic time for tests."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
