"""R8 rate-limit headers and token-endpoint limit, R9 deleted flows, R11 start-up endpoints, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from flowrelease.emulator.state import stable_id
from tests.unit.emulator.conftest import SUPPORT_IVR, Loopback

ININ_HEADERS = ("inin-ratelimit-allowed", "inin-ratelimit-count", "inin-ratelimit-reset")


def test_r8_no_inin_ratelimit_headers_by_default_not_even_on_a_429(loopback: Loopback) -> None:
    loopback.control.seed({"clients": [{"id": "slow", "secret": "s", "rateLimitPerMinute": 1}]})
    token = loopback.login("slow", "s").json()["access_token"]
    with httpx.Client(base_url=loopback.base_url, headers={"Authorization": f"Bearer {token}"}) as slow:
        answers = [slow.get("/api/v2/flows"), slow.get("/api/v2/flows")]
    assert [a.status_code for a in answers] == [200, 429]
    for answer in answers:
        assert not [h for h in answer.headers if h.lower().startswith("inin-ratelimit")]
        assert answer.headers["ININ-Correlation-Id"]
    limited = answers[1]
    assert limited.headers["Retry-After"] == "60"
    assert limited.json()["code"] == "too.many.requests.retry.after"
    assert limited.json()["message"] == "Rate limit exceeded the maximum. Retry the request in [60] seconds"


def test_r8_the_headers_come_back_when_the_knob_asks(loopback: Loopback) -> None:
    loopback.control.set_behaviour(rate_limit_headers=True)
    first, second = loopback.http.get("/api/v2/flows"), loopback.http.get("/api/v2/flows")
    assert first.headers["inin-ratelimit-allowed"] == "300"
    assert (first.headers["inin-ratelimit-count"], second.headers["inin-ratelimit-count"]) == ("1", "2")
    assert int(second.headers["inin-ratelimit-reset"]) >= 1


def test_r8_the_token_endpoint_is_rate_limited_per_client_with_the_login_error_shape(
    loopback: Loopback,
) -> None:
    loopback.control.seed({"clients": [{"id": "other", "secret": "o"}]})
    loopback.control.set_behaviour(token_rate_limit_per_minute=2)
    answers = [loopback.login("flowrelease-demo", "flowrelease-demo-secret") for _ in range(2)]
    answers.append(loopback.login("flowrelease-demo", "wrong secret"))
    assert [a.status_code for a in answers] == [200, 200, 429], "a bad secret counts too, and is not checked"
    limited = answers[2]
    assert limited.headers["Retry-After"] == "30"
    assert limited.json() == {
        "error": "too_many_requests",
        "description": "Rate limit exceeded the maximum. Retry the request in [30] seconds",
        "error_description": "Rate limit exceeded the maximum. Retry the request in [30] seconds",
    }
    assert not [h for h in limited.headers if h.lower().startswith("inin-ratelimit")]
    assert loopback.login("other", "o").status_code == 200, "the bucket is per client id"
    loopback.advance(30)
    assert loopback.login("flowrelease-demo", "flowrelease-demo-secret").status_code == 200
    assert loopback.control.request_count(path="/oauth/token", status=429) == 1


def test_r8_the_token_endpoint_is_unlimited_without_the_knob(loopback: Loopback) -> None:
    statuses = {loopback.login("flowrelease-demo", "flowrelease-demo-secret").status_code for _ in range(61)}
    assert statuses == {200}


@pytest.mark.parametrize("status", [404, 410])
def test_r9_a_deleted_flow_answers_the_knobs_status(loopback: Loopback, status: int) -> None:
    loopback.control.set_behaviour(deleted_flow_status=status)
    assert loopback.http.delete(f"/api/v2/flows/{SUPPORT_IVR}").status_code == 200
    gone = loopback.flow()
    expected_code = {404: "not.found", 410: "gone"}[status]
    assert (gone.status_code, gone.json()["status"], gone.json()["code"]) == (status, status, expected_code)
    assert loopback.flow(deleted="true").json()["deleted"] is True
    never = loopback.flow("00000000-0000-0000-0000-000000000000")
    assert never.status_code == 404, "a flow that never existed is always 404"


def test_r11_organizations_me_has_the_fields_cx_as_code_reads(loopback: Loopback) -> None:
    organization = loopback.http.get("/api/v2/organizations/me").json()
    organization_id = stable_id("organization", "flowrelease emulator")
    assert organization == {
        "id": organization_id,
        "name": "flowrelease emulator",
        "defaultLanguage": "en-us",
        "defaultCountryCode": "US",
        "thirdPartyOrgName": "flowrelease-emulator",
        "domain": "flowrelease-emulator",
        "version": 1,
        "state": "active",
        "voicemailEnabled": True,
        "productPlatform": "GenesysCloud",
        "features": {},
        "selfUri": f"/api/v2/organizations/{organization_id}",
    }


def test_r11_authorization_products_lists_total_and_entity_ids(loopback: Loopback) -> None:
    products = loopback.http.get("/api/v2/authorization/products").json()
    assert products == {
        "entities": [{"id": "collaboratePro"}, {"id": "communicate"}, {"id": "engage"}],
        "pageSize": 3,
        "pageNumber": 1,
        "total": 3,
        "pageCount": 1,
    }


def test_r11_the_organization_is_seedable_and_both_need_a_token(loopback: Loopback) -> None:
    loopback.control.seed(
        {"organization": {"name": "Acme", "defaultCountryCode": "DE", "products": ["engage", "byoc"]}}
    )
    assert loopback.http.get("/api/v2/organizations/me").json()["defaultCountryCode"] == "DE"
    products = loopback.http.get("/api/v2/authorization/products").json()
    assert (products["total"], [p["id"] for p in products["entities"]]) == (2, ["engage", "byoc"])
    for path in ("/api/v2/organizations/me", "/api/v2/authorization/products"):
        assert httpx.get(f"{loopback.base_url}{path}").status_code == 401
    bad = httpx.post(f"{loopback.base_url}/_emulator/seed", json={"organization": {"products": "engage"}})
    assert (bad.status_code, bad.json()["details"][0]["fieldName"]) == (400, "products")
