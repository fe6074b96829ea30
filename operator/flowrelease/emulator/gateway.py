"""The gateway every request passes before a route: correlation id, fault rules, bearer auth, rate limit,
request log and (only when the `rateLimitHeaders` knob asks) the `inin-ratelimit-*` headers; after each
request the notification hub sends the events of whatever changed. WebSockets pass straight through.

Order, as a request meets them: async work due by time is settled; a matching HTTP fault rule adds latency
and/or answers with its status; `/api/…` requests need a live bearer token (401 otherwise) and a token from
the client's bucket (429 with `Retry-After` otherwise). Every response carries `ININ-Correlation-Id`; every
request outside the control plane is logged (never headers or bodies). Genesys removed the
`inin-ratelimit-*` headers in 2021 (R8), so by default they are not sent.
"""

from __future__ import annotations

import time
import uuid

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowrelease.emulator.requestlog import LoggedRequest, redacted_query
from flowrelease.emulator.runtime import EmulatorRuntime
from flowrelease.emulator.wire import ApiError, error_response

CONTROL_PREFIX = "/_emulator"


def _authenticate(runtime: EmulatorRuntime, headers: Headers) -> str:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    client_id = runtime.tokens.client_for(token.strip())
    if client_id is None or client_id not in runtime.org.clients:
        raise ApiError(401, "bad.credentials", "Invalid login credentials.")
    return client_id


class Gateway:
    def __init__(self, app: ASGIApp, runtime: EmulatorRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        runtime = self.runtime
        correlation_id = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation_id
        started = time.perf_counter()
        extra_headers: list[tuple[bytes, bytes]] = [(b"inin-correlation-id", correlation_id.encode())]
        status_seen = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = int(message["status"])
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
            await send(message)

        if path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send_with_headers)
            runtime.notifications.after_request()
            return

        try:
            runtime.settle()
            await self._apply_fault(scope["method"], path)
            if path.startswith("/api/"):
                client_id = _authenticate(runtime, Headers(scope=scope))
                state["client_id"] = client_id
                self._take_rate_token(client_id, extra_headers)
            await self.app(scope, receive, send_with_headers)
        except ApiError as error:
            await error_response(error, correlation_id)(scope, receive, send_with_headers)
        finally:
            runtime.notifications.after_request()
            runtime.log.record(
                LoggedRequest(
                    method=scope["method"],
                    path=path,
                    query=redacted_query(scope.get("query_string", b"").decode("latin-1")),
                    status=status_seen[0] or 500,
                    client_id=str(state.get("client_id", "")),
                    at=runtime.clock.now(),
                    duration_ms=(time.perf_counter() - started) * 1000,
                    correlation_id=correlation_id,
                )
            )

    async def _apply_fault(self, method: str, path: str) -> None:
        fault = self.runtime.org.faults.http_fault_for(method, path)
        if fault is None:
            return
        if fault.latency_ms:
            await anyio.sleep(fault.latency_ms / 1000)
        if fault.status:
            headers = {"Retry-After": str(fault.retry_after_seconds)} if fault.status == 429 else None
            raise ApiError(fault.status, fault.error_code, fault.error_message, headers=headers)

    def _take_rate_token(self, client_id: str, extra_headers: list[tuple[bytes, bytes]]) -> None:
        client = self.runtime.org.clients[client_id]
        reading = self.runtime.limiter.take(client_id, client.rate_limit_per_minute, self.runtime.clock.now())
        if self.runtime.org.behaviour.rate_limit_headers:
            extra_headers += [
                (b"inin-ratelimit-allowed", str(reading.limit).encode()),
                (b"inin-ratelimit-count", str(reading.count).encode()),
                (b"inin-ratelimit-reset", str(reading.reset_seconds).encode()),
            ]
        if not reading.allowed:
            seconds = reading.retry_after_seconds
            raise ApiError(
                429,
                "too.many.requests.retry.after",
                f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds",
                headers={"Retry-After": str(seconds)},
            )
