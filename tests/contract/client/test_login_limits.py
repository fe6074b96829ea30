"""R8 against the emulator: the login service rate-limits /oauth/token per client with its own error shape;
the client waits out Retry-After and carries on, and a limit that never lifts is named as the token limit."""

from __future__ import annotations

import pytest

from flowrelease.engine.ports import AuthenticationFailed, RateLimited
from flowrelease.genesys import RetryPolicy
from tests.contract.client.conftest import Harness


async def test_a_rate_limited_token_request_is_waited_out(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(token_rate_limit_per_minute=2)
    flow_id = harness.emulator.flow_id("Support IVR")
    for _ in range(2):  # two processes start and each asks for a token: the per-minute budget is spent
        await harness.client().get_flow(flow_id)

    flow = await harness.client().get_flow(flow_id)  # a third asks within the same minute

    assert flow.id == flow_id
    limited = harness.emulator.control.request_log(method="POST", path="/oauth/token", status=429)
    assert len(limited) >= 1 and harness.time.sleeps, "Retry-After was honoured, not hammered"
    assert max(harness.time.sleeps) <= 60.0


async def test_a_token_limit_that_never_lifts_is_a_rate_limit_not_bad_credentials(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(token_rate_limit_per_minute=1)
    flow_id = harness.emulator.flow_id("Support IVR")
    await harness.client().get_flow(flow_id)

    with pytest.raises(RateLimited) as caught:
        await harness.client(retry=RetryPolicy(max_attempts=1)).get_flow(flow_id)

    assert not isinstance(caught.value, AuthenticationFailed)
    assert "login service rate-limits token requests" in str(caught.value)
    assert harness.emulator.client_secret not in str(caught.value)
