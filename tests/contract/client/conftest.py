"""A `GenesysClient` on a real loopback emulator, with time the test controls.

`harness.time` is a virtual clock shared by the client's sleep, token cache and rate limiter; every virtual
sleep also moves the emulator's clock by the same amount, so Retry-After, token expiry, rate-limit refill and
"after T seconds" transitions stay coherent without real waiting. `harness.sent` records every request the
client put on the wire (an httpx event hook), so tests can check what left the process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from flowrelease.emulator.control import AsyncEmulatorControl, ControlCalls
from flowrelease.genesys import GenesysClient, RateLimiter, RetryPolicy
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


@dataclass
class Harness:
    emulator: EmulatorHandle
    http: httpx.AsyncClient
    time: EmulatorTime
    sent: list[httpx.Request] = field(default_factory=list)
    responses: list[tuple[str, str, int]] = field(default_factory=list)

    def client(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> GenesysClient:
        return GenesysClient(
            http or self.http,
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


@pytest.fixture
async def harness(emulator: EmulatorHandle) -> AsyncIterator[Harness]:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with (
        AsyncEmulatorControl(emulator.base_url) as control,
        httpx.AsyncClient(timeout=httpx.Timeout(2.0), event_hooks={"request": [record]}) as http,
    ):
        yield Harness(emulator=emulator, http=http, time=EmulatorTime(control), sent=sent)
