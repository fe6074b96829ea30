"""Wire details the SDK hides: ErrorBody everywhere, headers, OAuth errors, list styles, bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.support.emulator import EmulatorHandle

ERROR_BODY_KEYS = {"message", "code", "status", "contextId", "details", "errors"}


@pytest.fixture
def http(emulator: EmulatorHandle) -> httpx.Client:
    client = httpx.Client(base_url=emulator.base_url, timeout=10.0)
    token = client.post(
        "/oauth/token",
        auth=(emulator.client_id, emulator.client_secret),
        data={"grant_type": "client_credentials"},
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def assert_error_body(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == ERROR_BODY_KEYS
    assert (body["status"], body["code"]) == (status, code)
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]


def test_token_response_and_oauth_errors(emulator: EmulatorHandle) -> None:
    with httpx.Client(base_url=emulator.base_url) as client:
        good = client.post(
            "/oauth/token",
            auth=(emulator.client_id, emulator.client_secret),
            data={"grant_type": "client_credentials"},
        )
        assert set(good.json()) == {"access_token", "token_type", "expires_in"}
        assert good.json()["expires_in"] == 86_400
        bad = client.post(
            "/oauth/token", auth=(emulator.client_id, "nope"), data={"grant_type": "client_credentials"}
        )
        assert bad.status_code == 401
        assert set(bad.json()) == {"error", "description", "error_description"}
        grant = client.post(
            "/oauth/token", auth=(emulator.client_id, emulator.client_secret), data={"grant_type": "password"}
        )
        assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


def test_rate_and_correlation_headers_on_normal_responses(
    emulator: EmulatorHandle, http: httpx.Client
) -> None:
    emulator.control.set_behaviour(rate_limit_headers=True)  # off by default since issue 10 (R8)
    first = http.get("/api/v2/flows")
    second = http.get("/api/v2/flows")
    assert first.headers["inin-ratelimit-allowed"] == "300"
    assert (first.headers["inin-ratelimit-count"], second.headers["inin-ratelimit-count"]) == ("1", "2")
    assert int(second.headers["inin-ratelimit-reset"]) >= 1
    assert first.headers["ININ-Correlation-Id"] != second.headers["ININ-Correlation-Id"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/api/v2/nowhere", {}, 404, "not.found"),
        ("PATCH", "/api/v2/flows", {}, 405, "method.not.allowed"),
        ("GET", "/api/v2/flows/not-a-flow", {}, 404, "not.found"),
        ("POST", "/api/v2/flows", {"content": b"{not json"}, 400, "bad.request"),
        ("POST", "/api/v2/flows", {"json": {"name": "X", "type": "NOPE"}}, 400, "bad.request"),
        ("GET", "/api/v2/flows?type=INBOUNDCALL", {}, 400, "bad.request"),
        ("GET", "/api/v2/flows?pageSize=501", {}, 400, "response.entity.too.large"),
        ("GET", "/api/v2/flows?pageNumber=zero", {}, 400, "bad.request"),
        ("GET", "/api/v2/flows?deleted=maybe", {}, 400, "bad.request"),
        ("POST", "/api/v2/flows/actions/publish", {}, 400, "bad.request"),
        ("POST", "/api/v2/flows/actions/explode?flow=x", {}, 404, "not.found"),
        ("GET", "/api/v2/flows/jobs/unknown", {}, 404, "not.found"),
        (
            "GET",
            "/api/v2/architect/dependencytracking/consumedresources?id=x&version=1.0",
            {},
            400,
            "bad.request",
        ),
        (
            "POST",
            "/api/v2/analytics/flows/aggregates/query",
            {"json": {"metrics": ["nFlow"]}},
            400,
            "bad.request",
        ),
    ],
)
def test_bad_requests_get_the_right_status_and_an_error_body(
    http: httpx.Client, method: str, path: str, kwargs: dict[str, object], status: int, code: str
) -> None:
    assert_error_body(http.request(method, path, **kwargs), status, code)  # type: ignore[arg-type]


def test_missing_and_garbage_tokens_are_401(emulator: EmulatorHandle) -> None:
    with httpx.Client(base_url=emulator.base_url) as client:
        assert_error_body(client.get("/api/v2/flows"), 401, "authentication.required")
        assert_error_body(
            client.get("/api/v2/flows", headers={"Authorization": "Bearer x"}), 401, "bad.credentials"
        )


def test_fault_rules_inject_status_latency_and_429(http: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.control.add_fault(path="/api/v2/flows", method="GET", status=503, count=1)
    assert_error_body(http.get("/api/v2/flows"), 503, "service.unavailable")
    assert http.get("/api/v2/flows").status_code == 200
    emulator.control.add_fault(path="/api/v2/flows/*", status=429, retry_after_seconds=7, count=1)
    limited = http.get(f"/api/v2/flows/{emulator.flow_id('Support IVR')}")
    assert_error_body(limited, 429, "too.many.requests.retry.after")
    assert limited.headers["Retry-After"] == "7"


def test_upload_needs_the_presigned_headers(http: httpx.Client) -> None:
    job = http.post("/api/v2/flows/jobs").json()
    refused = httpx.put(job["presignedUrl"], content=b"inboundCall: {}")
    assert refused.status_code == 403
    assert http.get(f"/api/v2/flows/jobs/{job['id']}").json()["status"] == "Registered"


def test_request_log_counts_calls_without_secrets(http: httpx.Client, emulator: EmulatorHandle) -> None:
    emulator.control.clear_request_log()
    http.get("/api/v2/flows")
    http.get("/api/v2/flows/nope")
    log = emulator.control.request_log(path="/api/v2/flows*")
    assert [(e["method"], e["status"], e["clientId"]) for e in log] == [
        ("GET", 200, emulator.client_id),
        ("GET", 404, emulator.client_id),
    ]
    dumped = str(emulator.control.request_log())
    assert emulator.client_secret not in dumped and "Bearer" not in dumped


def test_download_signatures_are_redacted_in_the_request_log(
    http: httpx.Client, emulator: EmulatorHandle
) -> None:
    job = http.post(
        "/api/v2/flows/export/jobs", json={"flows": [{"flow": {"id": emulator.flow_id("Support IVR")}}]}
    ).json()
    url = http.get(f"/api/v2/flows/export/jobs/{job['id']}").json()["downloadUrl"]
    assert httpx.get(url).status_code == 200
    signature = url.split("signature=")[1]
    (entry,) = emulator.control.request_log(path="/_downloads/*")
    assert entry["query"] == "signature=REDACTED"
    assert signature not in str(emulator.control.request_log())


def test_list_filters_by_published_version_lock_division_and_publish_time(
    http: httpx.Client, emulator: EmulatorHandle
) -> None:
    def names(**params: str) -> list[str]:
        return sorted(f["name"] for f in http.get("/api/v2/flows", params=params).json()["entities"])

    assert names(publishVersionId="2.0") == ["Billing IVR", "Support IVR"]
    emulator.control.lock_flow(emulator.flow_id("Billing IVR"), client_id="ui")
    assert names(lockedByClientId="ui") == ["Billing IVR"]
    division = http.get(f"/api/v2/flows/{emulator.flow_id('Billing IVR')}").json()["division"]["id"]
    assert len(names(divisionId=division)) == 3
    assert names(divisionId="elsewhere") == []
    assert len(names(publishedAfter="2000-01-01T00:00:00Z")) == 3
    assert names(publishedBefore="2000-01-01T00:00:00Z") == []
    assert names(nameOrDescription="hold treatment") == ["Support In-Queue"]
    assert [f["name"] for f in http.get("/api/v2/flows?sortBy=name&sortOrder=desc").json()["entities"]] == [
        "Support IVR",
        "Support In-Queue",
        "Billing IVR",
    ]
