"""The one choke point every Genesys HTTP request goes through.

`GenesysTransport.send` authorizes (a cached client-credentials token; Basic auth for the token request
itself; nothing at all for signed URLs outside the API host), takes a slot from the shared rate limiter,
sends, reports the response to `on_response`, and then decides:

* 2xx/3xx → the response.
* 401 with a bearer token → forget the token, fetch a new one, try once more; a second 401 is
  `GenesysAuthenticationFailed`.
* 429 → wait `Retry-After` (integer seconds, clamped), pausing everyone on the same limiter, and try again.
  A 429 means Genesys did not act, so this is safe for every request.
* 5xx (but 501 Not Implemented), timeouts and broken connections → jittered exponential backoff, but only for
  requests that are safe
  to repeat. Publish, check-in, import-job registration, new versions and the YAML upload are **not** replayed
  once the request may have reached Genesys (a 5xx, a read timeout, a reset connection): the error surfaces
  as `Transient` and the engine observes the flow before it acts again. Failures before anything was sent
  (connection refused, connect timeout) are retried for every request.
* anything else → the typed error of `error_mapping`, with the cause chained.

Every path is bounded: at most `RetryPolicy.max_attempts` tries and `max_wait_seconds` of retry waits
(backoff and Retry-After; the shared limiter's pacing is fair queueing, not a retry, and is not counted). No
HTTP library's exception escapes this module, and error texts are scrubbed of the client secret and every
issued token. The request goes out through an `HttpSender` (aiohttp in the operator and `sync`; an
`httpx.AsyncClient` passed in is wrapped as one).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

import httpx

from flowrelease.engine.ports import FlowApiError, Transient
from flowrelease.genesys.auth import TokenCache
from flowrelease.genesys.backoff import RetryPolicy
from flowrelease.genesys.error_mapping import ErrorReply, error_for_exception, error_for_reply
from flowrelease.genesys.errors import GenesysAuthenticationFailed, GenesysBadResponse
from flowrelease.genesys.http_senders import HttpSender, HttpxSender, Reply, SendError
from flowrelease.genesys.ratelimit import RateLimiter
from flowrelease.genesys.regions import login_url
from flowrelease.genesys.routes import TOKEN, Route

logger = logging.getLogger("flowrelease.genesys")

OnResponse = Callable[[str, str, int], None]
_REDACTED = "[redacted]"
NOT_IMPLEMENTED = 501
"""Not a passing server error: the API does not exist here, so it is never retried."""


@dataclass(frozen=True)
class Call:
    """One logical request. `url` set means a signed URL outside the API: no token, no rate limiter."""

    route: Route
    purpose: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str | int] | None = None
    json: object = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    not_found_hint: str = ""


def basic_authorization(username: str, password: str) -> str:
    """RFC 7617 Basic credentials (UTF-8), as the token request sends them."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class GenesysTransport:
    def __init__(
        self,
        http: httpx.AsyncClient | HttpSender,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        limiter: RateLimiter | None,
        on_response: OnResponse | None,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http: HttpSender = HttpxSender(http) if isinstance(http, httpx.AsyncClient) else http
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._limiter = limiter
        self._on_response = on_response
        self._sleep = sleep
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._tokens = TokenCache(self._fetch_token, clock=clock)

    def __repr__(self) -> str:
        return f"GenesysTransport(base_url={self.base_url!r}, client_id={self.client_id!r})"

    def scrub(self, text: str) -> str:
        """`text` without the client secret or any token this transport was issued."""
        for secret in (self._secret, *self._tokens.issued):
            if secret and len(secret) >= 4:
                text = text.replace(secret, _REDACTED)
        return text

    async def send_json(self, call: Call) -> object:
        response = await self.send(call)
        if not response.content:
            return None
        try:
            return json.loads(response.content)
        except ValueError as exc:
            error = GenesysBadResponse(
                f"{call.purpose} failed: Genesys answered HTTP {response.status_code} with a body that is "
                "not JSON; flowrelease will try again",
                status=response.status_code,
            )
            error.route = str(call.route)
            raise error from exc

    async def send(self, call: Call) -> Reply:
        policy = self._policy
        auth: Literal["bearer", "basic", "none"] = (
            "basic" if call.route == TOKEN else "none" if call.url else "bearer"
        )
        attempt, waited, refreshed = 0, 0.0, False
        while True:
            attempt += 1
            headers = dict(call.headers)
            token = ""
            if auth == "bearer":
                token = await self._tokens.get()
                headers["Authorization"] = f"Bearer {token}"
            elif auth == "basic":
                headers["Authorization"] = basic_authorization(self.client_id, self._secret)
            if self._limiter is not None and auth == "bearer":
                await self._limiter.acquire()
            try:
                response = await self._http.send(
                    call.route.method,
                    self._url(call),
                    params=call.params,
                    json=call.json,
                    content=call.content,
                    form={"grant_type": "client_credentials"} if auth == "basic" else None,
                    headers=headers,
                )
            except SendError as exc:
                error = error_for_exception(call.route, exc, purpose=call.purpose, scrub=self.scrub)
                safe = call.route.replay_safe or not exc.sent
                delay = policy.backoff(attempt, self._rng)
                if isinstance(error, Transient) and safe and self._may_wait(attempt, waited, delay):
                    self._log_retry(call, attempt, exc.failure.value, delay)
                    await self._sleep(delay)
                    waited += delay
                    continue
                raise error from exc

            self._report(call, response.status_code)
            if self._limiter is not None and auth == "bearer":
                self._limiter.observe(response.headers)
            status = response.status_code
            if status < 400:
                logger.debug("%s -> %d (attempt %d)", call.route, status, attempt)
                return response

            reply = ErrorReply.read(response)
            retry_after: float | None = None
            if status == 401 and auth == "bearer" and not refreshed:
                logger.info("%s -> 401; fetching a new access token and trying once more", call.route)
                self._tokens.invalidate(token)
                refreshed = True
                continue
            if status == 429:
                retry_after = policy.retry_after(response.headers.get("retry-after"))
                if self._may_wait(attempt, waited, retry_after):
                    self._log_retry(call, attempt, "429 rate limited", retry_after)
                    waited += retry_after
                    if self._limiter is not None and auth == "bearer":
                        self._limiter.pause(retry_after)  # everyone sharing it waits; acquire() sleeps
                    else:
                        await self._sleep(retry_after)
                    continue
            elif status >= 500 and status != NOT_IMPLEMENTED and call.route.replay_safe:
                delay = policy.backoff(attempt, self._rng)
                if self._may_wait(attempt, waited, delay):
                    self._log_retry(call, attempt, f"HTTP {status}", delay)
                    await self._sleep(delay)
                    waited += delay
                    continue
            raise self._final(call, reply, retry_after)

    def _may_wait(self, attempt: int, waited: float, delay: float) -> bool:
        """Another try fits the budget: attempts left, and the retry waits (not the rate limiter's pacing,
        which is shared fairly by the fleet) stay within max_wait_seconds."""
        policy = self._policy
        return attempt < policy.max_attempts and waited + delay <= policy.max_wait_seconds

    def _final(self, call: Call, reply: ErrorReply, retry_after: float | None) -> FlowApiError:
        if reply.status >= 500 and retry_after is None:
            retry_after = self._policy.max_delay
        return error_for_reply(
            call.route,
            reply,
            purpose=call.purpose,
            client_id=self.client_id,
            scrub=self.scrub,
            not_found_hint=call.not_found_hint,
            retry_after=retry_after,
        )

    def _url(self, call: Call) -> str:
        if call.url:
            return urljoin(self.base_url + "/", call.url)
        if call.route == TOKEN:
            return login_url(self.base_url)
        return self.base_url + call.route.path(**call.path_params)

    def _report(self, call: Call, status: int) -> None:
        if self._on_response is None:
            return
        try:
            self._on_response(call.route.method, call.route.template, status)
        except Exception:
            logger.exception("the on_response callback failed for %s", call.route)

    def _log_retry(self, call: Call, attempt: int, reason: str, delay: float) -> None:
        logger.warning(
            "%s: %s on attempt %d (%s); trying again in %.1f s",
            call.purpose,
            reason,
            attempt,
            call.route,
            delay,
        )

    async def _fetch_token(self) -> tuple[str, float]:
        call = Call(TOKEN, purpose=f"requesting an access token for OAuth client {self.client_id!r}")
        body = await self.send_json(call)
        fields = body if isinstance(body, dict) else {}
        token = fields.get("access_token")
        if not isinstance(token, str) or not token:
            error = GenesysAuthenticationFailed(
                f"{call.purpose} failed: the token response has no access_token; check that "
                "spec.genesys.environment points at a Genesys Cloud region",
                status=200,
            )
            error.route = str(TOKEN)
            raise error
        expires_in = fields.get("expires_in")
        seconds = float(expires_in) if isinstance(expires_in, int | float) else 0.0
        return token, seconds
