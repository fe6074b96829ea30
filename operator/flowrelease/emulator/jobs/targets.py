"""The flows export and validate jobs name: parsing `flows[].flow` references and resolving them."""

from __future__ import annotations

from flowrelease.emulator.model import Flow, FlowVersion
from flowrelease.emulator.state import Org
from flowrelease.emulator.wire import ApiError, JsonObject, bad_request


def flow_targets(body: object, model: str) -> list[tuple[JsonObject, str]]:
    """(ArchitectFlowReference, requested file name) for each entry of a register body's `flows`."""
    flows = body.get("flows") if isinstance(body, dict) else None
    if not isinstance(flows, list) or not flows:
        raise bad_request(
            f"{model}.flows must be a non-empty list of {{flow: {{id, version}}}}.", field="flows"
        )
    targets: list[tuple[JsonObject, str]] = []
    for index, entry in enumerate(flows):
        reference = entry.get("flow") if isinstance(entry, dict) else None
        if not isinstance(reference, dict):
            raise bad_request(f"flows[{index}].flow must be an ArchitectFlowReference object.", field="flows")
        has_id = isinstance(reference.get("id"), str) and reference["id"]
        has_name = isinstance(reference.get("name"), str) and isinstance(reference.get("type"), str)
        if not has_id and not has_name:
            raise bad_request(f"flows[{index}].flow needs an id, or both name and type.", field="flows")
        file_name = entry.get("fileName") if isinstance(entry, dict) else None
        export_type = entry.get("exportType", "Yaml") if isinstance(entry, dict) else "Yaml"
        if export_type not in {"Yaml", "Architect"}:
            raise bad_request(f"flows[{index}].exportType must be Yaml or Architect.", field="exportType")
        targets.append((reference, file_name if isinstance(file_name, str) else ""))
    return targets


def resolve_target(org: Org, reference: JsonObject) -> tuple[str, str]:
    """(flow id, version id) for a reference; the version defaults to the published, then checked-in one.

    Failures read like Archy's ("could not find the flow with id …"), which CX as Code matches on.
    """
    flow_id = reference.get("id")
    if isinstance(flow_id, str) and flow_id:
        flow = org.flows.get(flow_id)
        if flow is None or flow.deleted:
            raise ApiError(404, "not.found", f"Exception info: could not find the flow with id '{flow_id}'")
    else:
        name, flow_type = reference.get("name"), reference.get("type")
        matches = [f for f in org.flows_named(str(name)) if f.type == flow_type]
        if not matches:
            raise ApiError(404, "not.found", f"could not find the {flow_type} flow named '{name}'")
        flow = matches[0]
    requested = reference.get("version")
    version_id = requested if isinstance(requested, str) and requested else flow.published_version_id
    version_id = version_id or flow.checked_in_version_id
    if not version_id or version_id not in flow.versions:
        raise ApiError(
            404, "not.found", f"could not find version '{requested or ''}' of the flow with id '{flow.id}'"
        )
    return flow.id, version_id


def still_there(org: Org, flow_id: str, version_id: str) -> tuple[Flow, FlowVersion] | None:
    """The flow version a job was registered for, unless it has gone meanwhile (e.g. a reverted draft)."""
    flow = org.flows.get(flow_id)
    version = flow.versions.get(version_id) if flow is not None else None
    return (flow, version) if flow is not None and version is not None else None
