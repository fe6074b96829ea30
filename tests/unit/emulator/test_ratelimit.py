"""The per-client token bucket: counts, refill, and whole-second Retry-After."""

from __future__ import annotations

from flowrelease.emulator.ratelimit import RateLimiter


def test_bucket_empties_then_refills_at_limit_per_minute() -> None:
    limiter = RateLimiter()
    readings = [limiter.take("c", 3, 0.0) for _ in range(4)]
    assert [r.allowed for r in readings] == [True, True, True, False]
    assert [r.count for r in readings[:3]] == [1, 2, 3]
    assert readings[3].retry_after_seconds == 20
    assert not limiter.take("c", 3, 19.0).allowed
    assert limiter.take("c", 3, 20.0).allowed


def test_clients_have_separate_buckets_and_a_new_limit_starts_fresh() -> None:
    limiter = RateLimiter()
    assert limiter.take("a", 1, 0.0).allowed
    assert not limiter.take("a", 1, 0.0).allowed
    assert limiter.take("b", 1, 0.0).allowed
    assert limiter.take("a", 5, 0.0).allowed


def test_reset_seconds_is_time_until_full() -> None:
    limiter = RateLimiter()
    reading = limiter.take("c", 60, 0.0)
    assert (reading.limit, reading.count, reading.reset_seconds) == (60, 1, 1)
