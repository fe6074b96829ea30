"""Dependency tracking under `/api/v2/architect/dependencytracking`: search by name, consumedresources,
consumingresources, object, deletedresourceconsumers, build and types — answers derived from each flow
version's real references (see `dependencies`)."""

from __future__ import annotations

import fnmatch

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.dependencies import (
    consumed_resources,
    consuming_flows,
    dependency_type_json,
    flow_dependency,
    flows_consuming_deleted,
    resource_object,
)
from flowrelease.emulator.paging import listing, parse_page
from flowrelease.emulator.routes.parsing import query_bool, query_list, required_query
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.state import Org
from flowrelease.emulator.vocabulary import DEPENDENCY_TYPE_NAMES, DEPENDENCY_TYPES, FLOW_DEPENDENCY_TYPES
from flowrelease.emulator.wire import JsonObject, bad_request, iso_datetime, json_response, not_found

BASE = "/api/v2/architect/dependencytracking"


def _types(request: Request, name: str) -> list[str]:
    values = query_list(request, name)
    unknown = [v for v in values if v not in DEPENDENCY_TYPES]
    if unknown:
        raise bad_request(f"{name} has unknown dependency types {unknown}.", field=name)
    return values


def _object_type(request: Request, *, required: bool) -> str:
    value = required_query(request, "objectType") if required else request.query_params.get("objectType", "")
    if value and value not in DEPENDENCY_TYPES:
        raise bad_request(f"objectType '{value[:40]}' is not a dependency type.", field="objectType")
    return value


def _versioned_flow(org: Org, flow_id: str, object_type: str, version_id: str) -> tuple[str, JsonObject]:
    flow = org.flow(flow_id, include_deleted=True)
    expected = FLOW_DEPENDENCY_TYPES.get(flow.type, "")
    if object_type and object_type != expected:
        raise bad_request(f"Flow {flow.id} is {flow.type}; use objectType={expected}.", field="objectType")
    version = org.version(flow, version_id)
    return expected, {"flow": flow, "version": version}


async def consumed(request: Request) -> Response:
    org = runtime_of(request).org
    page = parse_page(request.query_params)
    flow_id, version_id = required_query(request, "id"), required_query(request, "version")
    object_type = _object_type(request, required=True)
    if object_type not in FLOW_DEPENDENCY_TYPES.values():
        raise bad_request(f"objectType {object_type} is not a versioned type.", field="objectType")
    wanted = set(_types(request, "resourceType"))
    _, found = _versioned_flow(org, flow_id, object_type, version_id)
    entities = [d for d in consumed_resources(org, found["version"]) if not wanted or d["type"] in wanted]
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in {"pageSize", "pageNumber"}]
    return json_response(listing(entities, page, f"{BASE}/consumedresources", filters))


async def consuming(request: Request) -> Response:
    org = runtime_of(request).org
    page = parse_page(request.query_params)
    object_id = required_query(request, "id")
    _object_type(request, required=True)
    wanted = set(_types(request, "resourceType"))
    flow_filter = request.query_params.get("flowFilter", "")
    if flow_filter not in {"", "checkedIn", "published"}:
        raise bad_request("flowFilter must be checkedIn or published.", field="flowFilter")
    entities = [d for d in consuming_flows(org, object_id, flow_filter) if not wanted or d["type"] in wanted]
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in {"pageSize", "pageNumber"}]
    return json_response(listing(entities, page, f"{BASE}/consumingresources", filters))


async def dependency_object(request: Request) -> Response:
    org = runtime_of(request).org
    object_id = required_query(request, "id")
    object_type = _object_type(request, required=False)
    with_consumed = query_bool(request, "consumedResources")
    with_consuming = query_bool(request, "consumingResources")
    query_bool(request, "consumedResourceRequest")
    consumed_types = set(_types(request, "consumedResourceType"))
    consuming_types = set(_types(request, "consumingResourceType"))
    flow = org.flows.get(object_id)
    if flow is not None:
        version_id = (
            request.query_params.get("version") or flow.published_version_id or flow.checked_in_version_id
        )
        payload = flow_dependency(flow, version_id)
        if object_type and object_type != payload["type"]:
            raise not_found(f"{object_type} object", object_id)
        version = flow.versions.get(version_id)
        if with_consumed:
            found = consumed_resources(org, version) if version else []
            payload["consumedResources"] = [
                d for d in found if not consumed_types or d["type"] in consumed_types
            ]
    else:
        resource = org.resources.get(object_id)
        if resource is None or (object_type and object_type != resource.type):
            raise not_found("Dependency object", object_id)
        payload = resource_object(resource)
        if with_consumed:
            payload["consumedResources"] = []
    if with_consuming:
        found = consuming_flows(org, object_id, "")
        payload["consumingResources"] = [
            d for d in found if not consuming_types or d["type"] in consuming_types
        ]
    return json_response(payload)


def _search(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower(), name.lower()
    return fnmatch.fnmatchcase(name, pattern) if "*" in pattern else pattern in name


async def search_by_name(request: Request) -> Response:
    """`GET /api/v2/architect/dependencytracking?name=`: flows and resources whose name matches."""
    org = runtime_of(request).org
    page = parse_page(request.query_params)
    pattern = required_query(request, "name")
    object_types = set(_types(request, "objectType"))
    with_consumed = query_bool(request, "consumedResources")
    with_consuming = query_bool(request, "consumingResources")
    consumed_types = set(_types(request, "consumedResourceType"))
    consuming_types = set(_types(request, "consumingResourceType"))
    found: list[JsonObject] = []
    for flow in org.flows.values():
        if flow.deleted or not _search(pattern, flow.name):
            continue
        entry = flow_dependency(flow, flow.published_version_id or flow.checked_in_version_id)
        version = flow.versions.get(entry.get("version", ""))
        if with_consumed:
            deps = consumed_resources(org, version) if version else []
            entry["consumedResources"] = [
                d for d in deps if not consumed_types or d["type"] in consumed_types
            ]
        found.append(entry)
    for resource in org.resources.values():
        if _search(pattern, resource.name):
            entry = resource_object(resource)
            if with_consumed:
                entry["consumedResources"] = []
            found.append(entry)
    found = [e for e in found if not object_types or e["type"] in object_types]
    if with_consuming:
        for entry in found:
            deps = consuming_flows(org, entry["id"], "")
            entry["consumingResources"] = [
                d for d in deps if not consuming_types or d["type"] in consuming_types
            ]
    found.sort(key=lambda e: (e["name"].lower(), e["id"]))
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in {"pageSize", "pageNumber"}]
    return json_response(listing(found, page, BASE, filters))


async def deleted_resource_consumers(request: Request) -> Response:
    """Flows whose checked-in/published version consumes a deleted resource, as DependencyObjects."""
    org = runtime_of(request).org
    page = parse_page(request.query_params)
    flow_filter = request.query_params.get("flowFilter", "")
    if flow_filter not in {"", "checkedIn", "published"}:
        raise bad_request("flowFilter must be checkedIn or published.", field="flowFilter")
    object_types = set(_types(request, "objectType"))
    pattern = request.query_params.get("name", "")
    with_consumed = query_bool(request, "consumedResources")
    found: list[JsonObject] = []
    for flow, version_id, deleted in flows_consuming_deleted(org, flow_filter):
        entry = flow_dependency(flow, version_id)
        if (object_types and entry["type"] not in object_types) or (
            pattern and not _search(pattern, flow.name)
        ):
            continue
        if with_consumed:
            entry["consumedResources"] = deleted
        found.append(entry)
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in {"pageSize", "pageNumber"}]
    return json_response(listing(found, page, f"{BASE}/deletedresourceconsumers", filters))


async def build_status(request: Request) -> Response:
    org = runtime_of(request).org
    return json_response(
        {
            "id": "dependency-build",
            "name": "Dependency tracking build",
            "status": "OPERATIONAL",
            "dateStarted": iso_datetime(org.created_at),
            "dateCompleted": iso_datetime(org.created_at),
            "failedObjects": [],
            "selfUri": f"{BASE}/build",
        }
    )


async def rebuild(request: Request) -> Response:
    return Response(status_code=202)


async def list_types(request: Request) -> Response:
    page = parse_page(request.query_params)
    entities = [dependency_type_json(t) for t in sorted(DEPENDENCY_TYPE_NAMES)]
    return json_response(listing(entities, page, f"{BASE}/types"))


async def get_type(request: Request) -> Response:
    type_id = request.path_params["type_id"]
    if type_id not in DEPENDENCY_TYPE_NAMES:
        raise not_found("Dependency type", type_id)
    return json_response(dependency_type_json(type_id))


ROUTES = [
    Route(BASE, search_by_name, methods=["GET"]),
    Route(f"{BASE}/deletedresourceconsumers", deleted_resource_consumers, methods=["GET"]),
    Route(f"{BASE}/consumedresources", consumed, methods=["GET"]),
    Route(f"{BASE}/consumingresources", consuming, methods=["GET"]),
    Route(f"{BASE}/object", dependency_object, methods=["GET"]),
    Route(f"{BASE}/build", build_status, methods=["GET"]),
    Route(f"{BASE}/build", rebuild, methods=["POST"]),
    Route(f"{BASE}/types", list_types, methods=["GET"]),
    Route(f"{BASE}/types/{{type_id}}", get_type, methods=["GET"]),
]
