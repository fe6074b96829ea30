"""Rendering of org records as the Platform API's JSON models (`Flow`, `FlowVersion`, `Operation`, …).

Only fields the real models define are emitted, with the real spellings and types: `dateCreated` and friends
as integer epoch milliseconds, `datePublished` as ISO-8601, enums in their documented case.
"""

from __future__ import annotations

from flowrelease.emulator.model import Flow, FlowVersion, Operation
from flowrelease.emulator.state import Org
from flowrelease.emulator.wire import JsonObject, epoch_ms, iso_datetime


def client_ref(org: Org, client_id: str) -> JsonObject:
    return {
        "id": client_id,
        "name": org.client_name(client_id),
        "selfUri": f"/api/v2/oauth/clients/{client_id}",
    }


def operation_json(org: Org, operation: Operation) -> JsonObject:
    payload: JsonObject = {
        "id": operation.id,
        "complete": operation.complete,
        "client": client_ref(org, operation.client_id),
        "actionName": operation.action_name,
        "actionStatus": operation.action_status,
    }
    if operation.error_message:
        payload["errorMessage"] = operation.error_message
        payload["errorCode"] = operation.error_code
        payload["errorDetails"] = operation.error_details
        payload["errorMessageParams"] = {}
    return payload


def version_json(org: Org, flow: Flow, version: FlowVersion) -> JsonObject:
    self_uri = f"/api/v2/flows/{flow.id}/versions/{version.id}"
    payload: JsonObject = {
        "id": version.id,
        "name": flow.name,
        "commitVersion": f"{version.number}.0.0",
        "configurationVersion": f"{version.number}.0",
        "type": version.type,
        "secure": False,
        "debug": False,
        "createdByClient": client_ref(org, version.created_by_client),
        "configurationUri": f"{self_uri}/configuration",
        "dateCreated": epoch_ms(version.date_created),
        "generationId": version.generation_id,
        "publishResultUri": f"/api/v2/flows/{flow.id}/versions/{version.id}/publishresult",
        "selfUri": self_uri,
    }
    if version.date_saved is not None:
        payload["dateSaved"] = epoch_ms(version.date_saved)
    if version.date_checked_in is not None:
        payload["dateCheckedIn"] = epoch_ms(version.date_checked_in)
    if version.date_published is not None:
        payload["datePublished"] = iso_datetime(version.date_published)
    if version.date_published_end is not None:
        payload["datePublishedEnd"] = iso_datetime(version.date_published_end)
    return payload


def flow_json(org: Org, flow: Flow) -> JsonObject:
    division = org.divisions.get(flow.division_id)
    payload: JsonObject = {
        "id": flow.id,
        "name": flow.name,
        "division": {
            "id": flow.division_id,
            "name": division.name if division else "",
            "selfUri": f"/api/v2/authorization/divisions/{flow.division_id}",
        },
        "description": flow.description,
        "type": flow.type,
        "active": flow.active,
        "system": False,
        "deleted": flow.deleted,
        "selfUri": f"/api/v2/flows/{flow.id}",
    }
    if flow.lock is not None:
        payload["lockedClient"] = {
            "id": flow.lock.client_id,
            "name": flow.lock.client_name,
            "selfUri": f"/api/v2/oauth/clients/{flow.lock.client_id}",
        }
    for field, key in (
        ("publishedVersion", flow.published_version_id),
        ("checkedInVersion", flow.checked_in_version_id),
        ("savedVersion", flow.saved_version_id),
    ):
        if key and key in flow.versions:
            payload[field] = version_json(org, flow, flow.versions[key])
    if flow.current_operation is not None:
        payload["currentOperation"] = operation_json(org, flow.current_operation)
    return payload
