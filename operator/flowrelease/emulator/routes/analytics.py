"""Flow analytics: `POST /api/v2/analytics/flows/aggregates/query` → `FlowAggregateQueryResponse`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.analytics import aggregate
from flowrelease.emulator.routes.parsing import read_json
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.wire import json_response


async def flow_aggregates(request: Request) -> Response:
    return json_response(aggregate(runtime_of(request).org, await read_json(request)))


ROUTES = [Route("/api/v2/analytics/flows/aggregates/query", flow_aggregates, methods=["POST"])]
