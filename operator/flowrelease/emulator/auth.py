"""OAuth client credentials: issuing bearer tokens and resolving them to a client, with per-client TTLs.

Only a token's SHA-256 digest is kept, so no secret material sits in the emulator's state or logs. Under
`tokenRateLimitPerMinute` (R8) every token request of a client id — good secret or not — takes a token of
that client's login bucket; an empty bucket answers 429 with `Retry-After` in the login service's error
shape `{error, description, error_description}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass

from flowrelease.emulator.clock import Clock
from flowrelease.emulator.model import Client
from flowrelease.emulator.ratelimit import RateLimiter


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class TokenRecord:
    client_id: str
    expires_at: float


class OAuthError(Exception):
    """A token-endpoint failure, rendered as `{error, description, error_description}`."""

    def __init__(
        self, status: int, error: str, description: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise OAuthError(
            401, "invalid_client", "client authentication failed: use HTTP Basic client credentials"
        )
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            401, "invalid_client", "client authentication failed: malformed Basic credentials"
        ) from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise OAuthError(401, "invalid_client", "client authentication failed: malformed Basic credentials")
    return client_id, secret


class TokenStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, TokenRecord] = {}
        self._logins = RateLimiter()

    def issue(
        self,
        clients: dict[str, Client],
        authorization: str,
        grant_type: str,
        *,
        limit_per_minute: int | None = None,
    ) -> IssuedToken:
        client_id, secret = basic_credentials(authorization)
        if limit_per_minute is not None:
            reading = self._logins.take(client_id, limit_per_minute, self._clock.now())
            if not reading.allowed:
                seconds = reading.retry_after_seconds
                raise OAuthError(
                    429,
                    "too_many_requests",
                    f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds",
                    headers={"Retry-After": str(seconds)},
                )
        client = clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret.encode(), secret.encode()):
            raise OAuthError(401, "invalid_client", "client authentication failed")
        if grant_type != "client_credentials":
            raise OAuthError(
                400, "unsupported_grant_type", f"grant type '{grant_type[:40]}' is not supported"
            )
        token = secrets.token_urlsafe(48)
        self._tokens[_digest(token)] = TokenRecord(client.id, self._clock.now() + client.token_ttl_seconds)
        return IssuedToken(token, client.token_ttl_seconds)

    def client_for(self, token: str) -> str | None:
        """The client id for a live token; None for unknown or expired tokens."""
        record = self._tokens.get(_digest(token))
        if record is None or record.expires_at <= self._clock.now():
            return None
        return record.client_id

    def clear(self) -> None:
        self._tokens.clear()
        self._logins.clear()
