"""Reading notification messages: what a `v2.flows.{flowId}` event says, and whether it is worth a look.

Pure functions. An event is only a hint: the engine still decides from a fresh `GET /flows/{id}`. So a
notice keeps just what decides whether to wake a waiting release at once — an operation that finished, a
published or checked-in version that changed, a deletion — and an event that only says an operation moved
from one in-progress status to another (STARTED → PENDING_GENERATION …) wakes nobody.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FLOW_TOPIC_PREFIX = "v2.flows."
HEARTBEAT_TOPIC = "channel.metadata"
CLOSING_TOPIC = "v2.system.socket_closing"

MessageKind = Literal["flow", "heartbeat", "closing", "other"]


def flow_topic(flow_id: str) -> str:
    return f"{FLOW_TOPIC_PREFIX}{flow_id}"


@dataclass(frozen=True)
class FlowNotice:
    """What one event said about a flow (`resync`: events may have been missed; look at the flow)."""

    flow_id: str
    published_version: str = ""
    checked_in_version: str = ""
    operation_id: str = ""
    action_name: str = ""
    action_status: str = ""
    complete: bool = False
    client_id: str = ""
    deleted: bool = False
    resync: bool = False


@dataclass(frozen=True)
class Message:
    kind: MessageKind
    notice: FlowNotice | None = None


def _obj(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _text(fields: Mapping[str, object], key: str) -> str:
    value = fields.get(key)
    return value if isinstance(value, str) else ""


def read_message(raw: str | bytes) -> Message:
    """One socket message; anything unreadable is `other` (ignored), never an exception."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Message("other")
    fields = _obj(payload)
    topic = _text(fields, "topicName")
    if topic == HEARTBEAT_TOPIC:
        return Message("heartbeat")
    if topic == CLOSING_TOPIC:
        return Message("closing")
    if not topic.startswith(FLOW_TOPIC_PREFIX):
        return Message("other")
    body = _obj(fields.get("eventBody"))
    operation = _obj(body.get("currentOperation"))
    notice = FlowNotice(
        flow_id=_text(body, "id") or topic.removeprefix(FLOW_TOPIC_PREFIX),
        published_version=_text(_obj(body.get("publishedVersion")), "id"),
        checked_in_version=_text(_obj(body.get("checkedInVersion")), "id"),
        operation_id=_text(operation, "id"),
        action_name=_text(operation, "actionName").upper(),
        action_status=_text(operation, "actionStatus").upper(),
        complete=operation.get("complete") is True,
        client_id=_text(_obj(operation.get("client")), "id"),
        deleted=body.get("deleted") is True,
    )
    return Message("flow", notice)


def worth_waking(previous: FlowNotice | None, notice: FlowNotice) -> bool:
    """Whether `notice` may change what a release waiting on the flow decides (after a fresh GET)."""
    if notice.resync or notice.deleted:
        return True
    if notice.complete and notice.operation_id:
        return previous is None or (previous.operation_id, previous.complete) != (notice.operation_id, True)
    if previous is None:
        return False
    return (notice.published_version, notice.checked_in_version) != (
        previous.published_version,
        previous.checked_in_version,
    )
