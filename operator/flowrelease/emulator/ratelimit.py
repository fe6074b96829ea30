"""Per-client token buckets behind the Platform API's and the login service's 429s (and the optional
`inin-ratelimit-*` headers).

A bucket holds `limit` tokens and refills at `limit` per minute; each API request takes one. When empty the
request gets 429 with `Retry-After` = whole seconds until a token is back (at least 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class BucketReading:
    allowed: bool
    limit: int
    count: int
    reset_seconds: int
    retry_after_seconds: int


@dataclass
class TokenBucket:
    limit: int
    tokens: float
    updated_at: float

    def take(self, now: float) -> BucketReading:
        rate = self.limit / 60.0
        self.tokens = min(float(self.limit), self.tokens + (now - self.updated_at) * rate)
        self.updated_at = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        used = self.limit - self.tokens
        return BucketReading(
            allowed=allowed,
            limit=self.limit,
            count=min(self.limit, math.ceil(used - 1e-9)),
            reset_seconds=math.ceil(used / rate) if used > 1e-9 else 0,
            retry_after_seconds=0 if allowed else max(1, math.ceil((1.0 - self.tokens) / rate)),
        )


class RateLimiter:
    """One bucket per client id; a client's limit change starts it a fresh, full bucket."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, client_id: str, limit: int, now: float) -> BucketReading:
        bucket = self._buckets.get(client_id)
        if bucket is None or bucket.limit != limit:
            bucket = TokenBucket(limit=limit, tokens=float(limit), updated_at=now)
            self._buckets[client_id] = bucket
        return bucket.take(now)

    def clear(self) -> None:
        self._buckets.clear()
