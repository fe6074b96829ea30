"""Per-release wake-ups fed by flow notifications: the engine's `CompletionHints` port, for both shells.

The engine calls `watch(release, flow_id)` before a POST whose completion it will wait for, `unwatch` once
it knows the result, and reads `pushed(flow_id)` to pick its polling cadence; after a POST it `expect`s the
started event, and a release that hears nothing about its flow within that time is woken (its events are
not coming: it polls). A shell, instead of sleeping
the `after` the engine asked for, calls `wait(release, after)`: it returns as soon as an event worth a
look arrives for that release's flow (or when `after` is up), and the shell runs the engine again at once.
A wake-up that arrives while no one waits is kept, so the next wait returns at once. A shell that
schedules its own passes (the operator's `ReleaseScheduler`) sets `forward` instead, and each wake-up runs
that release's next pass now.

One `ReleaseWakeups` per shell; `hints_for(notifications)` binds it to the channel of one (org, OAuth
client), since one engine serves one client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from flowrelease.engine.poll_schedule import LATE_EVENT_SECONDS, unannounced
from flowrelease.engine.ports import Pushed
from flowrelease.genesys.flow_events import FlowNotice
from flowrelease.genesys.notifications import FlowNotifications


class ReleaseWakeups:
    def __init__(self, forward: Callable[[str], object] | None = None) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self.forward = forward
        """Set by a shell that schedules its own passes (the operator's scheduler `wake`): wake-ups go there
        and nothing is kept for `wait`."""

    def _event(self, release: str) -> asyncio.Event:
        event = self._events.get(release)
        if event is None:
            event = self._events[release] = asyncio.Event()
        return event

    def wake(self, release: str) -> None:
        if self.forward is not None:
            self.forward(release)
            return
        self._event(release).set()

    async def wait(self, release: str, seconds: float) -> bool:
        """Sleep up to `seconds`; True when woken early (the wake-up is consumed)."""
        event = self._event(release)
        if not event.is_set() and seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=seconds)
        woken = event.is_set()
        event.clear()
        return woken

    def forget(self, release: str) -> None:
        self._events.pop(release, None)

    def hints_for(self, notifications: FlowNotifications) -> NotifiedHints:
        return NotifiedHints(self, notifications)


class NotifiedHints:
    """The engine's `CompletionHints` on one client's `FlowNotifications`, waking releases through
    `ReleaseWakeups`."""

    def __init__(self, wakeups: ReleaseWakeups, notifications: FlowNotifications) -> None:
        self.wakeups = wakeups
        self.notifications = notifications
        self._stops: dict[tuple[str, str], Callable[[], None]] = {}
        self._watched_at: dict[tuple[str, str], float] = {}
        """When each (release, flow) was last watched: the engine watches right before its POST."""
        self._confirming: set[tuple[str, str]] = set()
        """Finishes read before any event announced them, waiting `LATE_EVENT_SECONDS` for a late one."""

    async def watch(self, release: str, flow_id: str, *, ahead: bool = False, late: bool = False) -> bool:
        key = (release, flow_id)
        if late:
            self._watched_at.pop(key, None)
        else:
            self._watched_at[key] = self.notifications.now()
        if key not in self._stops:
            self._stops[key] = self.notifications.listen(flow_id, lambda _: self.wakeups.wake(release))
        return await self.notifications.watch(flow_id, ahead=ahead)

    def unwatch(self, release: str, flow_id: str) -> None:
        self._watched_at.pop((release, flow_id), None)
        stop = self._stops.pop((release, flow_id), None)
        if stop is not None:
            stop()
        if not any(flow == flow_id for _, flow in self._stops):
            self.notifications.unwatch(flow_id)

    def pushed(self, flow_id: str) -> Pushed:
        now = self.notifications.now()
        noticed, heard = self.notifications.noticed_at(flow_id), self.notifications.heard_at(flow_id)
        lost = self.notifications.lost_at()
        return Pushed(
            live=self.notifications.live(flow_id),
            noticed_seconds_ago=None if noticed is None else max(now - noticed, 0.0),
            heard_seconds_ago=None if heard is None else max(now - heard, 0.0),
            channel_lost_seconds_ago=None if lost is None else max(now - lost, 0.0),
        )

    def finished(self, release: str, flow_id: str) -> None:
        """A read can run ahead of the completion event: a loss is recorded only when no event announced the
        work by `LATE_EVENT_SECONDS` after the read that found it finished. The release may unwatch
        meanwhile; an unwatched topic stays on the channel until a replacing PUT, so a late event still
        arrives, and this listener hears it."""
        key = (release, flow_id)
        watched = self._watched_at.get(key)
        if watched is None or key in self._confirming or self._announced_since(flow_id, watched):
            return
        self._confirming.add(key)
        announced: list[FlowNotice] = []
        stop = self.notifications.listen(flow_id, announced.append)

        def confirm() -> None:
            stop()
            self._confirming.discard(key)
            if not announced:
                how = f"a read found work finished that no event announced {LATE_EVENT_SECONDS:g} s later"
                self.notifications.record_loss(flow_id, how)

        asyncio.get_running_loop().call_later(LATE_EVENT_SECONDS, confirm)

    def _announced_since(self, flow_id: str, watched: float) -> bool:
        now, noticed = self.notifications.now(), self.notifications.noticed_at(flow_id)
        return not unannounced(None if noticed is None else max(now - noticed, 0.0), max(now - watched, 0.0))

    def expect(self, release: str, flow_id: str, seconds: float) -> None:
        """Wake `release` unless an event about the flow arrives within `seconds` — or arrived already,
        since its last `watch` (right before the POST): on loopback the start can beat the POST's answer."""
        since = self._watched_at.get((release, flow_id), self.notifications.now())

        def check() -> None:
            heard = self.notifications.heard_at(flow_id)
            if (release, flow_id) in self._stops and (heard is None or heard < since):
                if self.notifications.live(flow_id):
                    how = f"no event about the flow {seconds:g} s after a POST"
                    self.notifications.record_loss(flow_id, how)
                self.wakeups.wake(release)

        asyncio.get_running_loop().call_later(seconds, check)
