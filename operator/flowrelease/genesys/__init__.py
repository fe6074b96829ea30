"""flowrelease.genesys: the async Genesys Cloud Platform API client behind the engine's FlowApi port.

    from flowrelease.genesys import GenesysClient, RateLimiterRegistry, resolve_base_url

Nothing here raises an HTTP library's exception; errors are the typed tree in `flowrelease.genesys.errors`.
"""

from flowrelease.genesys.backoff import RetryPolicy
from flowrelease.genesys.client import GenesysClient
from flowrelease.genesys.errors import (
    GenesysAuthenticationFailed,
    GenesysBadRequest,
    GenesysBadResponse,
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
from flowrelease.genesys.http_senders import AiohttpSender, HttpSender, HttpxSender, open_aiohttp_session
from flowrelease.genesys.ratelimit import RateLimiter, RateLimiterRegistry, in_flight_first
from flowrelease.genesys.regions import UnknownEnvironment, login_url, resolve_base_url

__all__ = [
    "AiohttpSender",
    "GenesysAuthenticationFailed",
    "GenesysBadRequest",
    "GenesysBadResponse",
    "GenesysClient",
    "GenesysConflict",
    "GenesysErrorInfo",
    "GenesysForbidden",
    "GenesysGone",
    "GenesysNotFound",
    "GenesysRateLimited",
    "GenesysServerError",
    "GenesysTimeout",
    "GenesysTransportError",
    "GenesysUnavailable",
    "HttpSender",
    "HttpxSender",
    "RateLimiter",
    "RateLimiterRegistry",
    "RetryPolicy",
    "UnknownEnvironment",
    "in_flight_first",
    "login_url",
    "open_aiohttp_session",
    "resolve_base_url",
]
