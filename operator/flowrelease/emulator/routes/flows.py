"""Flows CRUD, versions and configurations: `/api/v2/flows`, `/flows/{id}`, `/flows/{id}/versions…`."""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.model import Flow, Operation
from flowrelease.emulator.paging import listing, parse_page
from flowrelease.emulator.readlag import FlowView
from flowrelease.emulator.render import flow_json, operation_json, version_json
from flowrelease.emulator.routes.parsing import json_object, query_bool, query_list, read_json
from flowrelease.emulator.runtime import caller_of, runtime_of
from flowrelease.emulator.state import Org
from flowrelease.emulator.vocabulary import LIST_FILTER_TYPES
from flowrelease.emulator.wire import JsonObject, bad_request, json_response, parse_iso_datetime

SORT_FIELDS = ("id", "name", "type", "description")


def _search(pattern: str, text: str) -> bool:
    """`name=` is a case-insensitive search: a substring, or a glob when it contains `*`."""
    pattern, text = pattern.lower(), text.lower()
    return fnmatch.fnmatchcase(text, pattern) if "*" in pattern else pattern in text


def _filtered_flows(request: Request) -> list[Flow]:
    runtime = runtime_of(request)
    params = request.query_params
    include_deleted = query_bool(request, "deleted")
    query_bool(request, "includeSchemas")
    query_bool(request, "virtualAgentEnabled")
    flows = list(runtime.org.visible_flows(include_deleted=include_deleted))
    ids = query_list(request, "id")
    if ids:
        return _sorted(request, [f for f in flows if f.id in ids])
    types = query_list(request, "type")
    invalid = [t for t in types if t not in LIST_FILTER_TYPES]
    if invalid:
        raise bad_request(
            f"Invalid type {invalid}; valid values: {', '.join(LIST_FILTER_TYPES)}.", field="type"
        )
    secure = params.get("secure")
    if secure is not None and secure not in {"any", "checkedin", "published"}:
        raise bad_request("secure must be one of any, checkedin, published.", field="secure")
    wanted_types = {t.upper() for t in types}
    divisions = set(query_list(request, "divisionId"))
    published_after = _instant(request, "publishedAfter")
    published_before = _instant(request, "publishedBefore")
    checks: list[Callable[[Flow], bool]] = []
    if wanted_types:
        checks.append(lambda f: f.type in wanted_types)
    if "name" in params:
        checks.append(lambda f: _search(params["name"], f.name))
    if "description" in params:
        checks.append(lambda f: _search(params["description"], f.description))
    if "nameOrDescription" in params:
        term = params["nameOrDescription"]
        checks.append(lambda f: _search(term, f.name) or _search(term, f.description))
    if "publishVersionId" in params:
        checks.append(lambda f: f.published_version_id == params["publishVersionId"])
    if "lockedByClientId" in params:
        checks.append(lambda f: f.lock is not None and f.lock.client_id == params["lockedByClientId"])
    if "lockedBy" in params:  # locks are held by OAuth clients here, never by users
        checks.append(lambda f: False)
    if divisions:
        checks.append(lambda f: f.division_id in divisions)
    if published_after is not None:
        checks.append(lambda f: (at := _published_at(f)) is not None and at > published_after)
    if published_before is not None:
        checks.append(lambda f: (at := _published_at(f)) is not None and at < published_before)
    selected = [flow for flow in flows if all(check(flow) for check in checks)]
    return _sorted(request, selected)


def _published_at(flow: Flow) -> float | None:
    published = flow.versions.get(flow.published_version_id)
    return published.date_published if published else None


def _instant(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_iso_datetime(raw).timestamp()
    except ValueError:
        raise bad_request(f"{name} must be an ISO-8601 datetime, got '{raw[:40]}'.", field=name) from None


def _sorted(request: Request, flows: list[Flow]) -> list[Flow]:
    sort_by = request.query_params.get("sortBy", "id")
    sort_order = request.query_params.get("sortOrder", "asc").lower()
    if sort_by not in SORT_FIELDS:
        raise bad_request(f"sortBy must be one of {', '.join(SORT_FIELDS)}.", field="sortBy")
    if sort_order not in {"asc", "desc"}:
        raise bad_request("sortOrder must be asc or desc.", field="sortOrder")
    return sorted(flows, key=lambda f: (str(getattr(f, sort_by)).lower(), f.id), reverse=sort_order == "desc")


def _render(org: Org) -> Callable[[tuple[Flow, FlowView]], JsonObject]:
    return lambda shown: flow_json(org, *shown)


def _echoed_filters(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in {"pageSize", "pageNumber"}]


async def list_flows(request: Request) -> Response:
    runtime = runtime_of(request)
    page = parse_page(request.query_params)
    shown = runtime.org.read_flows(_filtered_flows(request))
    return json_response(
        listing(shown, page, "/api/v2/flows", _echoed_filters(request), _render(runtime.org))
    )


async def lookup_flows(request: Request) -> Response:
    """`GET /api/v2/flows/lookup?id=…`: flows by id (the replacement of the deprecated `id` list filter)."""
    runtime = runtime_of(request)
    page = parse_page(request.query_params)
    wanted = query_list(request, "id")
    if not wanted:
        raise bad_request("The query parameter 'id' is required.", field="id")
    flows = _sorted(request, [f for f in runtime.org.visible_flows(include_deleted=False) if f.id in wanted])
    shown = runtime.org.read_flows(flows)
    return json_response(
        listing(shown, page, "/api/v2/flows/lookup", _echoed_filters(request), _render(runtime.org))
    )


async def delete_flows(request: Request) -> Response:
    """`DELETE /api/v2/flows?id=…`: batch delete, answered with a completed DELETE `Operation`."""
    runtime = runtime_of(request)
    wanted = query_list(request, "id")
    if not wanted:
        raise bad_request("The query parameter 'id' is required.", field="id")
    for flow_id in wanted:
        runtime.org.check_deletable(flow_id, caller_of(request))
    for flow_id in wanted:
        runtime.org.delete_flow(flow_id, caller_of(request))
    operation = Operation(str(uuid.uuid4()), "DELETE", "SUCCESS", complete=True, client_id=caller_of(request))
    return json_response(operation_json(runtime.org, operation))


async def create_flow(request: Request) -> Response:
    runtime = runtime_of(request)
    body = json_object(await read_json(request), "Flow")
    name, flow_type = body.get("name"), body.get("type")
    if not isinstance(name, str):
        raise bad_request("Flow.name is required.", field="name")
    if not isinstance(flow_type, str):
        raise bad_request("Flow.type is required (e.g. INBOUNDCALL).", field="type")
    division = body.get("division")
    division_id = division.get("id", "") if isinstance(division, dict) else ""
    description = body.get("description")
    flow = runtime.org.create_flow(
        name,
        flow_type,
        caller_of(request),
        division_id=division_id if isinstance(division_id, str) else "",
        description=description if isinstance(description, str) else "",
    )
    return json_response(flow_json(runtime.org, flow))


async def get_flow(request: Request) -> Response:
    runtime = runtime_of(request)
    flow, view = runtime.org.read_flow(
        request.path_params["flow_id"], include_deleted=query_bool(request, "deleted")
    )
    return json_response(flow_json(runtime.org, flow, view))


async def update_flow(request: Request) -> Response:
    runtime = runtime_of(request)
    body = json_object(await read_json(request), "Flow")
    division = body.get("division")
    division_id = division.get("id") if isinstance(division, dict) else None

    def text(key: str) -> str | None:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"Flow.{key} must be a string.", field=key)
        return value

    flow = runtime.org.update_flow(
        request.path_params["flow_id"],
        caller_of(request),
        name=text("name"),
        description=text("description"),
        division_id=division_id if isinstance(division_id, str) else None,
    )
    return json_response(flow_json(runtime.org, flow))


async def delete_flow(request: Request) -> Response:
    runtime_of(request).org.delete_flow(request.path_params["flow_id"], caller_of(request))
    return Response(status_code=200)


async def list_versions(request: Request) -> Response:
    runtime = runtime_of(request)
    page = parse_page(request.query_params)
    flow = runtime.org.flow(request.path_params["flow_id"], include_deleted=query_bool(request, "deleted"))
    rendered = [version_json(runtime.org, flow, flow.versions[v]) for v in flow.version_ids_in_order()]
    return json_response(listing(rendered, page, f"/api/v2/flows/{flow.id}/versions"))


async def create_version(request: Request) -> Response:
    runtime = runtime_of(request)
    body = json_object(await read_json(request), "flow configuration")
    version = runtime.org.save_version(request.path_params["flow_id"], body, caller_of(request))
    flow = runtime.org.flow(request.path_params["flow_id"])
    return json_response(version_json(runtime.org, flow, version))


def _deleted_flag(request: Request) -> bool:
    return request.query_params.get("deleted", "").lower() == "true"


async def get_version(request: Request) -> Response:
    runtime = runtime_of(request)
    flow = runtime.org.flow(request.path_params["flow_id"], include_deleted=_deleted_flag(request))
    version = runtime.org.version(flow, request.path_params["version_id"])
    return json_response(version_json(runtime.org, flow, version))


async def get_version_configuration(request: Request) -> Response:
    runtime = runtime_of(request)
    flow = runtime.org.flow(request.path_params["flow_id"], include_deleted=_deleted_flag(request))
    return json_response(runtime.org.version(flow, request.path_params["version_id"]).configuration)


async def get_latest_configuration(request: Request) -> Response:
    runtime = runtime_of(request)
    configuration = runtime.org.latest_configuration(
        request.path_params["flow_id"], include_deleted=query_bool(request, "deleted")
    )
    return json_response(configuration)


ROUTES = [
    Route("/api/v2/flows", list_flows, methods=["GET"]),
    Route("/api/v2/flows", create_flow, methods=["POST"]),
    Route("/api/v2/flows", delete_flows, methods=["DELETE"]),
    Route("/api/v2/flows/lookup", lookup_flows, methods=["GET"]),
    Route("/api/v2/flows/{flow_id}", get_flow, methods=["GET"]),
    Route("/api/v2/flows/{flow_id}", update_flow, methods=["PUT"]),
    Route("/api/v2/flows/{flow_id}", delete_flow, methods=["DELETE"]),
    Route("/api/v2/flows/{flow_id}/versions", list_versions, methods=["GET"]),
    Route("/api/v2/flows/{flow_id}/versions", create_version, methods=["POST"]),
    Route("/api/v2/flows/{flow_id}/versions/{version_id}", get_version, methods=["GET"]),
    Route(
        "/api/v2/flows/{flow_id}/versions/{version_id}/configuration",
        get_version_configuration,
        methods=["GET"],
    ),
    Route("/api/v2/flows/{flow_id}/latestconfiguration", get_latest_configuration, methods=["GET"]),
]
