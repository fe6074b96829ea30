"""Notification channels and their topic subscriptions, with the limits Genesys documents.

- A channel belongs to the OAuth client that created it; another client's channel id is a 404.
- At most `channel_limit` (20) channels per client: creating one more removes the least recently used,
  choosing among channels without a connected socket first (the SDK's `post_notifications_channels`).
- At most `topic_limit` (1,000) topics per channel: a request that would exceed it is a 400 and changes
  nothing.
- A channel expires `channel_ttl_seconds` (24 h) after its creation or its last subscription change
  (resubscribing keeps it alive); an expired channel is gone (404).
- A topic matching a `rejectedTopics` glob is refused as a missing permission: the whole request is a 403
  and subscribes nothing, unless `ignoreErrors=true`, which subscribes the rest and lists the refused
  topic as `Rejected`.

Plain state on the emulator clock; the hub (`hub`) connects sockets and delivers events.
"""

from __future__ import annotations

import fnmatch
import random
import re
import string
from dataclasses import dataclass, field

from flowrelease.emulator.notifications.knobs import NotificationKnobs
from flowrelease.emulator.wire import ApiError, JsonObject, bad_request

FLOW_TOPIC = re.compile(r"^v2\.flows\.[A-Za-z0-9-]{1,64}$")
TOPIC_PERMISSION = "architect:flow:view"
_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class Channel:
    id: str
    client_id: str
    created_at: float
    expires_at: float
    last_used: float
    topics: dict[str, None] = field(default_factory=dict)
    """Insertion-ordered set of topic names."""
    connected: bool = False


@dataclass(frozen=True)
class TopicResult:
    """One entry of a subscription answer: `Permitted`, or `Rejected` with the permission it lacks."""

    topic: str
    permitted: bool


def channel_not_found(channel_id: str) -> ApiError:
    return ApiError(404, "not.found", f"Channel '{channel_id[:80]}' does not exist or has expired.")


def parse_topics(body: object) -> list[str]:
    """`[{"id": "v2.flows.<id>"}, ...]` → topic names, in order, without repeats; 400 otherwise."""
    if not isinstance(body, list):
        raise bad_request('The body must be a list of topics: [{"id": "v2.flows.<flowId>"}].', field="body")
    topics: dict[str, None] = {}
    for index, item in enumerate(body):
        topic = item.get("id") if isinstance(item, dict) else None
        if not isinstance(topic, str) or not FLOW_TOPIC.match(topic):
            raise bad_request(
                f"body[{index}].id must be a topic this org offers, v2.flows.{{flowId}}; "
                f"got {str(topic)[:80]!r}.",
                field=f"body[{index}].id",
            )
        topics[topic] = None
    return list(topics)


class ChannelBook:
    """Every channel of the org, by id, with a reverse index from topic to subscribed channel ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.channels: dict[str, Channel] = {}
        self.by_topic: dict[str, set[str]] = {}

    def _new_id(self) -> str:
        return "streaming-0-" + "".join(self.rng.choice(_ID_ALPHABET) for _ in range(26))

    def create(self, client_id: str, now: float, knobs: NotificationKnobs) -> tuple[Channel, list[Channel]]:
        """A new channel for `client_id`, and the channels removed to stay within the limit."""
        removed: list[Channel] = []
        owned = [c for c in self.channels.values() if c.client_id == client_id]
        while len(owned) >= knobs.channel_limit:
            victim = min(owned, key=lambda c: (c.connected, c.last_used))
            owned.remove(victim)
            removed.append(self.remove(victim.id))
        channel = Channel(
            id=self._new_id(),
            client_id=client_id,
            created_at=now,
            expires_at=now + knobs.channel_ttl_seconds,
            last_used=now,
        )
        self.channels[channel.id] = channel
        return channel, removed

    def find(self, client_id: str, channel_id: str, now: float) -> Channel:
        """The caller's live channel (marking it used), or 404."""
        channel = self.channels.get(channel_id)
        if channel is None or channel.client_id != client_id or channel.expires_at <= now:
            raise channel_not_found(channel_id)
        channel.last_used = now
        return channel

    def live(self, channel_id: str, now: float) -> Channel | None:
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.expires_at > now else None

    def owned_by(self, client_id: str, now: float) -> list[Channel]:
        return [c for c in self.channels.values() if c.client_id == client_id and c.expires_at > now]

    def remove(self, channel_id: str) -> Channel:
        channel = self.channels.pop(channel_id)
        for topic in channel.topics:
            self._unindex(topic, channel_id)
        return channel

    def expired(self, now: float) -> list[Channel]:
        """Remove and return every channel whose time is up."""
        return [self.remove(c.id) for c in list(self.channels.values()) if c.expires_at <= now]

    def next_expiry(self) -> float | None:
        return min((c.expires_at for c in self.channels.values()), default=None)

    def subscribe(
        self,
        channel: Channel,
        topics: list[str],
        *,
        replace: bool,
        ignore_errors: bool,
        now: float,
        knobs: NotificationKnobs,
    ) -> list[TopicResult]:
        """Add (`replace=False`) or replace the channel's topics; all or nothing on an error."""
        refused = [t for t in topics if any(fnmatch.fnmatchcase(t, glob) for glob in knobs.rejected_topics)]
        if refused and not ignore_errors:
            raise ApiError(
                403,
                "missing.permissions",
                f"Unable to subscribe to {refused[0]}: you are missing the following permission(s): "
                f"[{TOPIC_PERMISSION}]. No topic of this request was subscribed.",
            )
        permitted = [t for t in topics if t not in refused]
        wanted = dict.fromkeys(permitted) if replace else {**channel.topics, **dict.fromkeys(permitted)}
        if len(wanted) > knobs.topic_limit:
            raise bad_request(
                f"A channel can have at most {knobs.topic_limit:,} topics; this request would give channel "
                f"{channel.id} {len(wanted):,}.",
                field="body",
            )
        for topic in channel.topics:
            if topic not in wanted:
                self._unindex(topic, channel.id)
        for topic in wanted:
            self.by_topic.setdefault(topic, set()).add(channel.id)
        channel.topics = wanted
        channel.expires_at = now + knobs.channel_ttl_seconds
        return [TopicResult(t, True) for t in wanted] + [TopicResult(t, False) for t in refused]

    def clear(self, channel: Channel) -> None:
        for topic in channel.topics:
            self._unindex(topic, channel.id)
        channel.topics = {}

    def subscribers(self, topic: str) -> list[Channel]:
        return [self.channels[cid] for cid in sorted(self.by_topic.get(topic, ()))]

    def _unindex(self, topic: str, channel_id: str) -> None:
        ids = self.by_topic.get(topic)
        if ids is not None:
            ids.discard(channel_id)
            if not ids:
                del self.by_topic[topic]


def topic_entity(channel: Channel, result: TopicResult) -> JsonObject:
    """A `ChannelTopic`."""
    entity: JsonObject = {
        "id": result.topic,
        "state": "Permitted" if result.permitted else "Rejected",
        "selfUri": f"/api/v2/notifications/channels/{channel.id}/subscriptions",
    }
    if not result.permitted:
        entity["rejectionReason"] = f"Missing the permission {TOPIC_PERMISSION}."
        entity["missingPermissions"] = [TOPIC_PERMISSION]
    return entity
