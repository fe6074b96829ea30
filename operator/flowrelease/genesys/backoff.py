"""How long to wait before trying again: the retry budget and the jittered exponential backoff schedule."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for one logical request through the choke point.

    `max_attempts` counts every try (the first included); `max_wait_seconds` bounds the sum of all waits
    (backoff and `Retry-After`), so a request gives up within a known time and the engine requeues it.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait_seconds: float = 90.0
    retry_after_cap: float = 60.0
    """Genesys has sent Retry-After up to 58 s (genesys-api.md §10.2); longer values are clamped."""
    retry_after_default: float = 5.0
    """Used when a 429 carries no readable Retry-After."""

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number `retry` (1 = the first retry): 'equal jitter' between half and all of
        min(max_delay, base_delay * 2**(retry-1)), so waits grow but never collapse to zero."""
        ceiling: float = min(self.max_delay, self.base_delay * (2 ** min(max(0, retry - 1), 32)))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)

    def retry_after(self, header: str | None) -> float:
        """Seconds from a `Retry-After` header (integer seconds in Genesys; a float is accepted), clamped."""
        if header is not None:
            try:
                seconds = float(header.strip())
            except ValueError:
                seconds = -1.0
            if seconds >= 0:
                return min(seconds, self.retry_after_cap)
        return self.retry_after_default
