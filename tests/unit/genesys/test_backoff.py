from __future__ import annotations

import random

import pytest

from flowrelease.genesys import RetryPolicy


def test_backoff_grows_exponentially_with_equal_jitter_and_caps() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(7)
    for retry, ceiling in [
        (1, 0.5),
        (2, 1.0),
        (3, 2.0),
        (4, 4.0),
        (5, 8.0),
        (6, 8.0),
        (12, 8.0),
        (5000, 8.0),
    ]:
        delays = [policy.backoff(retry, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4, "jitter spreads the fleet"


def test_backoff_is_reproducible_with_a_seeded_generator() -> None:
    policy = RetryPolicy()
    first = [policy.backoff(n, random.Random(42)) for n in range(1, 6)]
    again = [policy.backoff(n, random.Random(42)) for n in range(1, 6)]
    assert first == again


@pytest.mark.parametrize(
    ("header", "expected", "reason"),
    [
        ("3", 3.0, "integer seconds, as Genesys sends"),
        (" 2.5 ", 2.5, "a float is tolerated"),
        ("58", 58.0, "the largest value seen from Genesys is kept"),
        ("600", 60.0, "clamped to retry_after_cap"),
        ("0", 0.0, "zero means try now"),
        ("soon", 5.0, "unreadable falls back to the default"),
        ("-4", 5.0, "negative falls back to the default"),
        (None, 5.0, "missing falls back to the default"),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float, reason: str) -> None:
    assert RetryPolicy(retry_after_cap=60.0, retry_after_default=5.0).retry_after(header) == expected, reason
