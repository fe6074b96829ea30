"""Flow actions: `POST /api/v2/flows/actions/{checkout,checkin,publish,revert,unlock,deactivate}?flow=`.

Checkout, revert, unlock and deactivate answer with the `Flow`; checkin and publish start an asynchronous
`Operation` and answer with it (the same object then shows on `flow.currentOperation`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.render import flow_json, operation_json
from flowrelease.emulator.routes.parsing import required_query
from flowrelease.emulator.runtime import caller_of, runtime_of
from flowrelease.emulator.wire import json_response, not_found


async def flow_action(request: Request) -> Response:
    runtime = runtime_of(request)
    org = runtime.org
    action = request.path_params["action"]
    flow_id = required_query(request, "flow")
    client = caller_of(request)
    if action == "checkin":
        return json_response(operation_json(org, org.checkin(flow_id, client)))
    if action == "publish":
        version = request.query_params.get("version") or None
        return json_response(operation_json(org, org.publish(flow_id, client, version)))
    handlers = {
        "checkout": org.checkout,
        "revert": org.revert,
        "unlock": org.unlock,
        "deactivate": org.deactivate,
    }
    handler = handlers.get(action)
    if handler is None:
        raise not_found("Flow action", action)
    return json_response(flow_json(org, handler(flow_id, client)))


ROUTES = [Route("/api/v2/flows/actions/{action}", flow_action, methods=["POST"])]
