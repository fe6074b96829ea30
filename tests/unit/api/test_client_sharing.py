"""Who shares a Genesys client (and its token): releases with the same org, client id AND secret, in both
shells (`local.wiring.GenesysClients` for sync, `k8s.engine_cache.EngineCache` for the operator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from flowrelease.api.client_keys import ClientKeys
from flowrelease.api.manifests import GenesysCredentials as LocalCredentials
from flowrelease.genesys import RateLimiterRegistry
from flowrelease.k8s.engine_cache import SECRETS_PER_CLIENT, EngineCache
from flowrelease.k8s.secrets import GenesysCredentials as KubeCredentials
from flowrelease.local.wiring import GenesysClients

Use = tuple[str, str, str]
"""(environment, client id, client secret)"""

# case id, first use, second use, shared?, reason
CASES: list[tuple[str, Use, Use, bool, str]] = [
    ("same-everything", ("mypurecloud.com", "c", "s1"), ("mypurecloud.com", "c", "s1"), True, "one client"),
    (
        "other-secret",
        ("mypurecloud.com", "c", "s1"),
        ("mypurecloud.com", "c", "wrong"),
        False,
        "wrong secret",
    ),
    ("other-client", ("mypurecloud.com", "c", "s1"), ("mypurecloud.com", "d", "s1"), False, "another client"),
    ("other-org", ("mypurecloud.com", "c", "s1"), ("mypurecloud.ie", "c", "s1"), False, "another org"),
    ("region-alias", ("mypurecloud.com", "c", "s1"), ("us-east-1", "c", "s1"), True, "one org, two names"),
]


async def _sync_clients(http: httpx.AsyncClient) -> Callable[[Use], Any]:
    clients = GenesysClients(http)
    return lambda use: clients.for_release(use[0], LocalCredentials(use[1], use[2], "test"))


async def _operator_engines(http: httpx.AsyncClient) -> Callable[[Use], Any]:
    engines = EngineCache(http, RateLimiterRegistry(), lambda client, org: client)  # type: ignore[arg-type,return-value]
    return lambda use: engines.engine_for(use[0], KubeCredentials(use[1], use[2]))[0]


@pytest.mark.parametrize("shell", [_sync_clients, _operator_engines], ids=["sync", "operator"])
@pytest.mark.parametrize(("case", "first", "second", "shared", "reason"), CASES, ids=[c[0] for c in CASES])
async def test_a_client_is_shared_only_with_the_same_org_client_id_and_secret(
    shell: Callable[[httpx.AsyncClient], Any], case: str, first: Use, second: Use, shared: bool, reason: str
) -> None:
    async with httpx.AsyncClient() as http:
        client_for = await shell(http)
        one, two = client_for(first), client_for(second)
        assert (one is two) is shared, reason
        assert client_for(first) is one, "asking again gives the same client"


async def test_the_operator_keeps_clients_for_alternating_secrets_and_forgets_the_oldest() -> None:
    async with httpx.AsyncClient() as http:
        engines = EngineCache(http, RateLimiterRegistry(), lambda client, org: client)  # type: ignore[arg-type,return-value]
        right = engines.engine_for("mypurecloud.com", KubeCredentials("c", "right"))[0]
        wrong = engines.engine_for("mypurecloud.com", KubeCredentials("c", "wrong"))[0]
        assert engines.engine_for("mypurecloud.com", KubeCredentials("c", "right"))[0] is right
        assert engines.engine_for("mypurecloud.com", KubeCredentials("c", "wrong"))[0] is wrong
        for index in range(SECRETS_PER_CLIENT):
            engines.engine_for("mypurecloud.com", KubeCredentials("c", f"rotated-{index}"))
        assert len(engines) == SECRETS_PER_CLIENT
        assert engines.engine_for("mypurecloud.com", KubeCredentials("c", "right"))[0] is not right


def test_client_keys_compare_secrets_without_holding_them() -> None:
    keys = ClientKeys()
    key = keys.key_for("https://api.mypurecloud.com", "c", "very-secret-value")
    assert "very-secret-value" not in repr(key) and "very-secret-value" not in key.secret_digest
    assert key == keys.key_for("https://api.mypurecloud.com", "c", "very-secret-value")
    assert key != keys.key_for("https://api.mypurecloud.com", "c", "very-secret-valuf")
    assert (
        key.secret_digest
        != ClientKeys().key_for("https://api.mypurecloud.com", "c", "very-secret-value").secret_digest
    )


async def test_sync_records_every_rate_limit_wait_in_its_metrics() -> None:
    from flowrelease.audit.metrics import ReleaseMetrics

    metrics = ReleaseMetrics()
    async with httpx.AsyncClient() as http:
        limiter = GenesysClients(http, metrics).limiters.for_target("mypurecloud.com", "c")
        limiter.pause(0.05)  # as after a 429 with Retry-After
        await limiter.acquire()
    waited = metrics.registry.get_sample_value("flowrelease_genesys_rate_limit_wait_seconds_sum")
    assert waited is not None and waited >= 0.05, "every wait goes through rate_limit_sleep"
