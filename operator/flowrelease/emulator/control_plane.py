"""The control plane under `/_emulator/`: JSON knobs for tests, no auth (documented in docs/emulator.md).

Reset and seed the org (optionally on another profile), read and set the behaviour knobs, add HTTP and
operation fault rules, pick transition modes, set analytics counts and validation warnings, lock a flow or
publish it as another client, delete a resource, move the clock, and read or clear the request log. The
traffic calls are in `control_traffic`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator import control_traffic
from flowrelease.emulator.behaviour_json import (
    BehaviourChoice,
    behaviour_json,
    parse_profile,
    updated_behaviour,
)
from flowrelease.emulator.faults import HttpFault, OperationFault
from flowrelease.emulator.model import Flow
from flowrelease.emulator.routes.parsing import json_object, read_json
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.seeding import apply_seed, counts_from
from flowrelease.emulator.transitions import WORK_KINDS, TransitionMode, TransitionRule, TransitionSettings
from flowrelease.emulator.wire import (
    ApiError,
    JsonObject,
    bad_request,
    iso_datetime,
    json_response,
    not_found,
)

PREFIX = "/_emulator"
MAX_NUMBER = 10**9


def _number(body: JsonObject, key: str, default: float, *, minimum: float = 0.0) -> float:
    value = body.get(key, default)
    valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or value < minimum or value > MAX_NUMBER:
        raise bad_request(f"{key} must be a number ≥ {minimum}.", field=key)
    return float(value)


def _optional_int(body: JsonObject, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request(f"{key} must be a non-negative integer or null.", field=key)
    return value


def _string(body: JsonObject, key: str, default: str = "") -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string.", field=key)
    return value


def _flow_summary(flow: Flow) -> JsonObject:
    return {
        "id": flow.id,
        "name": flow.name,
        "type": flow.type,
        "versions": flow.version_ids_in_order(),
        "publishedVersion": flow.published_version_id,
        "checkedInVersion": flow.checked_in_version_id,
        "savedVersion": flow.saved_version_id,
        "lockedByClientId": flow.lock.client_id if flow.lock else "",
        "deleted": flow.deleted,
    }


async def index(request: Request) -> Response:
    return json_response(
        {"endpoints": sorted({f"{' '.join(sorted(r.methods or []))} {r.path}" for r in ROUTES})}
    )


async def reset(request: Request) -> Response:
    runtime = runtime_of(request)
    body = json_object(await read_json(request, required=False) or {}, "reset")
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, dict):
        raise bad_request("seed must be a seed document (an object).", field="seed")
    empty = body.get("empty", False)
    if not isinstance(empty, bool):
        raise bad_request("empty must be true or false.", field="empty")
    profile = parse_profile(body["profile"]) if "profile" in body else None
    runtime.reset(seed, empty=empty, profile=profile)
    return await state(request)


def _behaviour_choice(request: Request) -> BehaviourChoice:
    org = runtime_of(request).org
    return BehaviourChoice(org.profile, org.behaviour)


async def get_behaviour(request: Request) -> Response:
    return json_response(behaviour_json(_behaviour_choice(request)))


async def put_behaviour(request: Request) -> Response:
    org = runtime_of(request).org
    choice = updated_behaviour(_behaviour_choice(request), await read_json(request))
    org.profile, org.behaviour = choice.profile, choice.behaviour
    return json_response(behaviour_json(choice))


async def seed(request: Request) -> Response:
    org = runtime_of(request).org
    document = await read_json(request)
    before = org.snapshot()
    try:
        apply_seed(org, document)
    except ApiError:
        org.restore(before)
        raise
    return await state(request)


async def state(request: Request) -> Response:
    org = runtime_of(request).org
    return json_response(
        {
            "clients": [
                {
                    "id": c.id,
                    "name": c.name,
                    "tokenTtlSeconds": c.token_ttl_seconds,
                    "rateLimitPerMinute": c.rate_limit_per_minute,
                }
                for c in org.clients.values()
            ],
            "divisions": [{"id": d.id, "name": d.name} for d in org.divisions.values()],
            "resources": [
                {"id": r.id, "type": r.type, "name": r.name, "category": r.category, "deleted": r.deleted}
                for r in org.resources.values()
            ],
            "flows": [_flow_summary(f) for f in org.flows.values()],
        }
    )


async def delete_resource(request: Request) -> Response:
    resource = runtime_of(request).org.delete_resource(request.path_params["resource_id"])
    return json_response({"id": resource.id, "type": resource.type, "name": resource.name, "deleted": True})


def _fault_json(fault: HttpFault) -> JsonObject:
    return {
        "id": fault.id,
        "method": fault.method,
        "path": fault.path,
        "status": fault.status,
        "latencyMs": fault.latency_ms,
        "probability": fault.probability,
        "count": fault.count,
        "fired": fault.fired,
        "code": fault.error_code if fault.status else "",
        "message": fault.error_message if fault.status else "",
        "retryAfterSeconds": fault.retry_after_seconds,
    }


async def add_fault(request: Request) -> Response:
    faults = runtime_of(request).org.faults
    body = json_object(await read_json(request), "fault rule")
    status = _optional_int(body, "status")
    if status is not None and not 400 <= status <= 599:
        raise bad_request("status must be an HTTP error status (400-599).", field="status")
    latency = int(_number(body, "latencyMs", 0))
    if status is None and latency == 0:
        raise bad_request("A fault needs a status and/or latencyMs.", field="status")
    probability = _number(body, "probability", 1.0)
    if probability > 1:
        raise bad_request("probability must be between 0 and 1.", field="probability")
    fault = HttpFault(
        id=str(uuid.uuid4()),
        path=_string(body, "path", "*"),
        method=_string(body, "method", "*").upper(),
        status=status,
        latency_ms=latency,
        probability=probability,
        count=_optional_int(body, "count"),
        code=_string(body, "code"),
        message=_string(body, "message"),
        retry_after_seconds=max(1, int(_number(body, "retryAfterSeconds", 1))),
    )
    faults.http.append(fault)
    return json_response(_fault_json(fault), 201)


async def list_faults(request: Request) -> Response:
    return json_response({"faults": [_fault_json(f) for f in runtime_of(request).org.faults.http]})


async def clear_faults(request: Request) -> Response:
    faults = runtime_of(request).org.faults
    faults.http.clear()
    faults.operations.clear()
    return Response(status_code=204)


async def delete_fault(request: Request) -> Response:
    faults = runtime_of(request).org.faults
    before = len(faults.http)
    faults.http = [f for f in faults.http if f.id != request.path_params["fault_id"]]
    if len(faults.http) == before:
        raise not_found("Fault rule", request.path_params["fault_id"])
    return Response(status_code=204)


def _operation_fault_json(fault: OperationFault) -> JsonObject:
    return {
        "id": fault.id,
        "flowId": fault.flow_id,
        "action": fault.action,
        "version": fault.version_id,
        "errorMessage": fault.error_message,
        "errorCode": fault.error_code,
        "count": fault.count,
        "fired": fault.fired,
    }


async def add_operation_fault(request: Request) -> Response:
    org = runtime_of(request).org
    body = json_object(await read_json(request), "operation fault")
    flow = org.flow(_string(body, "flowId"), include_deleted=True)
    action = _string(body, "action", "PUBLISH").upper()
    if action not in {"PUBLISH", "CHECKIN"}:
        raise bad_request("action must be PUBLISH or CHECKIN.", field="action")
    fault = OperationFault(
        id=str(uuid.uuid4()),
        flow_id=flow.id,
        action=action,
        version_id=_string(body, "version"),
        error_message=_string(body, "errorMessage", f"The flow could not be {action.lower()}ed (injected)."),
        error_code=_string(body, "errorCode", f"architect.{action.lower()}.failed"),
        count=_optional_int(body, "count") if "count" in body else 1,
    )
    org.faults.operations.append(fault)
    return json_response(_operation_fault_json(fault), 201)


async def list_operation_faults(request: Request) -> Response:
    faults = runtime_of(request).org.faults.operations
    return json_response({"faults": [_operation_fault_json(f) for f in faults]})


async def clear_operation_faults(request: Request) -> Response:
    runtime_of(request).org.faults.operations.clear()
    return Response(status_code=204)


def _settings_json(request: Request) -> JsonObject:
    runtime = runtime_of(request)
    return {
        "refuseOlderVersionPublish": runtime.org.behaviour.older_version_publish == "refuse",
        "randomSeed": runtime.random_seed,
    }


async def get_settings(request: Request) -> Response:
    return json_response(_settings_json(request))


async def put_settings(request: Request) -> Response:
    """`refuseOlderVersionPublish` is an alias of the `olderVersionPublish` knob (true: refuse, false:
    accept); `randomSeed` seeds every random choice, now and after each reset."""
    runtime = runtime_of(request)
    body = json_object(await read_json(request), "settings")
    if "refuseOlderVersionPublish" in body:
        refuse = body["refuseOlderVersionPublish"]
        if not isinstance(refuse, bool):
            raise bad_request(
                "refuseOlderVersionPublish must be true or false.", field="refuseOlderVersionPublish"
            )
        org = runtime.org
        org.behaviour = replace(org.behaviour, older_version_publish="refuse" if refuse else "accept")
    if "randomSeed" in body:
        runtime.set_random_seed(int(_number(body, "randomSeed", 0)))
    return json_response(_settings_json(request))


def _mode(spec: Any, where: str) -> TransitionMode:
    if not isinstance(spec, dict):
        raise bad_request(f"{where} must be an object with mode/polls/seconds.", field=where)
    mode = spec.get("mode", "polls")
    if mode not in {"immediate", "polls", "seconds"}:
        raise bad_request(f"{where}.mode must be immediate, polls or seconds.", field="mode")
    return TransitionMode(
        mode=mode, polls=int(_number(spec, "polls", 1)), seconds=_number(spec, "seconds", 0)
    )


def _mode_json(mode: TransitionMode) -> JsonObject:
    return {"mode": mode.mode, "polls": mode.polls, "seconds": mode.seconds}


def _transitions_json(settings: TransitionSettings) -> JsonObject:
    return {
        "default": _mode_json(settings.default),
        "rules": [{"kind": r.kind, "flowId": r.flow_id, **_mode_json(r.mode)} for r in settings.rules],
        "kinds": list(WORK_KINDS),
    }


async def get_transitions(request: Request) -> Response:
    return json_response(_transitions_json(runtime_of(request).org.transitions))


async def put_transitions(request: Request) -> Response:
    org = runtime_of(request).org
    body = json_object(await read_json(request), "transitions")
    settings = TransitionSettings(default=_mode(body.get("default", {}), "default"))
    rules = body.get("rules", []) or []
    if not isinstance(rules, list):
        raise bad_request(
            "rules must be a list of {kind, flowId, mode, polls, seconds} objects.", field="rules"
        )
    for index, spec in enumerate(rules):
        where = f"rules[{index}]"
        kind = _string(spec, "kind") if isinstance(spec, dict) else ""
        if kind and kind not in WORK_KINDS:
            raise bad_request(f"{where}.kind must be one of {', '.join(WORK_KINDS)}.", field="kind")
        settings.rules.append(TransitionRule(_mode(spec, where), kind=kind, flow_id=_string(spec, "flowId")))
    org.transitions = settings
    return json_response(_transitions_json(settings))


async def put_analytics(request: Request) -> Response:
    org = runtime_of(request).org
    body = json_object(await read_json(request), "analytics counts")
    flow = org.flow(_string(body, "flowId"), include_deleted=True)
    counts = counts_from(body, "analytics")
    version = _string(body, "version")
    if version:
        org.version(flow, version)
        org.version_counts[(flow.id, version)] = counts
    else:
        org.flow_counts[flow.id] = counts
    return json_response(
        {
            "flowId": flow.id,
            "version": version,
            "nFlow": counts.n_flow,
            "nFlowOutcome": counts.n_flow_outcome,
            "nFlowOutcomeFailed": counts.n_flow_outcome_failed,
        }
    )


async def clear_analytics(request: Request) -> Response:
    org = runtime_of(request).org
    flow_id = request.query_params.get("flowId", "")
    org.flow_counts = {k: v for k, v in org.flow_counts.items() if flow_id and k != flow_id}
    org.version_counts = {k: v for k, v in org.version_counts.items() if flow_id and k[0] != flow_id}
    return Response(status_code=204)


async def put_validation_warnings(request: Request) -> Response:
    org = runtime_of(request).org
    body = json_object(await read_json(request), "validation warnings")
    flow = org.flow(_string(body, "flowId"), include_deleted=True)
    warnings = body.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise bad_request("warnings must be a list of strings.", field="warnings")
    org.validation_warnings[(flow.id, _string(body, "version"))] = list(warnings)
    return json_response({"flowId": flow.id, "version": _string(body, "version"), "warnings": warnings})


async def lock_flow(request: Request) -> Response:
    org = runtime_of(request).org
    body = json_object(await read_json(request, required=False) or {}, "lock")
    client_id = _string(body, "clientId", "architect-ui-other-client")
    flow = org.lock_as(request.path_params["flow_id"], client_id, _string(body, "clientName", client_id))
    return json_response(_flow_summary(flow))


PUBLISH_RESULTS = ("SUCCESS", "FAILURE")


async def publish_as(request: Request) -> Response:
    """Another client (e.g. Architect UI) starts a PUBLISH on the flow; it ends in `result`."""
    org = runtime_of(request).org
    body = json_object(await read_json(request, required=False) or {}, "publish-as")
    client_id = _string(body, "clientId", "architect-ui-other-client")
    if not client_id:
        raise bad_request("clientId must be a non-empty string.", field="clientId")
    result = _string(body, "result", "SUCCESS").upper()
    if result not in PUBLISH_RESULTS:
        raise bad_request("result must be SUCCESS or FAILURE.", field="result")
    operation = org.publish_as(
        request.path_params["flow_id"],
        client_id,
        _string(body, "version"),
        "FAILURE" if result == "FAILURE" else "",
    )
    flow = org.flow(request.path_params["flow_id"])
    return json_response(
        {
            **_flow_summary(flow),
            "operation": {
                "id": operation.id,
                "actionName": operation.action_name,
                "actionStatus": operation.action_status,
                "complete": operation.complete,
                "clientId": operation.client_id,
                "result": result,
            },
        }
    )


async def unlock_flow(request: Request) -> Response:
    org = runtime_of(request).org
    flow = org.flow(request.path_params["flow_id"])
    flow.lock = None
    return json_response(_flow_summary(flow))


async def get_uploads(request: Request) -> Response:
    """Every file an Architect import job received, in the order the jobs were registered, byte for byte."""
    jobs = runtime_of(request).jobs.architect.jobs.values()
    uploads = [
        {"jobId": job.id, "clientId": job.client_id, "text": job.upload.decode("utf-8", errors="replace")}
        for job in jobs
        if job.uploaded
    ]
    return json_response({"count": len(uploads), "uploads": uploads})


async def get_requests(request: Request) -> Response:
    log = runtime_of(request).log
    params = request.query_params
    status = params.get("status")
    if status is not None and not status.isdigit():
        raise bad_request("status must be an integer.", field="status")
    entries = log.select(
        method=params.get("method", ""),
        path=params.get("path", ""),
        client_id=params.get("clientId", ""),
        status=int(status) if status is not None else None,
    )
    return json_response({"count": len(entries), "requests": [e.as_json() for e in entries]})


async def clear_requests(request: Request) -> Response:
    runtime_of(request).log.clear()
    return Response(status_code=204)


async def get_clock(request: Request) -> Response:
    now = runtime_of(request).clock.now()
    return json_response({"now": now, "iso": iso_datetime(now)})


async def advance_clock(request: Request) -> Response:
    runtime = runtime_of(request)
    body = json_object(await read_json(request), "clock advance")
    runtime.clock.advance(_number(body, "seconds", 0))
    runtime.settle()
    return await get_clock(request)


ROUTES = [
    Route(f"{PREFIX}/", index, methods=["GET"]),
    Route(f"{PREFIX}/reset", reset, methods=["POST"]),
    Route(f"{PREFIX}/behaviour", get_behaviour, methods=["GET"]),
    Route(f"{PREFIX}/behaviour", put_behaviour, methods=["PUT"]),
    Route(f"{PREFIX}/seed", seed, methods=["POST"]),
    Route(f"{PREFIX}/state", state, methods=["GET"]),
    Route(f"{PREFIX}/resources/{{resource_id}}", delete_resource, methods=["DELETE"]),
    Route(f"{PREFIX}/faults", add_fault, methods=["POST"]),
    Route(f"{PREFIX}/faults", list_faults, methods=["GET"]),
    Route(f"{PREFIX}/faults", clear_faults, methods=["DELETE"]),
    Route(f"{PREFIX}/faults/{{fault_id}}", delete_fault, methods=["DELETE"]),
    Route(f"{PREFIX}/operation-faults", add_operation_fault, methods=["POST"]),
    Route(f"{PREFIX}/operation-faults", list_operation_faults, methods=["GET"]),
    Route(f"{PREFIX}/operation-faults", clear_operation_faults, methods=["DELETE"]),
    Route(f"{PREFIX}/settings", get_settings, methods=["GET"]),
    Route(f"{PREFIX}/settings", put_settings, methods=["PUT"]),
    Route(f"{PREFIX}/transitions", get_transitions, methods=["GET"]),
    Route(f"{PREFIX}/transitions", put_transitions, methods=["PUT"]),
    Route(f"{PREFIX}/analytics", put_analytics, methods=["PUT"]),
    Route(f"{PREFIX}/analytics", clear_analytics, methods=["DELETE"]),
    Route(f"{PREFIX}/validation-warnings", put_validation_warnings, methods=["PUT"]),
    Route(f"{PREFIX}/flows/{{flow_id}}/lock", lock_flow, methods=["POST"]),
    Route(f"{PREFIX}/flows/{{flow_id}}/lock", unlock_flow, methods=["DELETE"]),
    Route(f"{PREFIX}/flows/{{flow_id}}/publish-as", publish_as, methods=["POST"]),
    Route(f"{PREFIX}/requests", get_requests, methods=["GET"]),
    Route(f"{PREFIX}/uploads", get_uploads, methods=["GET"]),
    Route(f"{PREFIX}/requests", clear_requests, methods=["DELETE"]),
    Route(f"{PREFIX}/clock", get_clock, methods=["GET"]),
    Route(f"{PREFIX}/clock/advance", advance_clock, methods=["POST"]),
    *control_traffic.ROUTES,
]
