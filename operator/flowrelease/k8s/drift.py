"""Periodic drift checks of settled releases, without a kopf timer.

A kopf timer (or daemon) makes kopf put a finalizer on every FlowRelease, so deleting one would hang
whenever the operator is down — for no benefit, since deleting a FlowRelease never touches Genesys. So the
operator keeps its own schedule: each pass that ends READY books the next check; a check that finds work
(Enforce re-publishing) books itself again after the delay the engine asks for; a kopf handler taking over
(WAITING through kopf) cancels the booking. On restart, kopf's resume handlers re-run every release, which
books the checks again.

kopf peering cannot pause this schedule, so drift checks are never on together with `--peering`
(OperatorConfig refuses the pair; see config.py).

`DriftScheduler` only knows keys and due times; what a check does is the callable it is given, which returns
the seconds until the next check or None to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

Check = Callable[[str], Awaitable[float | None]]


class DriftScheduler:
    def __init__(self, check: Check, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._check = check
        self._clock = clock
        self._due: dict[str, float] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    def schedule(self, key: str, after: float) -> None:
        self._due[key] = self._clock() + max(after, 0.0)
        self._wakeup.set()

    def cancel(self, key: str) -> None:
        self._due.pop(key, None)

    def due_in(self, key: str) -> float | None:
        due = self._due.get(key)
        return None if due is None else max(due - self._clock(), 0.0)

    def __len__(self) -> int:
        return len(self._due)

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name="flowrelease drift checks")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        self._running.clear()

    async def _loop(self) -> None:
        while True:
            self._wakeup.clear()
            now = self._clock()
            for key in [k for k, due in self._due.items() if due <= now and k not in self._running]:
                del self._due[key]
                self._running[key] = asyncio.create_task(self._run(key), name=f"drift check {key}")
            pending = [due for key, due in self._due.items() if key not in self._running]
            timeout = min(pending) - now if pending else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)

    async def _run(self, key: str) -> None:
        try:
            after = await self._check(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("drift check of %s failed; trying again in 60s", key)
            after = 60.0
        finally:
            self._running.pop(key, None)
        if after is not None and key not in self._due:
            self.schedule(key, after)
        else:
            self._wakeup.set()
