"""Rendering of org records as the Platform API's JSON models (`Flow`, `FlowVersion`, `Operation`, …).

Only fields the real models define are emitted, with the real spellings and types: `dateCreated` and friends
as integer epoch milliseconds, `datePublished` as ISO-8601, enums in their documented case.
"""

from __future__ import annotations

from flowrelease.emulator.model import Flow, FlowVersion, Operation, OrganizationProfile
from flowrelease.emulator.readlag import FlowView, live_view
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


def flow_json(org: Org, flow: Flow, view: FlowView | None = None) -> JsonObject:
    """The `Flow`; its versions and `currentOperation` as `view` shows them (default: as they are now)."""
    shown = view or live_view(flow)
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
    for field, version in (
        ("publishedVersion", shown.published),
        ("checkedInVersion", shown.checked_in),
        ("savedVersion", shown.saved),
    ):
        if version is not None:
            payload[field] = version_json(org, flow, version)
    if shown.current_operation is not None:
        payload["currentOperation"] = operation_json(org, shown.current_operation)
    return payload


def organization_json(organization: OrganizationProfile) -> JsonObject:
    """`Organization` with the fields CX as Code reads at start-up (id, name, defaultCountryCode)."""
    return {
        "id": organization.id,
        "name": organization.name,
        "defaultLanguage": organization.default_language,
        "defaultCountryCode": organization.default_country_code,
        "thirdPartyOrgName": organization.domain,
        "domain": organization.domain,
        "version": 1,
        "state": "active",
        "voicemailEnabled": True,
        "productPlatform": "GenesysCloud",
        "features": {},
        "selfUri": f"/api/v2/organizations/{organization.id}",
    }


def products_json(organization: OrganizationProfile) -> JsonObject:
    """`OrganizationProductEntityListing`: exactly its five fields, every product on one page."""
    total = len(organization.products)
    return {
        "entities": [{"id": product} for product in organization.products],
        "pageSize": max(total, 1),
        "pageNumber": 1,
        "total": total,
        "pageCount": 1,
    }
