from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowrelease.genesys import RateLimiter, RateLimiterRegistry, in_flight_first
from tests.unit.genesys.virtual_time import VirtualTime


async def test_burst_up_to_capacity_then_paced_at_the_configured_rate() -> None:
    time = VirtualTime()
    limiter = RateLimiter(60, clock=time.clock, sleep=time.sleep)
    for _ in range(60):
        assert await limiter.acquire() == 0.0
    started = time.now
    for _ in range(5):
        await limiter.acquire()
    assert time.now - started == pytest.approx(5.0), "60/min refills one slot per second"


async def test_a_429_pause_holds_every_request_sharing_the_limiter() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    limiter.pause(7.0)
    waited = await asyncio.gather(*(limiter.acquire() for _ in range(3)))
    assert time.now >= 1007.0
    assert waited[0] >= 7.0
    assert all(w > 0 for w in waited), "nobody slips through during a pause"


async def test_without_any_rate_limit_headers_the_bucket_alone_paces_the_fleet() -> None:
    """R8: real orgs stopped sending inin-ratelimit-* in 2021; responses without them change nothing."""
    time = VirtualTime()
    limiter = RateLimiter(60, clock=time.clock, sleep=time.sleep)
    for _ in range(60):
        await limiter.acquire()
        limiter.observe({"content-type": "application/json", "retry-after": "30"})
    assert limiter.rate_per_minute == 60 and time.now == 1000.0
    started = time.now
    await limiter.acquire()
    assert time.now - started == pytest.approx(1.0)


async def test_header_hints_can_be_turned_off() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep, header_hints=False)
    limiter.observe({"inin-ratelimit-allowed": "10", "inin-ratelimit-count": "10"})
    assert limiter.rate_per_minute == 300 and limiter.available() == pytest.approx(300.0)


async def test_a_hint_never_raises_the_rate_above_the_configured_one() -> None:
    time = VirtualTime()
    limiter = RateLimiter(120, clock=time.clock, sleep=time.sleep)
    limiter.observe({"inin-ratelimit-allowed": "10000", "inin-ratelimit-count": "1"})
    assert limiter.rate_per_minute == 120


async def test_server_headers_lower_the_rate_to_what_the_server_allows() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    limiter.observe(
        {"inin-ratelimit-allowed": "120", "inin-ratelimit-count": "1", "inin-ratelimit-reset": "60"}
    )
    assert limiter.rate_per_minute == 120
    assert limiter.available() <= 120


async def test_nearly_used_server_window_caps_the_bucket_to_what_is_left() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    limiter.observe(
        {"inin-ratelimit-allowed": "300", "inin-ratelimit-count": "298", "inin-ratelimit-reset": "4"}
    )
    assert limiter.available() == pytest.approx(2.0)
    await limiter.acquire()
    await limiter.acquire()
    before = time.now
    await limiter.acquire()
    assert time.now - before == pytest.approx(0.2), "the third request waits for the refill pace (300/min)"


async def test_a_window_with_room_left_does_not_slow_anyone_down() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    limiter.observe({"inin-ratelimit-allowed": "300", "inin-ratelimit-count": "40"})
    assert limiter.available() == pytest.approx(300.0)


@pytest.mark.parametrize(
    "headers",
    [{}, {"inin-ratelimit-allowed": "lots"}, {"inin-ratelimit-allowed": "0"}, {"inin-ratelimit-count": "5"}],
)
def test_missing_or_garbled_headers_are_ignored(headers: dict[str, str]) -> None:
    limiter = RateLimiter(300)
    limiter.observe(headers)
    assert limiter.rate_per_minute == 300


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_per_minute"):
        RateLimiter(0)


def test_registry_shares_one_limiter_per_org_and_client() -> None:
    registry = RateLimiterRegistry(300)
    one = registry.for_target("mypurecloud.com", "client-a")
    assert registry.for_target("us-east-1", "client-a") is one
    assert registry.for_target("us_east_1", "client-a") is one
    assert registry.for_target("https://api.mypurecloud.com", "client-a") is one
    assert registry.for_target("mypurecloud.com", "client-b") is not one
    assert registry.for_target("mypurecloud.ie", "client-a") is not one
    assert registry.for_target("http://127.0.0.1:9999", "client-a") is not one


def test_registry_uses_its_configured_rate() -> None:
    assert RateLimiterRegistry(90).for_target("mypurecloud.de", "c").rate_per_minute == 90


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(min_value=0.5, max_value=1000.0),
    requests=st.integers(min_value=1, max_value=300),
    gaps=st.lists(st.floats(min_value=0.0, max_value=5.0), max_size=300),
    server=st.lists(st.tuples(st.integers(1, 600), st.integers(0, 700)), max_size=300),
)
async def test_every_request_gets_a_slot_and_no_minute_exceeds_a_burst_plus_the_rate(
    rate: float, requests: int, gaps: list[float], server: list[tuple[int, int]]
) -> None:
    time = VirtualTime()
    limiter = RateLimiter(rate, clock=time.clock, sleep=time.sleep)
    stamps: list[float] = []
    for index in range(requests):
        time.advance(gaps[index] if index < len(gaps) else 0.0)
        await asyncio.wait_for(limiter.acquire(), timeout=5.0)
        stamps.append(time.now)
        if index < len(server):
            allowed, count = server[index]
            limiter.observe({"inin-ratelimit-allowed": str(allowed), "inin-ratelimit-count": str(count)})
    for start, first in enumerate(stamps):
        in_window = sum(1 for stamp in stamps[start:] if stamp < first + 60.0)
        assert in_window <= 2 * max(1.0, rate) + 1


async def test_requests_of_work_in_flight_go_before_every_other_waiter() -> None:
    """The poll that notices a publish went live must not queue behind the new starts' requests."""
    time = VirtualTime()
    limiter = RateLimiter(60, clock=time.clock, sleep=time.sleep)
    for _ in range(60):
        await limiter.acquire()
    served: list[str] = []

    async def request(name: str, first: bool) -> None:
        if first:
            with in_flight_first():
                await limiter.acquire()
        else:
            await limiter.acquire()
        served.append(name)

    new_starts = [asyncio.create_task(request(f"new-{i}", False)) for i in range(5)]
    poll = asyncio.create_task(request("poll", True))  # arrives last, all of them waiting for a token
    await asyncio.gather(poll, *new_starts)
    assert served[0] == "poll", served
    assert served[1:] == [f"new-{i}" for i in range(5)], "the others keep their arrival order"
    assert time.now - 1000.0 == pytest.approx(6.0, abs=1.01), "still one request a second in all"


async def test_in_flight_requests_wait_out_a_429_pause_like_everyone() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    limiter.pause(5.0)
    with in_flight_first():
        waited = await limiter.acquire()
    assert waited >= 5.0
