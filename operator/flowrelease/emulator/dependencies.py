"""Dependency tracking derived from what each flow version's configuration really references.

A version's references were resolved to ids when it was created; here they are reported as `Dependency`
objects with their current health: `deleted` when the resource has since been deleted, `stateUnknown` when
the name never resolved to anything in the org.
"""

from __future__ import annotations

from flowrelease.emulator.model import Flow, FlowVersion, ResolvedReference, Resource
from flowrelease.emulator.state import Org, stable_id
from flowrelease.emulator.vocabulary import DEPENDENCY_TYPE_NAMES, FLOW_DEPENDENCY_TYPES
from flowrelease.emulator.wire import JsonObject

SELF_URI_PREFIX: dict[str, str] = {
    "QUEUE": "/api/v2/routing/queues/",
    "DATAACTION": "/api/v2/integrations/actions/",
    "SYSTEMPROMPT": "/api/v2/architect/systemprompts/",
    "USERPROMPT": "/api/v2/architect/prompts/",
    "SCHEDULE": "/api/v2/architect/schedules/",
    "SCHEDULEGROUP": "/api/v2/architect/schedulegroups/",
    "DATATABLE": "/api/v2/flows/datatables/",
    "WORKTYPE": "/api/v2/taskmanagement/worktypes/",
}


def dependency_type_json(type_id: str) -> JsonObject:
    return {
        "id": type_id,
        "name": DEPENDENCY_TYPE_NAMES[type_id],
        "versioned": type_id in FLOW_DEPENDENCY_TYPES.values(),
        "selfUri": f"/api/v2/architect/dependencytracking/types/{type_id}",
    }


def flow_dependency(flow: Flow, version_id: str) -> JsonObject:
    entry: JsonObject = {
        "id": flow.id,
        "name": flow.name,
        "type": FLOW_DEPENDENCY_TYPES.get(flow.type, flow.type),
        "deleted": flow.deleted,
        "updated": False,
        "stateUnknown": False,
        "selfUri": f"/api/v2/flows/{flow.id}",
    }
    if version_id:
        entry["version"] = version_id
    return entry


def _resource_dependency(org: Org, resolved: ResolvedReference) -> JsonObject:
    reference = resolved.reference
    resource = org.resources.get(resolved.resource_id)
    if resource is None:  # never resolved: it may exist now
        resource = org.find_resource(reference.kind, reference.name, reference.category)
    kind = reference.kind
    if resource is None:
        identifier = stable_id("unresolved", kind, reference.category, reference.name)
        return {
            "id": identifier,
            "name": reference.name,
            "type": kind,
            "deleted": False,
            "updated": False,
            "stateUnknown": True,
            "selfUri": SELF_URI_PREFIX.get(kind, "/api/v2/") + identifier,
        }
    return {
        "id": resource.id,
        "name": resource.name,
        "type": resource.type,
        "deleted": resource.deleted,
        "updated": False,
        "stateUnknown": False,
        "selfUri": SELF_URI_PREFIX.get(resource.type, "/api/v2/") + resource.id,
    }


def _flow_reference_dependency(org: Org, resolved: ResolvedReference) -> JsonObject:
    target = org.flows.get(resolved.resource_id) or next(iter(org.flows_named(resolved.reference.name)), None)
    if target is not None:
        return flow_dependency(target, target.published_version_id)
    identifier = stable_id("unresolved", "FLOW", resolved.reference.name)
    return {
        "id": identifier,
        "name": resolved.reference.name,
        "type": "INBOUNDCALLFLOW",
        "deleted": False,
        "updated": False,
        "stateUnknown": True,
        "selfUri": f"/api/v2/flows/{identifier}",
    }


def dependency_for(org: Org, resolved: ResolvedReference) -> JsonObject:
    if resolved.reference.kind == "FLOW":
        return _flow_reference_dependency(org, resolved)
    return _resource_dependency(org, resolved)


def consumed_resources(org: Org, version: FlowVersion) -> list[JsonObject]:
    """The `Dependency` list `consumedresources` reports for one flow version, in a stable order."""
    found = [dependency_for(org, resolved) for resolved in version.references]
    return sorted(found, key=lambda d: (d["type"], d["name"], d["id"]))


def reference_problems(org: Org, version: FlowVersion) -> list[str]:
    """Why a version would not run as configured: deleted or unknown references, with their location."""
    problems: list[str] = []
    for resolved in version.references:
        dependency = dependency_for(org, resolved)
        where = resolved.reference.location
        if dependency["deleted"]:
            problems.append(f"{dependency['type']} '{dependency['name']}' at {where} has been deleted.")
        elif dependency["stateUnknown"]:
            problems.append(
                f"{dependency['type']} '{dependency['name']}' at {where} does not exist in this org."
            )
    return problems


def resource_object(resource: Resource) -> JsonObject:
    return {
        "id": resource.id,
        "name": resource.name,
        "type": resource.type,
        "deleted": resource.deleted,
        "updated": False,
        "stateUnknown": False,
        "selfUri": SELF_URI_PREFIX.get(resource.type, "/api/v2/") + resource.id,
    }


def flows_consuming_deleted(org: Org, flow_filter: str) -> list[tuple[Flow, str, list[JsonObject]]]:
    """(flow, version, its deleted dependencies) for every flow version that consumes a deleted resource."""
    found: list[tuple[Flow, str, list[JsonObject]]] = []
    for flow in sorted(org.flows.values(), key=lambda f: (f.name, f.id)):
        if flow.deleted:
            continue
        for version_id in _versions_for(flow, flow_filter):
            deleted = [d for d in consumed_resources(org, flow.versions[version_id]) if d["deleted"]]
            if deleted:
                found.append((flow, version_id, deleted))
    return found


def _versions_for(flow: Flow, flow_filter: str) -> list[str]:
    candidates = {
        "checkedIn": [flow.checked_in_version_id],
        "published": [flow.published_version_id],
    }.get(flow_filter, [flow.checked_in_version_id, flow.published_version_id])
    return list(dict.fromkeys(v for v in candidates if v))


def consuming_flows(org: Org, resource_id: str, flow_filter: str) -> list[JsonObject]:
    """Flows whose checked-in and/or published version consumes the object `resource_id`."""
    found: list[JsonObject] = []
    for flow in org.flows.values():
        if flow.deleted:
            continue
        for version_id in _versions_for(flow, flow_filter):
            version = flow.versions[version_id]
            if any(d["id"] == resource_id for d in consumed_resources(org, version)):
                found.append(flow_dependency(flow, version_id))
    return sorted(found, key=lambda d: (d["name"], d["id"], d.get("version", "")))
