"""What the notification socket sends: `v2.flows.{flowId}` events, heartbeats, pongs and closing warnings.

A flow event's `eventBody` is the SDK's `ArchitectFlowNotificationFlowNotification`: `id`, `name`,
`description`, `deleted`, `checkedInVersion` / `savedVersion` / `publishedVersion` as `{id}` only, and
`currentOperation` as `ArchitectFlowNotificationArchitectOperation` (`client` is `{id, name}`). It shows the
flow as it truly is when the change happens — not what a lagging read (R1) still serves — so an event can
announce a finished publish that the next `GET /flows/{id}` does not show yet.

`flow_fingerprint` is the cheap comparison key of exactly the fields an event carries: the hub sends an
event whenever it changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flowrelease.emulator.model import Flow, Operation
from flowrelease.emulator.wire import JsonObject

HEARTBEAT: JsonObject = {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
PONG: JsonObject = {"topicName": "channel.metadata", "eventBody": {"message": "pong"}}
SOCKET_CLOSING: JsonObject = {
    "topicName": "v2.system.socket_closing",
    "eventBody": {"message": "The notification service is closing this WebSocket; reconnect."},
}
FLOW_TOPIC_PREFIX = "v2.flows."

Fingerprint = tuple[object, ...]


def flow_topic(flow_id: str) -> str:
    return f"{FLOW_TOPIC_PREFIX}{flow_id}"


def flow_id_of(topic: str) -> str:
    return topic.removeprefix(FLOW_TOPIC_PREFIX)


def flow_fingerprint(flow: Flow) -> Fingerprint:
    op = flow.current_operation
    operation = (
        None
        if op is None
        else (id(op), op.id, op.action_name, op.action_status, op.complete, op.error_code, op.error_message)
    )
    return (
        flow.name,
        flow.description,
        flow.deleted,
        flow.published_version_id,
        flow.checked_in_version_id,
        flow.saved_version_id,
        operation,
    )


def operation_body(operation: Operation, client_name: Callable[[str], str]) -> JsonObject:
    body: JsonObject = {
        "id": operation.id,
        "complete": operation.complete,
        "client": {"id": operation.client_id, "name": client_name(operation.client_id)},
        "actionName": operation.action_name,
        "actionStatus": operation.action_status,
    }
    if operation.error_code or operation.error_message:
        body["errorMessage"] = operation.error_message
        body["errorCode"] = operation.error_code
        body["errorMessageParams"] = {}
        fields = ("errorCode", "entityId", "entityName", "fieldName")
        body["errorDetails"] = [
            {key: detail[key] for key in fields if key in detail} for detail in operation.error_details
        ]
    return body


def flow_body(flow: Flow, client_name: Callable[[str], str]) -> JsonObject:
    body: JsonObject = {
        "id": flow.id,
        "name": flow.name,
        "description": flow.description,
        "deleted": flow.deleted,
    }
    for key, version_id in (
        ("checkedInVersion", flow.checked_in_version_id),
        ("savedVersion", flow.saved_version_id),
        ("publishedVersion", flow.published_version_id),
    ):
        if version_id:
            body[key] = {"id": version_id}
    if flow.current_operation is not None:
        body["currentOperation"] = operation_body(flow.current_operation, client_name)
    return body


def envelope(topic: str, body: JsonObject, correlation_id: str) -> JsonObject:
    return {
        "topicName": topic,
        "version": "2",
        "eventBody": body,
        "metadata": {"CorrelationId": correlation_id},
    }


def text(message: JsonObject) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
