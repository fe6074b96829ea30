"""`create_app`: the emulator's URL table, error handlers and gateway, around one `EmulatorRuntime`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from flowrelease.emulator import control_plane
from flowrelease.emulator.behaviour import DEFAULT_PROFILE
from flowrelease.emulator.clock import Clock
from flowrelease.emulator.gateway import Gateway
from flowrelease.emulator.notifications import routes as notifications
from flowrelease.emulator.routes import actions, analytics, dependencies, flows, jobs, oauth, organization
from flowrelease.emulator.runtime import EmulatorRuntime
from flowrelease.emulator.wire import ApiError, JsonObject, error_response

HTTP_ERROR_CODES = {404: "not.found", 405: "method.not.allowed", 413: "request.entity.too.large"}


def _context_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("correlation_id", ""))


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, _context_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_ERROR_CODES.get(exc.status_code, "bad.request")
    message = (
        f"No resource matches {request.method} {request.url.path}."
        if exc.status_code == 404
        else f"{request.method} is not allowed on {request.url.path}."
        if exc.status_code == 405
        else str(exc.detail)
    )
    return error_response(
        ApiError(exc.status_code, code, message, headers=dict(exc.headers or {})), _context_id(request)
    )


def create_app(
    seed: JsonObject | None = None, clock: Clock | None = None, *, profile: str = DEFAULT_PROFILE
) -> ASGIApp:
    """An emulator holding `seed` (see `seeding`; default: an empty org) on `clock` (default: wall time),
    behaving as `profile` (`ideal` or `realistic`, see `behaviour`; `ValueError` for another name).

    The returned ASGI app exposes its `EmulatorRuntime` as `app.state.emulator` of the inner Starlette app and
    as the `runtime` attribute of the returned gateway.
    """
    runtime = EmulatorRuntime(seed, clock, profile=profile)
    starlette = Starlette(
        routes=[
            *oauth.ROUTES,
            *organization.ROUTES,
            *actions.ROUTES,
            *jobs.ROUTES,
            *flows.ROUTES,
            *dependencies.ROUTES,
            *analytics.ROUTES,
            *notifications.ROUTES,
            *jobs.UNAUTHENTICATED_ROUTES,
            *control_plane.ROUTES,
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    starlette.state.emulator = runtime
    return Gateway(starlette, runtime)
