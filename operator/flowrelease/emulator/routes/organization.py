"""The start-up calls other Genesys tooling makes (R11): `GET /api/v2/organizations/me` → `Organization`,
`GET /api/v2/authorization/products` → `OrganizationProductEntityListing`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.render import organization_json, products_json
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.wire import json_response


async def organization_me(request: Request) -> Response:
    return json_response(organization_json(runtime_of(request).org.organization))


async def authorization_products(request: Request) -> Response:
    return json_response(products_json(runtime_of(request).org.organization))


ROUTES = [
    Route("/api/v2/organizations/me", organization_me, methods=["GET"]),
    Route("/api/v2/authorization/products", authorization_products, methods=["GET"]),
]
