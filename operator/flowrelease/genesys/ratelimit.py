"""A client-side rate limiter shared by every release that talks to one org with one OAuth client.

Genesys limits requests per OAuth client per minute (300 by default, genesys-api.md §10.3). A fleet of
releases on one client must share one budget, so `RateLimiterRegistry.for_target(environment, client_id)`
returns the same `RateLimiter` for the same org and client.

The limiter relies on two things that real orgs provide:
* its own token bucket (capacity = the per-minute rate, refilled continuously): the fleet never sends faster
  than the configured rate;
* a 429's `Retry-After` (Genesys answers 429 with it and the body `too.many.requests.retry.after`):
  everyone sharing the limiter pauses until it has passed.

Genesys removed the `inin-ratelimit-allowed` / `-count` / `-reset` headers from responses in 2021
(genesys-realism.md §5, R8), so nothing depends on them. When a response still carries them (a proxy, an
older region, the emulator's `rateLimitHeaders` knob) they are an optional hint that can only slow the
limiter down: the rate never exceeds `-allowed`, and when the server's window is nearly used (90 %) the
bucket holds no more tokens than the server has left. `-reset` is never waited on (what it means is
unverified, genesys-api.md §10.2). `header_hints=False` ignores them altogether.

Requests made inside `in_flight_first()` (the operator's passes of work already started: the poll that
notices a publish went live, a judgement, a rollback) go before every other waiter; the rest are served in
arrival order. Without it, one such poll queues behind every request of the new starts admitted before it.

Time is injected (`clock`, `sleep`) so tests are deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping

from flowrelease.genesys.regions import UnknownEnvironment, resolve_base_url

DEFAULT_RATE_PER_MINUTE = 300
_EPSILON = 1e-9
_MIN_DELAY = 0.001
"""Float refills can stop a hair short of a whole token; these keep a waiter from spinning on it."""
NEARLY_USED = 0.9
"""Fraction of the server's window after which the limiter stops running ahead of the server."""


_IN_FLIGHT: contextvars.ContextVar[bool] = contextvars.ContextVar("flowrelease_in_flight", default=False)


@contextlib.contextmanager
def in_flight_first() -> Iterator[None]:
    """Requests of this task (and the tasks it starts) go before every waiter outside such a block."""
    token = _IN_FLIGHT.set(True)
    try:
        yield
    finally:
        _IN_FLIGHT.reset(token)


class RateLimiter:
    def __init__(
        self,
        rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        header_hints: bool = True,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute!r}")
        self._header_hints = header_hints
        self._configured = float(rate_per_minute)
        self._rate = self._configured
        self._capacity = max(1.0, self._configured)
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._in_flight_lock = asyncio.Lock()
        self._in_flight_waiting = 0

    @property
    def rate_per_minute(self) -> float:
        return self._rate

    @property
    def capacity(self) -> float:
        """The most requests the bucket holds (a minute's worth, or the server's hint)."""
        return self._capacity

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def available(self) -> float:
        self._refill()
        return self._tokens

    async def acquire(self) -> float:
        """Wait for a request slot; returns the seconds waited. Waiters are served in arrival order, those
        inside `in_flight_first()` before all others."""
        started = self._clock()
        first = _IN_FLIGHT.get()
        if first:
            self._in_flight_waiting += 1
        try:
            async with self._in_flight_lock if first else self._lock:
                while True:
                    now = self._clock()
                    if now < self._paused_until:
                        delay = self._paused_until - now
                    else:
                        self._refill()
                        if self._tokens >= 1.0 - _EPSILON and (first or not self._in_flight_waiting):
                            self._tokens = max(0.0, self._tokens - 1.0)
                            return now - started
                        delay = max(_MIN_DELAY, (1.0 - self._tokens % 1.0) * 60.0 / self._rate)
                    await self._sleep(delay)
        finally:
            if first:
                self._in_flight_waiting -= 1

    def pause(self, seconds: float) -> None:
        """A 429 told one of us to wait: hold every request on this limiter for `seconds`."""
        self._refill()
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
        self._tokens = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take `inin-ratelimit-allowed` / `-count` as a hint when a response still has them (missing or
        garbled headers, the normal case since 2021, change nothing)."""
        if not self._header_hints:
            return
        allowed = _number(headers.get("inin-ratelimit-allowed"))
        if allowed is None or allowed <= 0:
            return
        self._refill()
        self._rate = min(self._configured, allowed)
        self._capacity = max(1.0, min(self._configured, allowed))
        self._tokens = min(self._tokens, self._capacity)
        count = _number(headers.get("inin-ratelimit-count"))
        if count is not None and count >= NEARLY_USED * allowed:
            self._tokens = min(self._tokens, max(0.0, allowed - count))

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate / 60.0)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


class RateLimiterRegistry:
    """One `RateLimiter` per (org, OAuth client); build one per process at the composition root."""

    def __init__(
        self,
        rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        header_hints: bool = True,
    ) -> None:
        self._rate = rate_per_minute
        self._clock = clock
        self._sleep = sleep
        self._header_hints = header_hints
        self._limiters: dict[tuple[str, str], RateLimiter] = {}

    def for_target(self, environment: str, client_id: str) -> RateLimiter:
        key = (_org_key(environment), client_id)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = RateLimiter(
                self._rate, clock=self._clock, sleep=self._sleep, header_hints=self._header_hints
            )
            self._limiters[key] = limiter
        return limiter


def _org_key(environment: str) -> str:
    """`us-east-1`, `us_east_1` and `mypurecloud.com` are one org host; unknown text is keyed as written."""
    try:
        return resolve_base_url(environment).lower()
    except UnknownEnvironment:
        return environment.strip().lower()
