"""The OAuth client-credentials access token: cached, refreshed before it expires, fetched once at a time.

`TokenCache` does not talk HTTP itself; it is handed a `fetch` coroutine (the choke point's token request)
that returns the token and its `expires_in`. One lock per cache means a fleet of releases sharing a client
asks for one token, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

DEFAULT_EXPIRES_IN = 86400.0
"""Genesys' default token lifetime (genesys-api.md §1.2), used when `expires_in` is missing."""


@dataclass(frozen=True)
class Token:
    value: str
    refresh_at: float


def refresh_margin(expires_in: float) -> float:
    """Refresh 10 % before expiry but at least 60 s before; never earlier than half-way."""
    return min(max(60.0, expires_in * 0.1), expires_in * 0.5)


class TokenCache:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[str, float]]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: Token | None = None
        self._issued: deque[str] = deque(maxlen=4)
        self._lock = asyncio.Lock()

    @property
    def issued(self) -> tuple[str, ...]:
        """The last few tokens handed out, so error texts and logs can be scrubbed of them."""
        return tuple(self._issued)

    async def get(self) -> str:
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token.value
        async with self._lock:
            token = self._token
            if token is not None and self._clock() < token.refresh_at:
                return token.value
            value, expires_in = await self._fetch()
            self._issued.append(value)
            lifetime = expires_in if expires_in > 0 else DEFAULT_EXPIRES_IN
            self._token = Token(value, self._clock() + lifetime - refresh_margin(lifetime))
            return value

    def invalidate(self, value: str) -> None:
        """Forget `value` after a 401, unless another request already replaced it."""
        if self._token is not None and self._token.value == value:
            self._token = None
