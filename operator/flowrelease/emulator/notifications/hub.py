"""The notification hub: channels, connected sockets, and a `v2.flows.{flowId}` event on every flow change.

How changes are seen: after every request (the gateway calls `after_request`) and whenever timed work falls
due, the hub compares each subscribed flow's `flow_fingerprint` with the last one it saw and sends an event
for each flow that changed — publish or check-in starting, moving on, finishing, versions changing, a job
publishing the flow, a rename or a deletion. Several changes inside one request make one event showing the
end state. Publishes and jobs that finish by the emulator clock are settled by a task that sleeps until the
next one is due (only while a socket is connected), so their event leaves when they finish, not at the
next request. A topic's first subscription records the flow's state without an event.

Delivery is best effort, as in Genesys: an event for a channel with no connected socket is lost; the knobs
drop or duplicate a seeded fraction and delay every event. One socket per channel: a second connection
closes the first. An expired or removed channel's socket is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowrelease.emulator.notifications import events
from flowrelease.emulator.notifications.channels import Channel, ChannelBook, topic_entity
from flowrelease.emulator.notifications.knobs import NotificationKnobs
from flowrelease.emulator.wire import ApiError, JsonObject

if TYPE_CHECKING:
    from flowrelease.emulator.runtime import EmulatorRuntime

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
IDLE_CHECK_SECONDS = 1.0
_FINAL_JOB_STATES = ("Success", "Failure")


@dataclass(frozen=True)
class Closing:
    code: int
    reason: str


class Connection:
    """The one socket of a channel: an outbox the socket route drains in order."""

    def __init__(self, channel_id: str) -> None:
        self.channel_id = channel_id
        self.outbox: asyncio.Queue[str | Closing] = asyncio.Queue()
        self.closing = False

    def send(self, message: str) -> None:
        if not self.closing:
            self.outbox.put_nowait(message)

    def close(self, code: int, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.outbox.put_nowait(Closing(code, reason))


class NotificationHub:
    def __init__(self, runtime: EmulatorRuntime) -> None:
        self.runtime = runtime
        self.knobs = NotificationKnobs()
        self.id_rng = random.Random(0)
        self.delivery_rng = random.Random(0)
        self.book = ChannelBook(self.id_rng)
        self.connections: dict[str, Connection] = {}
        self.fingerprints: dict[str, events.Fingerprint | None] = {}
        self.counters: Counter[str] = Counter()
        self._wake: asyncio.Event | None = None
        self._scheduler: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def reset(self, random_seed: int) -> None:
        """No channels, default knobs; connected sockets are closed (their channels are gone)."""
        for connection in list(self.connections.values()):
            connection.close(CLOSE_GOING_AWAY, "the emulator was reset")
        self.connections.clear()
        self.knobs = NotificationKnobs()
        self.book = ChannelBook(self.id_rng)
        self.fingerprints.clear()
        self.counters.clear()
        self.reseed(random_seed)

    def reseed(self, random_seed: int) -> None:
        self.id_rng.seed(random_seed)
        self.delivery_rng.seed(random_seed)

    def require_available(self) -> None:
        status = self.knobs.available
        if status == 404:
            raise ApiError(404, "not.found", "The notification service is not available to this org.")
        if status == 403:
            raise ApiError(
                403, "not.authorized", "This OAuth client is not allowed to use the notification service."
            )

    def now(self) -> float:
        return self.runtime.clock.now()

    # -- channels --------------------------------------------------------------------------------------

    def create_channel(self, client_id: str) -> Channel:
        self.expire_due()
        channel, removed = self.book.create(client_id, self.now(), self.knobs)
        for gone in removed:
            self._disconnect(gone.id, CLOSE_NORMAL, "the channel limit removed this channel")
        self.counters["channels_created"] += 1
        self.counters["channels_removed_by_limit"] += len(removed)
        return channel

    def channel(self, client_id: str, channel_id: str) -> Channel:
        self.expire_due()
        return self.book.find(client_id, channel_id, self.now())

    def subscribe(
        self, channel: Channel, topics: list[str], *, replace: bool, ignore_errors: bool
    ) -> list[JsonObject]:
        results = self.book.subscribe(
            channel, topics, replace=replace, ignore_errors=ignore_errors, now=self.now(), knobs=self.knobs
        )
        self._track_topics()
        return [topic_entity(channel, result) for result in results]

    def clear(self, channel: Channel) -> None:
        self.book.clear(channel)
        self._track_topics()

    def expire_due(self) -> None:
        for channel in self.book.expired(self.now()):
            self._disconnect(channel.id, CLOSE_NORMAL, "the channel expired")
            self.counters["channels_expired"] += 1
        self._track_topics()

    def expire(self, channel_id: str | None) -> int:
        """Control plane: expire one channel (or all) now."""
        chosen = [c for c in self.book.channels.values() if channel_id in (None, c.id)]
        for channel in chosen:
            channel.expires_at = self.now()
        self.expire_due()
        return len(chosen)

    def _track_topics(self) -> None:
        """Baselines for newly subscribed topics (no event for the past); forget unsubscribed ones."""
        for topic in self.book.by_topic:
            if topic not in self.fingerprints:
                flow = self.runtime.org.flows.get(events.flow_id_of(topic))
                self.fingerprints[topic] = events.flow_fingerprint(flow) if flow is not None else None
        for topic in [t for t in self.fingerprints if t not in self.book.by_topic]:
            del self.fingerprints[topic]

    # -- sockets ---------------------------------------------------------------------------------------

    def attach(self, channel_id: str) -> Connection | None:
        """A socket opens on `channel_id`: its connection, or None when the channel does not exist."""
        self.expire_due()
        channel = self.book.live(channel_id, self.now())
        if channel is None or self.knobs.available != "available":
            self.counters["connections_refused"] += 1
            return None
        self._disconnect(channel_id, CLOSE_NORMAL, "another connection opened this channel")
        connection = Connection(channel_id)
        self.connections[channel_id] = connection
        channel.connected = True
        channel.last_used = self.now()
        self.counters["connections"] += 1
        self._ensure_scheduler()
        return connection

    def detach(self, connection: Connection) -> None:
        if self.connections.get(connection.channel_id) is connection:
            del self.connections[connection.channel_id]
            channel = self.book.channels.get(connection.channel_id)
            if channel is not None:
                channel.connected = False

    def close_sockets(self, channel_id: str | None, *, warn: bool) -> int:
        """Control plane: close one channel's socket (or every socket), after a closing warning if `warn`.
        The channels stay; a client may connect again."""
        chosen = [c for cid, c in self.connections.items() if channel_id in (None, cid)]
        for connection in chosen:
            if warn:
                connection.send(events.text(events.SOCKET_CLOSING))
            self._disconnect(connection.channel_id, CLOSE_GOING_AWAY, "closed by the notification service")
        return len(chosen)

    def _disconnect(self, channel_id: str, code: int, reason: str) -> None:
        connection = self.connections.pop(channel_id, None)
        if connection is not None:
            connection.close(code, reason)
            channel = self.book.channels.get(channel_id)
            if channel is not None:
                channel.connected = False

    # -- events ----------------------------------------------------------------------------------------

    def after_request(self) -> None:
        """A request was served: expire channels, send events for changed flows, re-plan the settle task."""
        if self.book.channels:
            self.expire_due()
            self._emit_changes()
        if self._wake is not None:
            self._wake.set()

    def _emit_changes(self) -> None:
        flows = self.runtime.org.flows
        for topic in list(self.book.by_topic):
            flow = flows.get(events.flow_id_of(topic))
            fingerprint = events.flow_fingerprint(flow) if flow is not None else None
            if fingerprint == self.fingerprints.get(topic):
                continue
            self.fingerprints[topic] = fingerprint
            if flow is not None:
                body = events.flow_body(flow, self.runtime.org.client_name)
                for channel in self.book.subscribers(topic):
                    self._deliver(channel.id, topic, body)

    def _deliver(self, channel_id: str, topic: str, body: JsonObject) -> None:
        knobs = self.knobs
        connection = self.connections.get(channel_id)
        if connection is None:
            self.counters["events_lost_unconnected"] += 1
            return
        if knobs.drop_fraction and self.delivery_rng.random() < knobs.drop_fraction:
            self.counters["events_dropped"] += 1
            return
        copies = 1
        if knobs.duplicate_fraction and self.delivery_rng.random() < knobs.duplicate_fraction:
            copies = 2
            self.counters["events_duplicated"] += 1
        message = events.text(events.envelope(topic, body, str(uuid.uuid4())))
        for _ in range(copies):
            self.counters["events_sent"] += 1
            if knobs.delay_seconds:
                asyncio.get_running_loop().call_later(knobs.delay_seconds, connection.send, message)
            else:
                connection.send(message)

    # -- timed work ------------------------------------------------------------------------------------

    def _ensure_scheduler(self) -> None:
        if self._scheduler is None or self._scheduler.done():
            self._wake = asyncio.Event()
            self._scheduler = asyncio.get_running_loop().create_task(self._settle_when_due())

    def next_due(self) -> float | None:
        """The emulator-clock time the next timed publish, check-in or import job finishes, or a channel
        expires."""
        org, dues = self.runtime.org, []
        for flow_id in org.timed_flow_ids:
            pending = org.flows[flow_id].pending
            if pending is not None and pending.progress.mode.mode == "seconds":
                dues.append(pending.progress.started_at + pending.progress.mode.seconds)
        for job in self.runtime.jobs.architect.jobs.values():
            due = job.due_at()
            if due is not None and job.status not in _FINAL_JOB_STATES:
                dues.append(due)
        expiry = self.book.next_expiry()
        if expiry is not None:
            dues.append(expiry)
        return min(dues, default=None)

    async def _settle_when_due(self) -> None:
        """While a socket is connected: sleep until the next timed change, settle it, send its events."""
        wake = self._wake
        assert wake is not None
        overdue = 0
        while self.connections:
            due = self.next_due()
            wait = IDLE_CHECK_SECONDS if due is None else due - self.now()
            overdue = overdue + 1 if wait <= 0 else 0
            wait = IDLE_CHECK_SECONDS if overdue > 1 else min(max(wait, 0.0), IDLE_CHECK_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait)
            wake.clear()
            self.runtime.settle()
            if self.book.channels:
                self.expire_due()
                self._emit_changes()
