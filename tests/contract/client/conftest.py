"""A `GenesysClient` on a real loopback emulator, with time the test controls.

`harness.time` is a virtual clock shared by the client's sleep, token cache and rate limiter; every virtual
sleep also moves the emulator's clock by the same amount, so Retry-After, token expiry, rate-limit refill and
"after T seconds" transitions stay coherent without real waiting. `harness.sent` records every request the
client put on the wire, so tests can check what left the process.

Every test runs on both senders: aiohttp (what the operator and `sync` ship) and an httpx client (what a
caller holding one gets), each recording its requests with the library's own hook.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
import pytest

from flowrelease.emulator.control import AsyncEmulatorControl, ControlCalls
from flowrelease.genesys import (
    AiohttpSender,
    GenesysClient,
    HttpSender,
    HttpxSender,
    RateLimiter,
    RetryPolicy,
    open_aiohttp_session,
)
from tests.support.emulator import EmulatorHandle
from tests.unit.genesys.virtual_time import VirtualTime


class EmulatorTime(VirtualTime):
    def __init__(self, control: AsyncEmulatorControl) -> None:
        super().__init__()
        self._control = control
        self.on_sleep: list[Callable[[], Awaitable[None]]] = []
        """Run once each, in order, at the next sleeps: 'while the client waits, the world changes'."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if seconds > 0:
            await self._control.call(ControlCalls.advance_clock(seconds))
        if self.on_sleep:
            await self.on_sleep.pop(0)()


@dataclass(frozen=True)
class SentRequest:
    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    """Case-insensitive (the library's own mapping)."""


@contextlib.asynccontextmanager
async def recording_sender(kind: str, sent: list[SentRequest], timeout_s: float) -> AsyncIterator[HttpSender]:
    """A sender of `kind` ("aiohttp" or "httpx") whose every request is appended to `sent`."""
    if kind == "httpx":

        async def record(request: httpx.Request) -> None:
            url = request.url
            sent.append(SentRequest(request.method, url.path, dict(url.params), request.headers))

        hooks = {"request": [record]}
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), event_hooks=hooks) as http:
            yield HttpxSender(http)
        return

    async def started(_: object, __: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        url = params.url
        sent.append(SentRequest(params.method, url.path, dict(url.query), params.headers))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    session = open_aiohttp_session(
        read_seconds=timeout_s, connect_seconds=timeout_s, max_connections=64, trace_configs=[trace]
    )
    async with session:
        yield AiohttpSender(session)


@dataclass
class Harness:
    emulator: EmulatorHandle
    sender: HttpSender
    kind: str
    """"aiohttp" or "httpx"."""
    time: EmulatorTime
    sent: list[SentRequest] = field(default_factory=list)
    responses: list[tuple[str, str, int]] = field(default_factory=list)

    def impatient(self, timeout_s: float) -> contextlib.AbstractAsyncContextManager[HttpSender]:
        """Another sender of this harness's kind, recording into `sent`, that gives up after `timeout_s`."""
        return recording_sender(self.kind, self.sent, timeout_s)

    def client(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        http: HttpSender | None = None,
    ) -> GenesysClient:
        return GenesysClient(
            http or self.sender,
            base_url=base_url or self.emulator.base_url,
            client_id=client_id or self.emulator.client_id,
            client_secret=client_secret or self.emulator.client_secret,
            limiter=limiter,
            on_response=lambda method, route, status: self.responses.append((method, route, status)),
            sleep=self.time.sleep,
            clock=self.time.clock,
            retry=retry or RetryPolicy(max_attempts=6, max_wait_seconds=120.0),
        )

    def limiter(self, rate_per_minute: float = 300) -> RateLimiter:
        return RateLimiter(rate_per_minute, clock=self.time.clock, sleep=self.time.sleep)

    def control_count(self, **filters: Any) -> int:
        return self.emulator.control.request_count(**filters)

    @property
    def bearer_tokens(self) -> set[str]:
        return {
            r.headers["authorization"].removeprefix("Bearer ")
            for r in self.sent
            if r.headers.get("authorization", "").startswith("Bearer ")
        }


@pytest.fixture(params=["aiohttp", "httpx"])
async def harness(emulator: EmulatorHandle, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    sent: list[SentRequest] = []
    kind = str(request.param)
    async with (
        AsyncEmulatorControl(emulator.base_url) as control,
        recording_sender(kind, sent, timeout_s=2.0) as sender,
    ):
        yield Harness(emulator=emulator, sender=sender, kind=kind, time=EmulatorTime(control), sent=sent)
