"""Every failure the choke point handles, injected by the emulator over loopback."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from flowrelease.engine.ports import AuthenticationFailed, PermissionDenied, Timeout, Transient
from flowrelease.genesys import (
    GenesysAuthenticationFailed,
    GenesysServerError,
    GenesysTimeout,
    GenesysTransportError,
    RateLimiterRegistry,
    RetryPolicy,
)
from flowrelease.genesys.http_senders import SendError, SendFailure
from tests.contract.client.conftest import Harness

FLOWS = "/api/v2/flows/*"


def token_requests(harness: Harness) -> int:
    return harness.control_count(method="POST", path="/oauth/token")


async def test_a_token_expired_mid_run_is_refreshed_once_and_the_call_succeeds(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    await client.get_flow(flow_id)
    harness.emulator.control.advance_clock(86_400 + 1)
    flow = await client.get_flow(flow_id)
    assert flow.id == flow_id
    assert token_requests(harness) == 2
    assert harness.control_count(path="/api/v2/flows/*", status=401) == 1
    assert len(harness.bearer_tokens) == 2


async def test_the_token_is_renewed_before_it_expires_without_a_401(harness: Harness) -> None:
    harness.emulator.control.seed(
        {"clients": [{"id": "short-lived", "secret": "short-secret", "tokenTtlSeconds": 600}]}
    )
    client = harness.client(client_id="short-lived", client_secret="short-secret")
    flow_id = harness.emulator.flow_id("Support IVR")
    await client.get_flow(flow_id)
    await harness.time.sleep(541)
    await client.get_flow(flow_id)
    assert token_requests(harness) == 2
    assert harness.control_count(status=401) == 0


async def test_concurrent_first_calls_fetch_one_token(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    await asyncio.gather(*(client.get_flow(flow_id) for _ in range(10)))
    assert token_requests(harness) == 1


async def test_a_wrong_secret_is_authentication_failed_and_never_shows_the_secret(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "definitely-the-wrong-secret-0451"
    with pytest.raises(GenesysAuthenticationFailed) as caught:
        await harness.client(client_secret=wrong).get_flow("any")
    text = f"{caught.value} {caught.value!r}"
    assert "check clientId and clientSecret" in text and harness.emulator.client_id in text
    assert wrong not in text and wrong not in caplog.text
    assert token_requests(harness) == 1, "refused credentials are not retried"


async def test_a_token_refused_after_refresh_is_authentication_failed(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=401, code="bad.credentials")
    with pytest.raises(AuthenticationFailed) as caught:
        await harness.client().get_flow(harness.emulator.flow_id("Support IVR"))
    assert "freshly issued access token" in str(caught.value)
    assert token_requests(harness) == 2, "exactly one refresh"
    assert harness.control_count(method="GET", path=FLOWS) == 2


async def test_403_names_the_missing_view_permission(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=403, count=1)
    with pytest.raises(PermissionDenied, match="lacks permission architect:flow:view"):
        await harness.client().get_flow(harness.emulator.flow_id("Support IVR"))


async def test_a_429_storm_with_retry_after_is_survived(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=429, count=5, retry_after_seconds=2)
    limiter = harness.limiter()
    flow = await harness.client(limiter=limiter).get_flow(harness.emulator.flow_id("Support IVR"))
    assert flow.name == "Support IVR"
    assert harness.control_count(method="GET", path=FLOWS, status=429) == 5
    assert sum(harness.time.sleeps) >= 10.0, "each Retry-After was waited out"


async def test_a_429_storm_longer_than_the_budget_is_rate_limited_with_retry_after(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=429, retry_after_seconds=30)
    client = harness.client(retry=RetryPolicy(max_attempts=10, max_wait_seconds=100.0))
    with pytest.raises(Transient) as caught:
        await client.get_flow(harness.emulator.flow_id("Support IVR"))
    assert caught.value.retry_after == 30.0
    assert harness.control_count(method="GET", path=FLOWS) == 4, "3 waits of 30 s fit in 100 s"


async def test_a_fleet_sharing_a_limiter_stays_under_a_low_org_limit(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(rate_limit_headers=True)  # off by default since issue 10 (R8)
    harness.emulator.control.seed(
        {"clients": [{"id": "slow-client", "secret": "slow-secret", "rateLimitPerMinute": 30}]}
    )
    registry = RateLimiterRegistry(300, clock=harness.time.clock, sleep=harness.time.sleep)
    limiter = registry.for_target(harness.emulator.base_url, "slow-client")
    releases = [
        harness.client(client_id="slow-client", client_secret="slow-secret", limiter=limiter)
        for _ in range(3)
    ]
    flow_id = harness.emulator.flow_id("Support IVR")
    for _ in range(20):
        for client in releases:
            await client.get_flow(flow_id)
    assert harness.control_count(method="GET", path=FLOWS, status=200) == 60
    assert harness.control_count(status=429) == 0, "the limiter read inin-ratelimit-* and slowed down"
    assert limiter.rate_per_minute == 30


async def test_a_concurrent_burst_over_the_org_limit_converges(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(rate_limit_headers=True)  # off by default since issue 10 (R8)
    harness.emulator.control.seed(
        {"clients": [{"id": "burst-client", "secret": "burst-secret", "rateLimitPerMinute": 20}]}
    )
    limiter = harness.limiter(300)
    client = harness.client(client_id="burst-client", client_secret="burst-secret", limiter=limiter)
    flow_id = harness.emulator.flow_id("Support IVR")
    flows = await asyncio.gather(*(client.get_flow(flow_id) for _ in range(30)))
    assert {flow.id for flow in flows} == {flow_id}
    assert harness.control_count(method="GET", path=FLOWS, status=200) == 30
    assert harness.control_count(status=429) > 0, "the burst did run into the org limit"
    assert limiter.rate_per_minute == 20


async def test_a_5xx_burst_is_retried_with_growing_backoff(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=503, count=3)
    flow = await harness.client().get_flow(harness.emulator.flow_id("Support IVR"))
    assert flow.name == "Support IVR"
    assert harness.control_count(method="GET", path=FLOWS) == 4
    assert len(harness.time.sleeps) == 3 and harness.time.sleeps == sorted(harness.time.sleeps)


async def test_persistent_5xx_gives_up_after_the_bounded_attempts(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", status=500)
    with pytest.raises(GenesysServerError) as caught:
        await harness.client().get_flow(harness.emulator.flow_id("Support IVR"))
    assert isinstance(caught.value, Transient)
    assert "will try again later" in str(caught.value)
    assert harness.control_count(method="GET", path=FLOWS) == 6


async def test_latency_beyond_the_timeout_is_a_timeout(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=FLOWS, method="GET", latency_ms=1500)
    async with harness.impatient(0.25) as impatient:
        client = harness.client(http=impatient, retry=RetryPolicy(max_attempts=2))
        with pytest.raises(GenesysTimeout) as caught:
            await client.get_flow(harness.emulator.flow_id("Support IVR"))
    assert isinstance(caught.value, Timeout)
    cause = caught.value.__cause__
    assert isinstance(cause, SendError) and cause.failure is SendFailure.TIMEOUT and cause.sent
    assert len(harness.time.sleeps) == 1, "retried once, then surfaced"


async def test_a_slow_publish_is_not_sent_twice(harness: Harness) -> None:
    harness.emulator.control.add_fault(path="/api/v2/flows/actions/publish", latency_ms=1500, count=1)
    async with harness.impatient(0.25) as impatient:
        client = harness.client(http=impatient)
        with pytest.raises(Timeout):
            await client.publish_version(harness.emulator.flow_id("Support IVR"), "3.0")
    assert [r.path for r in harness.sent if r.method == "POST" and "publish" in r.path] == [
        "/api/v2/flows/actions/publish"
    ]


async def test_connection_refused_is_a_transport_error_after_bounded_retries(harness: Harness) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = harness.client(base_url=f"http://127.0.0.1:{closed_port}", retry=RetryPolicy(max_attempts=3))
    with pytest.raises(GenesysTransportError) as caught:
        await client.get_flow("f")
    assert isinstance(caught.value, Transient)
    cause = caught.value.__cause__
    assert isinstance(cause, SendError) and cause.failure is SendFailure.NOT_CONNECTED and not cause.sent
    assert "check spec.genesys.environment" in str(caught.value)
    assert len(harness.time.sleeps) == 2


async def test_no_secret_or_token_in_any_error_or_log_record(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    control = harness.emulator.control
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    errors: list[BaseException] = []
    control.add_fault(path=FLOWS, method="GET", status=503, count=2)
    control.add_fault(path="/api/v2/flows/actions/publish", status=429, count=1, retry_after_seconds=1)
    await client.get_flow(flow_id)
    await client.publish_version(flow_id, "3.0")
    control.advance_clock(90_000)
    await client.get_flow(flow_id)
    control.add_fault(path=FLOWS, method="GET", status=401)
    control.add_fault(path="/api/v2/flows/actions/publish", status=403)
    for call in (client.get_flow(flow_id), client.publish_version(flow_id, "1.0")):
        try:
            await call
        except Exception as exc:
            errors.append(exc)
    assert len(errors) == 2
    tokens = harness.bearer_tokens
    assert len(tokens) >= 2
    secrets = {harness.emulator.client_secret, *tokens}
    rendered = [f"{e} {e!r} {e.args}" for e in errors] + [r.getMessage() for r in caplog.records]
    assert caplog.records, "the retries were logged"
    for text in rendered:
        for secret in secrets:
            assert secret not in text
