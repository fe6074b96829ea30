"""Login, token expiry and rate limiting as the official SDK meets them."""

from __future__ import annotations

import json

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from tests.contract.sdk.conftest import login
from tests.support.emulator import EmulatorHandle


def seed_client(emulator: EmulatorHandle, **limits: int) -> None:
    emulator.control.seed({"clients": [{"id": "ci-bot", "secret": "ci-secret", **limits}]})


def test_sdk_logs_in_with_client_credentials(emulator: EmulatorHandle) -> None:
    client = login(emulator.base_url, emulator.client_id, emulator.client_secret)
    assert client.access_token
    assert sdk.ArchitectApi(client).get_flows().total == 3


def test_wrong_secret_is_refused_with_oauth_error_json(emulator: EmulatorHandle) -> None:
    with pytest.raises(ApiException) as refused:
        login(emulator.base_url, emulator.client_id, "wrong")
    assert refused.value.status == 401
    assert json.loads(refused.value.body)["error"] == "invalid_client"


def test_expired_token_gets_401_with_error_body(emulator: EmulatorHandle) -> None:
    seed_client(emulator, tokenTtlSeconds=300)
    architect = sdk.ArchitectApi(login(emulator.base_url, "ci-bot", "ci-secret"))
    architect.get_flows()
    emulator.control.advance_clock(301)
    with pytest.raises(ApiException) as expired:
        architect.get_flows()
    assert expired.value.status == 401
    body = json.loads(expired.value.body)
    assert (body["status"], body["code"]) == (401, "bad.credentials")
    assert body["contextId"]
    fresh = sdk.ArchitectApi(login(emulator.base_url, "ci-bot", "ci-secret"))
    assert fresh.get_flows().total == 3


def test_429_with_retry_after_then_success_after_waiting(emulator: EmulatorHandle) -> None:
    """The SDK (urllib3 Retry) honours Retry-After on 429 and retries; the request log shows both answers."""
    seed_client(emulator, rateLimitPerMinute=20)  # a token every 3 s: none comes back before the SDK's try
    client = login(emulator.base_url, "ci-bot", "ci-secret")
    headers = {"Authorization": f"Bearer {client.access_token}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as http:
        statuses = [http.get("/api/v2/flows").status_code for _ in range(20)]
        limited = http.get("/api/v2/flows")
        while limited.status_code != 429 and len(statuses) < 200:  # the bucket refills while we drain it
            statuses.append(limited.status_code)
            limited = http.get("/api/v2/flows")
    assert set(statuses) == {200}
    assert limited.status_code == 429
    wait = limited.headers["Retry-After"]
    assert wait in {"1", "2", "3"}, "whole seconds until the next token (one per 3 s), at least 1"
    body = limited.json()
    assert body["code"] == "too.many.requests.retry.after"
    assert body["message"] == f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds"

    assert sdk.ArchitectApi(client).get_flows().total == 3
    answers = [e["status"] for e in emulator.control.request_log(client_id="ci-bot", path="/api/v2/flows")]
    assert answers[-3:] == [429, 429, 200]  # ours, the SDK's first try, its retry after Retry-After


def test_429_from_a_fault_rule_is_retried_by_the_sdk(
    emulator: EmulatorHandle, api_client: sdk.ApiClient
) -> None:
    emulator.control.add_fault(path="/api/v2/flows", method="GET", status=429, retry_after_seconds=1, count=1)
    assert sdk.ArchitectApi(api_client).get_flows().total == 3
    assert [e["status"] for e in emulator.control.request_log(path="/api/v2/flows")] == [429, 200]


def test_the_sdk_waits_out_a_rate_limited_token_endpoint(emulator: EmulatorHandle) -> None:
    """The login service's 429 (Retry-After, `{error, description, error_description}`) is retried."""
    emulator.control.set_behaviour(token_rate_limit_per_minute=20)  # a token every 3 s
    statuses: list[int] = []
    with httpx.Client(base_url=emulator.base_url) as http:
        while len(statuses) < 100 and 429 not in statuses:  # the bucket refills while we drain it
            answer = http.post(
                "/oauth/token",
                auth=(emulator.client_id, emulator.client_secret),
                data={"grant_type": "client_credentials"},
            )
            statuses.append(answer.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200} and len(statuses) > 20
    wait = answer.headers["Retry-After"]
    assert wait in {"1", "2", "3"}, "whole seconds until the next token (one per 3 s), at least 1"
    message = f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds"
    assert answer.json() == {
        "error": "too_many_requests",
        "description": message,
        "error_description": message,
    }
    client = login(emulator.base_url, emulator.client_id, emulator.client_secret)
    assert sdk.ArchitectApi(client).get_flows().total == 3
    answers = [e["status"] for e in emulator.control.request_log(path="/oauth/token")]
    assert answers[-3:] == [429, 429, 200], "ours, the SDK's first try, its retry after Retry-After"


def test_no_inin_ratelimit_headers_reach_the_sdk_unless_asked(emulator: EmulatorHandle) -> None:
    client = login(emulator.base_url, emulator.client_id, emulator.client_secret)
    sdk.ArchitectApi(client).get_flows()
    headers = {k.lower(): v for k, v in client.last_response.getheaders().items()}
    assert headers["inin-correlation-id"] and not [h for h in headers if h.startswith("inin-ratelimit")]
    emulator.control.set_behaviour(rate_limit_headers=True)
    sdk.ArchitectApi(client).get_flows()
    headers = {k.lower(): v for k, v in client.last_response.getheaders().items()}
    assert int(headers["inin-ratelimit-allowed"]) == 300
