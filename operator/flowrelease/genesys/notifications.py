"""`FlowNotifications`: one Genesys notification channel per (org, OAuth client), shared by every release.

A release that is about to start something asynchronous on a flow (a publish, a check-in, an import that
updates a known flow) calls `watch(flow_id)` BEFORE its POST: the flow's topic `v2.flows.{flowId}` is then
subscribed on a connected socket, so the completion event cannot be missed by subscribing late. `listen`
registers a callback (a shell's wake-up) called for every event worth a look (`flow_events.worth_waking`).
`unwatch` drops the topic once the release knows the result; removals ride along with the next
subscription change (or a flush when idle), so a fleet does not pay a request per finished release.

Requests go through the client's choke point (`GenesysTransport`: token, shared rate limiter, 429s).
Subscription changes are coalesced: while one `PUT …/subscriptions` is in flight, every `watch` that
arrives meanwhile joins the next one. A watch `ahead` of need (the engine's, while a release validates) is
paced: new topics are added at most once per `subscribe_interval_seconds` (the first at once), so tens of
them share one request. A watch that a POST waits for is never paced — it cuts a pacing wait short and takes
every topic waiting with it: its release holds a reconcile slot meanwhile, and a fleet whose publishes
waited out the interval in their slots ran at 62 % of the rate bound. While topics are being added (an
addition within the last interval: a fleet), such a watch waits `hurry_window_seconds` (0.2 s, about one
subscription round trip) for the other POSTs' watches to join its request (`hurry_window`).
`ignoreErrors=true` is always sent, so a topic Genesys refuses (`Rejected`) only makes that one flow fall
back to polling.

Failure handling, every path ending in "poll as before":
- the service answers 403/404 (or anything else) when the channel is created → *unavailable*: every
  `watch` returns False until `retry_after_seconds` have passed; said once in the log and through
  `on_state`;
- the socket closes, goes silent for `silence_seconds` (heartbeats come every 30 s), or warns with
  `v2.system.socket_closing` → reconnect to the channel; if the channel is gone (expired, removed by the
  20-channel limit) → a new channel, every watched topic subscribed again. Events sent meanwhile are lost,
  so every listener gets a `resync` notice once the socket is back. After `reconnect_attempts` failures →
  *unavailable* as above;
- the 1,000-topic limit → flows beyond it are not watched (their releases poll);
- the channel would expire 24 h after its last subscription change: it is resubscribed
  `renew_before_seconds` before that.

The WebSocket library (`websockets`) is imported only when a socket is first opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from flowrelease.engine.poll_schedule import LOSSY_CHANNEL_SECONDS, lossy_channel
from flowrelease.engine.ports import FlowApiError, InvalidRequest, NotFound, Transient
from flowrelease.genesys import routes
from flowrelease.genesys.flow_events import FlowNotice, flow_topic, read_message, worth_waking
from flowrelease.genesys.transport import Call, GenesysTransport

logger = logging.getLogger("flowrelease.genesys.notifications")

TOPIC_LIMIT = 1000
DEFAULT_LIFETIME = 86_400.0
SUBSCRIBE_INTERVAL_SECONDS = 2.0
HURRY_WINDOW_SECONDS = 0.2
"""How long a watch that a POST waits for may wait for others to join its request while topics are being
added (a fleet): about one subscription round trip to Genesys, so the POST is delayed by no more than a
request of its own would cost on a real org."""
Listener = Callable[[FlowNotice], None]


class Socket(Protocol):
    """The part of a WebSocket connection this module uses (websockets' asyncio ClientConnection)."""

    async def recv(self) -> str | bytes: ...

    async def close(self) -> None: ...


SocketOpener = Callable[[str], Awaitable[Socket]]


class SocketRefused(Exception):
    """The server refused the upgrade (the channel does not exist any more) or could not be reached."""


async def open_websocket(uri: str) -> Socket:
    """Connect with `websockets` (imported here, so `flowrelease --help` never loads it)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake, InvalidURI

    try:
        connection: Any = await connect(uri, open_timeout=10, max_size=2**22)
    except (InvalidHandshake, InvalidURI, OSError, TimeoutError) as exc:
        raise SocketRefused(f"{type(exc).__name__}: {exc}") from exc
    socket: Socket = connection
    return socket


@dataclass(frozen=True)
class NotificationState:
    """`live`: events arrive. Otherwise `reason` says why not: reconnecting for a moment, or `unavailable`
    (releases poll until the service is tried again)."""

    live: bool
    reason: str = ""
    unavailable: bool = False
    lossy: bool = False
    """Reported once when a live channel starts losing events (`record_loss`); its in-flight work then
    polls on the regular schedule as its safety net for a while (`poll_schedule.lossy_channel`)."""


@dataclass
class _Channel:
    id: str
    connect_uri: str
    expires: float
    """Epoch seconds."""
    lifetime: float
    """Seconds a subscription change keeps the channel alive (24 h in Genesys; read from `expires`)."""


def _expires(text: object) -> float:
    if not isinstance(text, str):
        return 0.0
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class FlowNotifications:
    def __init__(
        self,
        transport: GenesysTransport,
        *,
        open_socket: SocketOpener = open_websocket,
        on_state: Callable[[NotificationState], None] | None = None,
        silence_seconds: float = 75.0,
        renew_before_seconds: float = 3600.0,
        retry_after_seconds: float = 600.0,
        reconnect_attempts: int = 4,
        reconnect_delay_seconds: float = 0.5,
        flush_after_seconds: float = 30.0,
        subscribe_interval_seconds: float = SUBSCRIBE_INTERVAL_SECONDS,
        hurry_window_seconds: float = HURRY_WINDOW_SECONDS,
        topic_limit: int = TOPIC_LIMIT,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._transport = transport
        self._open_socket = open_socket
        self._on_state = on_state
        self.silence_seconds = silence_seconds
        self.renew_before_seconds = renew_before_seconds
        self.retry_after_seconds = retry_after_seconds
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_delay_seconds = reconnect_delay_seconds
        self.flush_after_seconds = flush_after_seconds
        self.subscribe_interval_seconds = subscribe_interval_seconds
        self.hurry_window_seconds = hurry_window_seconds
        self._added_at: float | None = None
        """When (event-loop time) topics were last added; paces the next addition."""
        self.topic_limit = topic_limit
        self._clock = clock
        self._wall = wall_clock
        self._wanted: dict[str, None] = {}
        """Flow ids to watch, oldest first."""
        self._subscribed: set[str] = set()
        """Flow ids whose topic the current channel has (confirmed by Genesys)."""
        self._rejected: set[str] = set()
        self._listeners: dict[str, list[Listener]] = {}
        self._last: dict[str, FlowNotice] = {}
        self._noticed_at: dict[str, float] = {}
        self._heard_at: dict[str, float] = {}
        self._channel: _Channel | None = None
        self._socket: Socket | None = None
        self._reader: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._connect_lock = asyncio.Lock()
        self._sync_lock = asyncio.Lock()
        self._learn_lock = asyncio.Lock()
        self._hurry = asyncio.Event()
        """Set by a watch that cannot wait: a pacing wait ends at once."""
        self._generation = 0
        self._synced_generation = 0
        self._unavailable_until = 0.0
        self._state = NotificationState(False, "not started")
        self._closed = False
        self._overflow_said = False
        self._lost_at: float | None = None
        self.losses = 0
        """Lost events detected on this client's channel (`record_loss`)."""
        self.events_received = 0
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"FlowNotifications({self._transport!r}, state={self._state})"

    # -- what releases call ------------------------------------------------------------------------------

    def now(self) -> float:
        """This object's clock (monotonic seconds), which `noticed_at` is read on."""
        return self._clock()

    @property
    def state(self) -> NotificationState:
        return self._state

    def live(self, flow_id: str) -> bool:
        """Events for `flow_id` arrive now: its topic is subscribed on a connected socket."""
        return self._state.live and self._socket is not None and flow_id in self._subscribed

    def noticed_at(self, flow_id: str) -> float | None:
        """When (on `clock`) the last event worth a look about `flow_id` arrived."""
        return self._noticed_at.get(flow_id)

    def heard_at(self, flow_id: str) -> float | None:
        """When (on `clock`) the last event of any kind about `flow_id` arrived (a publish starting too)."""
        return self._heard_at.get(flow_id)

    def lost_at(self) -> float | None:
        """When (on `clock`) this client's channel last showed a lost event; None when it never did."""
        return self._lost_at

    def record_loss(self, flow_id: str, how: str) -> None:
        """An event about `flow_id` was evidently lost. Said once in the log and through `on_state` when
        the channel turns lossy (no loss within `LOSSY_CHANNEL_SECONDS` before)."""
        now = self._clock()
        previous, self._lost_at = self._lost_at, now
        self.losses += 1
        if previous is not None and lossy_channel(now - previous):
            return
        # INFO, not WARNING: sync's default shows warnings, and a log line written under its live table
        # leaves the table's top behind on the terminal (the metric and on_state still say it).
        logger.info(
            "flow notifications for OAuth client %s lose events (%s, flow %s); in-flight work on this "
            "channel polls on the regular schedule as its safety net for the next %.0f s (events still wake)",
            self._transport.client_id,
            how,
            flow_id,
            LOSSY_CHANNEL_SECONDS,
        )
        if self._on_state is not None:
            self._on_state(replace(self._state, lossy=True, reason=how))

    async def watch(self, flow_id: str, *, ahead: bool = False) -> bool:
        """Subscribe `flow_id`'s topic on a connected socket; True when its events will arrive. Never
        raises: False means the caller polls. `ahead`: nothing waits for this subscription yet, so it may be
        paced; otherwise it is sent at once (with every topic waiting for the pace)."""
        if self._closed or self._clock() < self._unavailable_until:
            return False
        self._wanted[flow_id] = None
        if flow_id in self._rejected:
            return False
        try:
            try:
                await self._ensure_connected()
                if flow_id not in self._subscribed:
                    await self._sync(hurry=not ahead)
            except NotFound:  # the channel is gone (expired, or removed by the 20-channel limit)
                if self._channel is None:
                    raise
                await self._replace_channel()
        except InvalidRequest:  # more topics than the channel holds: this flow is polled
            await self._learn_topic_limit()
            return self.live(flow_id)
        except Transient as error:  # this release polls; the next watch tries again
            logger.info("subscribing flow %s failed for now: %s", flow_id, error.message)
            return False
        except FlowApiError as error:
            self._unavailable(f"the notification service refused the request: {error.message}")
            return False
        except SocketRefused as error:
            self._unavailable(f"the notification socket could not be opened ({error})")
            return False
        return self.live(flow_id)

    def unwatch(self, flow_id: str) -> None:
        """Stop watching; the topic leaves the channel with the next subscription change."""
        self._wanted.pop(flow_id, None)
        self._last.pop(flow_id, None)
        self._noticed_at.pop(flow_id, None)
        self._heard_at.pop(flow_id, None)
        if flow_id in self._subscribed and self._flusher is None and self._socket is not None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    def listen(self, flow_id: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` for every notice worth a look about `flow_id`; returns the way to stop."""
        self._listeners.setdefault(flow_id, []).append(listener)

        def stop() -> None:
            listeners = self._listeners.get(flow_id, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._listeners.pop(flow_id, None)

        return stop

    async def aclose(self) -> None:
        self._closed = True
        for task in (self._reader, self._flusher, *self._background):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._close_socket()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- channel and socket ----------------------------------------------------------------------------

    async def _ensure_connected(self) -> None:
        async with self._connect_lock:
            if self._socket is not None and self._reader is not None and not self._reader.done():
                return
            await self._connect()

    async def _replace_channel(self) -> None:
        async with self._connect_lock:
            self._channel = None
            await self._close_socket()
            await self._connect()

    async def _connect(self) -> None:
        """A socket on the current channel, or on a new one when it is gone (all topics subscribed again)."""
        if self._channel is not None and self._channel.expires > self._wall():
            try:
                await self._open(self._channel)
                return
            except SocketRefused as refused:
                logger.info("notification channel %s refused a connection (%s)", self._channel.id, refused)
        self._channel = await self._create_channel()
        self._subscribed = set()
        self._added_at = None  # a new channel gets every watched topic at once: events are lost meanwhile
        await self._open(self._channel)
        if self._wanted:
            await self._sync()

    async def _open(self, channel: _Channel) -> None:
        socket = await self._open_socket(channel.connect_uri)
        self._socket = socket
        self._reader = asyncio.get_running_loop().create_task(self._read(socket))
        self._set_state(NotificationState(True))

    async def _create_channel(self) -> _Channel:
        body = await self._transport.send_json(
            Call(
                routes.CREATE_CHANNEL,
                purpose="creating a notification channel",
                not_found_hint="the notification service is not available to this org",
            )
        )
        fields = body if isinstance(body, dict) else {}
        channel_id, uri = fields.get("id"), fields.get("connectUri")
        if not isinstance(channel_id, str) or not isinstance(uri, str) or not channel_id or not uri:
            raise SocketRefused("the new channel has no id or connectUri")
        now = self._wall()
        expires = _expires(fields.get("expires")) or now + DEFAULT_LIFETIME
        logger.info("notification channel %s created (expires %s)", channel_id, fields.get("expires"))
        return _Channel(channel_id, uri, expires, max(expires - now, 1.0))

    async def _close_socket(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            with contextlib.suppress(Exception):
                await socket.close()

    async def _read(self, socket: Socket) -> None:
        reason = "the socket closed"
        try:
            while True:
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=self.silence_seconds)
                except TimeoutError:
                    reason = f"no message or heartbeat for {self.silence_seconds:g} s"
                    break
                message = read_message(raw)
                if message.kind == "closing":
                    reason = "Genesys announced that it closes the socket"
                    break
                if message.kind == "flow" and message.notice is not None:
                    self._dispatch(message.notice)
                self._renew_if_due()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the library's ConnectionClosed and friends
            reason = f"the socket closed ({type(error).__name__})"
        if socket is self._socket and not self._closed:
            self._socket = None
            with contextlib.suppress(Exception):
                await socket.close()
            self._set_state(NotificationState(False, reason))
            self._spawn(self._reconnect(reason))

    async def _reconnect(self, reason: str) -> None:
        delay = self.reconnect_delay_seconds
        for attempt in range(1, self.reconnect_attempts + 1):
            if self._closed:
                return
            try:
                await self._ensure_connected()
            except (FlowApiError, SocketRefused) as error:
                logger.info("notification reconnect %d failed: %s", attempt, error)
                await asyncio.sleep(delay)
                delay *= 2
                continue
            self.reconnects += 1
            logger.info("notification socket back after: %s", reason)
            for flow_id in list(self._listeners):
                self._wake(FlowNotice(flow_id, resync=True))
            return
        self._unavailable(f"{reason}, and {self.reconnect_attempts} reconnects failed")

    # -- subscriptions ---------------------------------------------------------------------------------

    async def _sync(self, *, replace: bool = False, limit: int | None = None, hurry: bool = False) -> None:
        """Bring the channel's topics up to the watched flows; coalesced (see the module docstring).

        New topics are added (POST); finished ones stay until a replacing PUT (the idle flush, a renewal,
        or when the topic limit would otherwise turn new ones away). `hurry`: a caller waits for it, so no
        pacing (and a pacing wait in progress ends now)."""
        self._generation += 1
        mine = self._generation
        if hurry:
            self._hurry.set()
        async with self._sync_lock:
            if self._synced_generation >= mine or self._channel is None:
                return
            if not replace and limit is None:
                wait = self._hurry_wait() if hurry else 0.0
                if wait > 0:
                    await asyncio.sleep(wait)  # the other POSTs' watches join this request
                elif not hurry:
                    await self._pace()
                if self._channel is None:
                    return
            self._hurry.clear()  # this request carries every topic wanted so far
            target, channel = self._generation, self._channel
            candidates = [f for f in self._wanted if f not in self._rejected]
            kept = [f for f in candidates if f in self._subscribed]  # never dropped for a newcomer
            cap = self.topic_limit if limit is None else limit
            wanted = (kept + [f for f in candidates if f not in self._subscribed])[:cap]
            if limit is None and len(candidates) > len(wanted) and not self._overflow_said:
                self._overflow_said = True
                logger.warning(
                    "more than %d flows to watch on one notification channel; the rest are polled",
                    self.topic_limit,
                )
            additions = [f for f in wanted if f not in self._subscribed]
            replace = replace or len(self._subscribed) + len(additions) > cap
            if not replace and not additions:
                self._synced_generation = target
                return
            sent = wanted if replace else additions
            if not replace:
                self._added_at = asyncio.get_running_loop().time()
            body = await self._transport.send_json(
                Call(
                    routes.REPLACE_SUBSCRIPTIONS if replace else routes.ADD_SUBSCRIPTIONS,
                    purpose="subscribing flow topics on the notification channel",
                    path_params={"channelId": channel.id},
                    params={"ignoreErrors": "true"},
                    not_found_hint=f"notification channel {channel.id} is gone",
                    json=[{"id": flow_topic(flow_id)} for flow_id in sent],
                )
            )
            self._synced_generation = target
            if channel is not self._channel:
                return
            permitted, rejected = _topic_states(body)
            confirmed = {f for f in sent if flow_topic(f) in permitted}
            self._subscribed = confirmed if replace else self._subscribed | confirmed
            for flow_id in sent:
                reason = rejected.get(flow_topic(flow_id))
                if reason is not None and flow_id not in self._rejected:
                    self._rejected.add(flow_id)
                    logger.warning(
                        "Genesys refused the notification topic of flow %s (%s); its releases poll",
                        flow_id,
                        reason,
                    )
            channel.expires = self._wall() + channel.lifetime

    def _hurry_wait(self) -> float:
        """How long a watch that cannot wait for the pace still waits for others (`hurry_window`)."""
        since = None if self._added_at is None else asyncio.get_running_loop().time() - self._added_at
        return hurry_window(since, self.subscribe_interval_seconds, self.hurry_window_seconds)

    async def _pace(self) -> None:
        """Wait out the rest of `subscribe_interval_seconds` since the last addition, when new topics are
        wanted (the watches arriving meanwhile join this request), unless a watch that cannot wait arrives."""
        if self._added_at is None or all(f in self._subscribed or f in self._rejected for f in self._wanted):
            return
        rest = self._added_at + self.subscribe_interval_seconds - asyncio.get_running_loop().time()
        if rest > 0 and not self._hurry.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), rest)

    async def _learn_topic_limit(self) -> None:
        """Genesys refused a batch of new topics as too many (400): add them one at a time until it
        refuses again, and keep that count as the limit, so later batches stay within it."""
        async with self._learn_lock:
            if len(self._subscribed) >= self.topic_limit:
                return  # another watch learned it meanwhile
            for flow_id in [f for f in self._wanted if f not in self._subscribed and f not in self._rejected]:
                try:
                    await self._sync(limit=len(self._subscribed) + 1)
                except InvalidRequest:
                    break
                except FlowApiError:
                    return
                if flow_id not in self._subscribed:
                    break
            self.topic_limit = len(self._subscribed)
            if not self._overflow_said:
                self._overflow_said = True
                logger.warning(
                    "the notification channel holds no more than %d topics; flows beyond that are polled",
                    self.topic_limit,
                )

    def _renew_if_due(self) -> None:
        channel = self._channel
        if channel is not None and self._wall() >= channel.expires - self.renew_before_seconds:
            channel.expires = self._wall() + channel.lifetime  # one renewal in flight at a time
            self._spawn(self._renew())

    async def _renew(self) -> None:
        try:
            await self._sync(replace=True)
        except FlowApiError as error:
            logger.info("renewing the notification channel failed: %s", error.message)

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self.flush_after_seconds)
            if set(self._wanted) != self._subscribed:
                await self._sync(replace=True)
        except FlowApiError as error:
            logger.info("dropping finished topics from the notification channel failed: %s", error.message)
        finally:
            self._flusher = None

    # -- events ----------------------------------------------------------------------------------------

    def _dispatch(self, notice: FlowNotice) -> None:
        self.events_received += 1
        self._heard_at[notice.flow_id] = self._clock()
        previous = self._last.get(notice.flow_id)
        self._last[notice.flow_id] = notice
        if worth_waking(previous, notice):
            self._wake(notice)

    def _wake(self, notice: FlowNotice) -> None:
        self._noticed_at[notice.flow_id] = self._clock()
        for listener in list(self._listeners.get(notice.flow_id, ())):
            try:
                listener(notice)
            except Exception:
                logger.exception("a notification listener for flow %s failed", notice.flow_id)

    # -- state -----------------------------------------------------------------------------------------

    def _unavailable(self, reason: str) -> None:
        self._unavailable_until = self._clock() + self.retry_after_seconds
        self._subscribed = set()
        if self._socket is not None:
            self._spawn(self._close_socket())
        self._set_state(NotificationState(False, reason, unavailable=True))
        for flow_id in list(self._listeners):
            self._wake(FlowNotice(flow_id, resync=True))

    def _set_state(self, state: NotificationState) -> None:
        if state == self._state:
            return
        self._state = state
        client = self._transport.client_id
        if state.live:
            logger.info("flow notifications are live for OAuth client %s", client)
        elif state.unavailable:
            logger.warning(
                "flow notifications are not available for OAuth client %s: %s; releases poll instead "
                "(trying again in %.0f s)",
                client,
                state.reason,
                self._unavailable_until - self._clock(),
            )
        else:
            logger.info("flow notifications paused for client %s: %s; reconnecting", client, state.reason)
        if self._on_state is not None:
            self._on_state(state)


def hurry_window(added_seconds_ago: float | None, interval: float, window: float) -> float:
    """Seconds a watch that a POST waits for holds its request open for other POSTs' watches. PURE.

    Only while topics are being added — the last addition less than one pacing `interval` ago, as in a
    fleet, where other releases are about to POST too; a lone release (nothing added lately) sends at once."""
    if added_seconds_ago is None or not 0 <= added_seconds_ago < interval:
        return 0.0
    return max(window, 0.0)


def _topic_states(body: object) -> tuple[set[str], dict[str, str]]:
    """(permitted topics, {rejected topic: reason}) of a ChannelTopicEntityListing."""
    permitted: set[str] = set()
    rejected: dict[str, str] = {}
    entities = body.get("entities") if isinstance(body, dict) else None
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            continue
        if entity.get("state") == "Rejected":
            rejected[entity["id"]] = str(entity.get("rejectionReason") or "rejected")
        else:
            permitted.add(entity["id"])
    return permitted, rejected
