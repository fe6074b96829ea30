"""The traffic part of the control plane: start/stop simulated traffic, say "version X fails Y %", read it.

- `PUT /_emulator/traffic` `{"flowId", "entriesPerMinute", "failureRatio", "abandonRatio", "flowSeconds",
  "versionFailureRatios"}` (partial): traffic into the flow from now on.
- `PUT /_emulator/traffic/versions` `{"flowId", "version", "failureRatio": 0.4 | null}`: that version fails
  that ratio of its interactions from now on (null: the flow's ratio).
- `GET /_emulator/traffic?flowId=`: each flow's traffic and, per version, what was drawn so far.
- `DELETE /_emulator/traffic?flowId=`: forget the traffic (of every flow without `flowId`).

Each call first draws the traffic up to now, so a change applies to interactions entering after it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.routes.parsing import json_object, read_json
from flowrelease.emulator.runtime import EmulatorRuntime, runtime_of
from flowrelease.emulator.traffic_json import ratio, traffic_json, traffic_source, version_failure_ratios
from flowrelease.emulator.wire import JsonObject, bad_request, json_response

PREFIX = "/_emulator/traffic"


def _caught_up(request: Request) -> EmulatorRuntime:
    runtime = runtime_of(request)
    runtime.settle()
    return runtime


def _flow_id(body: JsonObject) -> str:
    flow_id = body.get("flowId")
    if not isinstance(flow_id, str) or not flow_id:
        raise bad_request("flowId is required: the id of the flow the traffic enters.", field="flowId")
    return flow_id


async def put_traffic(request: Request) -> Response:
    runtime = _caught_up(request)
    org = runtime.org
    body = json_object(await read_json(request), "traffic")
    flow = org.flow(_flow_id(body))
    current = org.traffic.flows.get(flow.id)
    source = traffic_source(body, current.source if current else None)
    failures = version_failure_ratios(body)
    now = runtime.clock.now()
    org.traffic.start(flow, source, now)
    for version, failure in failures.items():
        org.traffic.set_version_failure(flow.id, version, failure)
    return json_response(traffic_json(org.traffic, flow.id, now))


async def put_version_failure(request: Request) -> Response:
    runtime = _caught_up(request)
    org = runtime.org
    body = json_object(await read_json(request), "version failure")
    flow = org.flow(_flow_id(body), include_deleted=True)
    version = body.get("version")
    if not isinstance(version, str) or not version:
        raise bad_request('version is required: the version id that fails, e.g. "3.0".', field="version")
    if "failureRatio" not in body:
        raise bad_request("failureRatio is required: a ratio from 0 to 1, or null.", field="failureRatio")
    failure = body["failureRatio"]
    failure_ratio = None if failure is None else ratio(failure, "failureRatio")
    org.traffic.set_version_failure(flow.id, version, failure_ratio)
    return json_response(traffic_json(org.traffic, flow.id, runtime.clock.now()))


async def get_traffic(request: Request) -> Response:
    runtime = _caught_up(request)
    book, now = runtime.org.traffic, runtime.clock.now()
    wanted = request.query_params.get("flowId", "")
    flow_ids = sorted(set(book.flows) | {f for f, _ in book.version_failure})
    shown = [flow_id for flow_id in flow_ids if not wanted or flow_id == wanted]
    return json_response({"flows": [traffic_json(book, flow_id, now) for flow_id in shown]})


async def clear_traffic(request: Request) -> Response:
    runtime = _caught_up(request)
    runtime.org.traffic.clear(request.query_params.get("flowId", ""))
    return Response(status_code=204)


ROUTES = [
    Route(PREFIX, put_traffic, methods=["PUT"]),
    Route(PREFIX, get_traffic, methods=["GET"]),
    Route(PREFIX, clear_traffic, methods=["DELETE"]),
    Route(f"{PREFIX}/versions", put_version_failure, methods=["PUT"]),
]
