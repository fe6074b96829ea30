"""`POST /oauth/token`: the client-credentials grant (Basic auth, form `grant_type=client_credentials`),
rate-limited per client id under `tokenRateLimitPerMinute`."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.auth import OAuthError
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.wire import json_response


async def issue_token(request: Request) -> Response:
    runtime = runtime_of(request)
    raw = (await request.body())[:8192].decode("utf-8", errors="replace")
    grant_type = parse_qs(raw).get("grant_type", [""])[0]
    try:
        issued = runtime.tokens.issue(
            runtime.org.clients,
            request.headers.get("authorization", ""),
            grant_type,
            limit_per_minute=runtime.org.behaviour.token_rate_limit_per_minute,
        )
    except OAuthError as error:
        return json_response(
            {"error": error.error, "description": error.description, "error_description": error.description},
            error.status,
            error.headers,
        )
    request.scope.setdefault("state", {})["client_id"] = runtime.tokens.client_for(issued.access_token) or ""
    return json_response(
        {"access_token": issued.access_token, "token_type": "bearer", "expires_in": issued.expires_in}
    )


ROUTES = [Route("/oauth/token", issue_token, methods=["POST"])]
