"""Turn an HTTP error response or a request that got no answer into the typed error an operator can act on.

Pure functions: the choke point (`transport.py`) decides *when* something is final; this module decides
*what* it is called and what the message tells the operator to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flowrelease.engine.ports import FlowApiError
from flowrelease.genesys.errors import (
    GenesysAuthenticationFailed,
    GenesysBadRequest,
    GenesysConflict,
    GenesysErrorInfo,
    GenesysForbidden,
    GenesysGone,
    GenesysNotFound,
    GenesysRateLimited,
    GenesysServerError,
    GenesysTimeout,
    GenesysTransportError,
    GenesysUnavailable,
)
from flowrelease.genesys.http_senders import Reply, SendError, SendFailure
from flowrelease.genesys.routes import TOKEN, Route, permission_phrase

Scrub = Callable[[str], str]
E = TypeVar("E", bound=FlowApiError)


@dataclass(frozen=True)
class ErrorReply:
    """The parts of an error response worth telling (ErrorBody §10.1, or the OAuth error JSON)."""

    status: int
    code: str
    message: str
    correlation_id: str

    @classmethod
    def read(cls, response: Reply) -> ErrorReply:
        body: object = None
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = None
        fields = body if isinstance(body, dict) else {}
        message = fields.get("message") or fields.get("error_description") or fields.get("description") or ""
        code = fields.get("code") or fields.get("error") or ""
        correlation = response.headers.get("inin-correlation-id") or fields.get("contextId") or ""
        if not message and not isinstance(body, dict):
            message = response.text[:200] if response.content else ""
        return cls(response.status_code, str(code), str(message), str(correlation))


def _attach(error: E, route: Route, correlation_id: str) -> E:
    if isinstance(error, GenesysErrorInfo):
        error.correlation_id = correlation_id
        error.route = str(route)
    return error


def _said(reply: ErrorReply) -> str:
    parts = [f"HTTP {reply.status}"]
    if reply.code:
        parts.append(f"code {reply.code}")
    if reply.correlation_id:
        parts.append(f"correlation id {reply.correlation_id}")
    said = f" Genesys said: {reply.message.strip()}" if reply.message.strip() else ""
    return f"{said} ({', '.join(parts)})"


def error_for_reply(
    route: Route,
    reply: ErrorReply,
    *,
    purpose: str,
    client_id: str,
    scrub: Scrub,
    not_found_hint: str = "",
    retry_after: float | None = None,
) -> FlowApiError:
    """The typed error for a final (not retried) error response to `route`."""
    status, said = reply.status, _said(reply)
    if route == TOKEN and status in (400, 401, 403):
        text = (
            f"{purpose} failed: Genesys rejected the OAuth client credentials for client id {client_id!r}; "
            "check clientId and clientSecret in the credentials Secret and that the OAuth client uses the "
            f"Client Credentials grant.{said}"
        )
        return _attach(GenesysAuthenticationFailed(scrub(text), status=status, code=reply.code), route, "")
    if route == TOKEN and status == 429:
        wait = f" after {retry_after:g} s" if retry_after else ""
        text = (
            f"{purpose} failed: the Genesys login service rate-limits token requests for OAuth client "
            f"{client_id!r} and kept answering 429; flowrelease will ask again{wait}. Many processes "
            f"starting at once with one OAuth client cause this.{said}"
        )
        limited = GenesysRateLimited(scrub(text), status=status, code=reply.code, retry_after=retry_after)
        return _attach(limited, route, "")
    error: FlowApiError
    if status in (401, 403) and not route.permissions:
        hint = "the signed URL was refused (it may have expired); flowrelease starts a new job next time"
        error = GenesysForbidden(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 401:
        text = (
            f"{purpose} failed: Genesys refused a freshly issued access token for OAuth client "
            f"{client_id!r}; check that the client is active and its role is assigned in this org.{said}"
        )
        error = GenesysAuthenticationFailed(scrub(text), status=status, code=reply.code)
    elif status == 403:
        phrase = permission_phrase(route)
        hint = f"the OAuth client {client_id!r} lacks permission {phrase}; add it to the client's role"
        error = GenesysForbidden(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 404:
        hint = not_found_hint or "it does not exist (check spec.flow and the version)"
        error = GenesysNotFound(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 410:
        hint = "it was deleted in Genesys Cloud (HTTP 410 Gone)"
        error = GenesysGone(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 501:
        hint = "Genesys does not implement this API for this org (HTTP 501 Not Implemented)"
        error = GenesysUnavailable(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 409:
        hint = (
            "the flow is locked or busy (someone may be editing it in Architect, or another operation is "
            "running); spec.publish.lockPolicy decides whether flowrelease fails, waits or force-unlocks"
        )
        error = GenesysConflict(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    elif status == 429:
        wait = f" after {retry_after:g} s" if retry_after else ""
        hint = (
            f"Genesys kept answering 'rate limit exceeded'; flowrelease will try again{wait}. Fewer "
            "concurrent releases per OAuth client, or a higher org limit, avoid this"
        )
        error = GenesysRateLimited(
            scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code, retry_after=retry_after
        )
    elif status >= 500:
        hint = "Genesys had a server error; flowrelease will try again later"
        error = GenesysServerError(
            scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code, retry_after=retry_after
        )
    elif status == 408:
        error = GenesysTimeout(
            scrub(f"{purpose} failed: Genesys timed out the request; flowrelease will try again.{said}"),
            status=status,
            code=reply.code,
        )
    else:
        hint = (
            "Genesys refused the request as invalid; check the FlowRelease spec, or report a flowrelease bug"
        )
        error = GenesysBadRequest(scrub(f"{purpose} failed: {hint}.{said}"), status=status, code=reply.code)
    return _attach(error, route, reply.correlation_id)


def error_for_exception(route: Route, exc: SendError, *, purpose: str, scrub: Scrub) -> FlowApiError:
    """The typed error for a request that got no answer (the caller chains it with `raise ... from exc`)."""
    kind = type(exc.__cause__).__name__ if exc.__cause__ is not None else exc.failure.name
    detail = scrub(str(exc)) or kind
    if exc.failure in (SendFailure.TIMEOUT, SendFailure.CONNECT_TIMEOUT):
        text = f"{purpose} failed: no answer from Genesys within the timeout ({kind}); flowrelease will retry"
        return _attach(GenesysTimeout(text), route, "")
    if exc.failure is SendFailure.NOT_CONNECTED:
        text = (
            f"{purpose} failed: could not connect to Genesys ({detail}); check spec.genesys.environment and "
            "the network path to it. flowrelease will retry"
        )
        return _attach(GenesysTransportError(text), route, "")
    if exc.failure is SendFailure.BAD_URL:
        text = f"{purpose} failed: the URL is not usable ({detail}); check spec.genesys.environment"
        return _attach(GenesysBadRequest(text), route, "")
    text = f"{purpose} failed: the connection to Genesys broke ({kind}: {detail}); flowrelease will retry"
    return _attach(GenesysTransportError(text), route, "")
