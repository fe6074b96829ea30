from __future__ import annotations

import asyncio

import pytest

from flowrelease.genesys.auth import TokenCache, refresh_margin
from tests.unit.genesys.virtual_time import VirtualTime


class TokenServer:
    """Counts fetches; each returns a new token with the given lifetime."""

    def __init__(self, expires_in: float) -> None:
        self.expires_in = expires_in
        self.fetches = 0

    async def fetch(self) -> tuple[str, float]:
        self.fetches += 1
        await asyncio.sleep(0)
        return f"token-{self.fetches}", self.expires_in


@pytest.mark.parametrize(
    ("expires_in", "margin", "reason"),
    [
        (86400, 8640, "default lifetime: 10 % before expiry"),
        (300, 60, "shortest Genesys lifetime: at least 60 s before"),
        (60, 30, "very short lifetimes refresh half-way, never before they are issued"),
    ],
)
def test_refresh_margin(expires_in: float, margin: float, reason: str) -> None:
    assert refresh_margin(expires_in) == margin, reason


async def test_token_is_reused_until_the_refresh_point_then_fetched_again() -> None:
    time, server = VirtualTime(), TokenServer(expires_in=300)
    cache = TokenCache(server.fetch, clock=time.clock)
    assert await cache.get() == "token-1"
    time.advance(239)
    assert await cache.get() == "token-1"
    time.advance(1)
    assert await cache.get() == "token-2", "refreshed 60 s before the 300 s token expires"
    assert server.fetches == 2


async def test_concurrent_requests_share_one_token_fetch() -> None:
    time, server = VirtualTime(), TokenServer(expires_in=86400)
    cache = TokenCache(server.fetch, clock=time.clock)
    tokens = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert set(tokens) == {"token-1"}
    assert server.fetches == 1


async def test_invalidate_forgets_only_the_token_that_was_refused() -> None:
    time, server = VirtualTime(), TokenServer(expires_in=86400)
    cache = TokenCache(server.fetch, clock=time.clock)
    first = await cache.get()
    cache.invalidate(first)
    second = await cache.get()
    assert second == "token-2"
    cache.invalidate(first)
    assert await cache.get() == "token-2", "a late 401 for an old token does not drop the new one"
    assert cache.issued == ("token-1", "token-2")


async def test_missing_expires_in_means_the_genesys_default_lifetime() -> None:
    time, server = VirtualTime(), TokenServer(expires_in=0)
    cache = TokenCache(server.fetch, clock=time.clock)
    await cache.get()
    time.advance(3600)
    await cache.get()
    assert server.fetches == 1
