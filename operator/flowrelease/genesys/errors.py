"""Typed errors of the Genesys client: the engine's FlowApiError tree, specialised with what Genesys said.

Every class subclasses the engine's category (`flowrelease.engine.ports`), so the engine decides on the
category and never sees httpx. Each carries `status`, the Genesys error `code`, the `correlation_id`
(`ININ-Correlation-Id`, or the body's `contextId`) and the `route` template, and its message says what an
operator should do. Messages never contain the client secret or a token.

    FlowApiError                                   (flowrelease.engine.ports)
     ├── AuthenticationFailed
     │    └── GenesysAuthenticationFailed          token request refused, or 401 after one fresh token
     ├── PermissionDenied
     │    └── GenesysForbidden                     403: names the missing permission
     ├── NotFound
     │    ├── GenesysNotFound                      404
     │    └── Gone
     │         └── GenesysGone                     410: the flow was deleted
     ├── Conflict
     │    └── GenesysConflict                      409: locked or busy flow, ambiguous name
     ├── InvalidRequest
     │    └── GenesysBadRequest                    400 and other 4xx; bad arguments
     ├── Unavailable
     │    └── GenesysUnavailable                   501, or 404/403 of an optional (preview) service
     └── Transient
          ├── GenesysServerError                   5xx after bounded retries (at once if unsafe to replay)
          ├── GenesysTransportError                connection refused/reset, DNS, protocol
          ├── GenesysBadResponse                   a 2xx whose body is not the JSON Genesys documents
               ├── RateLimited
          │    └── GenesysRateLimited              429 still there after bounded waits; carries retry_after
          └── Timeout
               └── GenesysTimeout                  request timed out, or a job did not finish in its bound
"""

from __future__ import annotations

from flowrelease.engine.ports import (
    AuthenticationFailed,
    Conflict,
    Gone,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Timeout,
    Transient,
    Unavailable,
)


class GenesysErrorInfo:
    """What every Genesys client error carries besides the engine's `message`, `status` and `code`."""

    correlation_id: str = ""
    route: str = ""


class GenesysAuthenticationFailed(GenesysErrorInfo, AuthenticationFailed):
    pass


class GenesysForbidden(GenesysErrorInfo, PermissionDenied):
    pass


class GenesysNotFound(GenesysErrorInfo, NotFound):
    pass


class GenesysGone(GenesysErrorInfo, Gone):
    pass


class GenesysConflict(GenesysErrorInfo, Conflict):
    pass


class GenesysBadRequest(GenesysErrorInfo, InvalidRequest):
    pass


class GenesysUnavailable(GenesysErrorInfo, Unavailable):
    pass


class GenesysServerError(GenesysErrorInfo, Transient):
    pass


class GenesysTransportError(GenesysErrorInfo, Transient):
    pass


class GenesysBadResponse(GenesysErrorInfo, Transient):
    pass


class GenesysRateLimited(GenesysErrorInfo, RateLimited):
    pass


class GenesysTimeout(GenesysErrorInfo, Timeout):
    pass
