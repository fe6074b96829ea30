"""The Notifications API's knobs: its documented limits, and the ways delivery can go wrong (pure values).

The defaults are what Genesys documents: 20 channels per OAuth client, 1,000 topics per channel, channels
living 24 h (resubscribing extends them), a heartbeat every 30 s, every event delivered. The other knobs
make delivery adversarial: drop or duplicate a fraction of events (seeded), delay every event, refuse the
whole service (403 or 404 on every notifications endpoint), or refuse topics matching a glob with the 403 a
missing permission gets. `/_emulator/notifications` reads and sets them (`knobs_json`, `updated_knobs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from flowrelease.emulator.wire import JsonObject, bad_request

Availability = Literal["available", 403, 404]
AVAILABILITY: tuple[Availability, ...] = ("available", 403, 404)
MAX_SECONDS = 86_400.0 * 365
MAX_COUNT = 100_000


@dataclass(frozen=True)
class NotificationKnobs:
    available: Availability = "available"
    drop_fraction: float = 0.0
    duplicate_fraction: float = 0.0
    delay_seconds: float = 0.0
    """Wall-clock seconds every event waits before it is sent."""
    heartbeat_seconds: float = 30.0
    """Wall-clock seconds between `channel.metadata` heartbeats on a connected socket."""
    rejected_topics: tuple[str, ...] = ()
    """fnmatch globs (`v2.flows.<id>`, `v2.flows.*`) whose subscription is refused as a missing permission."""
    channel_limit: int = 20
    topic_limit: int = 1000
    channel_ttl_seconds: float = 86_400.0
    """Emulator-clock seconds a channel lives after its creation or its last subscription change."""


def _fraction(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise bad_request(f"{where} must be a number from 0 to 1.", field=where)
    return float(value)


def _seconds(value: object, where: str, *, positive: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_SECONDS
        or (positive and value == 0)
    ):
        floor = "above 0" if positive else "from 0"
        raise bad_request(f"{where} must be a number of seconds {floor} to {MAX_SECONDS:.0f}.", field=where)
    return float(value)


def _count(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_COUNT:
        raise bad_request(f"{where} must be an integer from 1 to {MAX_COUNT}.", field=where)
    return value


def _available(value: object, where: str) -> Availability:
    for choice in AVAILABILITY:
        if value == choice and not isinstance(value, bool):
            return choice
    raise bad_request(f'{where} must be one of "available", 403, 404.', field=where)


def _globs(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise bad_request(f'{where} must be a list of topic globs (e.g. "v2.flows.*").', field=where)
    return tuple(value)


_PARSERS: dict[str, tuple[str, Any]] = {
    "available": ("available", _available),
    "dropFraction": ("drop_fraction", _fraction),
    "duplicateFraction": ("duplicate_fraction", _fraction),
    "delaySeconds": ("delay_seconds", _seconds),
    "heartbeatSeconds": ("heartbeat_seconds", lambda v, w: _seconds(v, w, positive=True)),
    "rejectedTopics": ("rejected_topics", _globs),
    "channelLimit": ("channel_limit", _count),
    "topicLimit": ("topic_limit", _count),
    "channelTtlSeconds": ("channel_ttl_seconds", lambda v, w: _seconds(v, w, positive=True)),
}
KNOB_NAMES: tuple[str, ...] = tuple(_PARSERS)


def updated_knobs(current: NotificationKnobs, body: object) -> NotificationKnobs:
    """`current` with the keys of the partial object `body` changed; `ApiError` 400 naming a bad field.
    `{"reset": true}` first goes back to the defaults."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object of notification knobs.", field="body")
    unknown = sorted(key for key in body if key != "reset" and key not in _PARSERS)
    if unknown:
        raise bad_request(
            f"'{unknown[0][:60]}' is not a notifications knob; knobs: reset, {', '.join(KNOB_NAMES)}.",
            field=unknown[0][:60],
        )
    if body.get("reset") is True:
        current = NotificationKnobs()
    changes = {attr: parse(body[key], key) for key, (attr, parse) in _PARSERS.items() if key in body}
    return replace(current, **changes)


def knobs_json(knobs: NotificationKnobs) -> JsonObject:
    return {
        "available": knobs.available,
        "dropFraction": knobs.drop_fraction,
        "duplicateFraction": knobs.duplicate_fraction,
        "delaySeconds": knobs.delay_seconds,
        "heartbeatSeconds": knobs.heartbeat_seconds,
        "rejectedTopics": list(knobs.rejected_topics),
        "channelLimit": knobs.channel_limit,
        "topicLimit": knobs.topic_limit,
        "channelTtlSeconds": knobs.channel_ttl_seconds,
    }
