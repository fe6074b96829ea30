"""Wire-level behaviour of the request choke point, on `httpx.MockTransport` (scripted replies).

Only what a scripted reply can prove lives here: exact request shapes, retry counts and error mapping per
status. The same behaviours against the emulator over loopback are in tests/contract/client/.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
import pytest

from flowrelease.engine.ports import (
    AuthenticationFailed,
    Conflict,
    Gone,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Timeout,
    Transient,
    Unavailable,
)
from flowrelease.genesys import (
    GenesysClient,
    GenesysErrorInfo,
    GenesysForbidden,
    GenesysServerError,
    RateLimiter,
    RetryPolicy,
)
from flowrelease.genesys.http_senders import SendError
from tests.unit.genesys.virtual_time import VirtualTime

SECRET = "s3cr3t-client-secret-value"
TOKEN = "tok-abcdef-123456"
BASE = "https://api.mypurecloud.ie"
Handler = Callable[[httpx.Request], httpx.Response]


def token_reply() -> httpx.Response:
    return httpx.Response(200, json={"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400})


def error_reply(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": "ctx-1",
        "details": [],
        "errors": [],
    }
    return httpx.Response(status, json=body, headers={"ININ-Correlation-Id": "corr-42", **headers})


class Script:
    """Answers the token request, then API requests from a list of replies (or exceptions)."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            return token_reply()
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]


def make_client(
    handler: Handler,
    time: VirtualTime,
    *,
    limiter: RateLimiter | None = None,
    seen: list[object] | None = None,
) -> GenesysClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return GenesysClient(
        http,
        base_url=BASE,
        client_id="client-1",
        client_secret=SECRET,
        limiter=limiter,
        on_response=(lambda m, r, s: seen.append((m, r, s))) if seen is not None else None,
        sleep=time.sleep,
        clock=time.clock,
        retry=RetryPolicy(max_attempts=4, max_wait_seconds=120.0),
        rng=random.Random(1),
    )


def assert_no_secrets(error: BaseException) -> None:
    text = f"{error} {error!r} {error.args}"
    assert SECRET not in text and TOKEN not in text


async def test_token_request_uses_the_login_host_basic_auth_and_the_client_credentials_grant() -> None:
    script = Script(httpx.Response(200, json={"id": "f", "name": "n", "type": "INBOUNDCALL"}))
    client = make_client(script, VirtualTime())
    await client.get_flow("f")
    token_request, api_request = script.requests
    assert str(token_request.url) == "https://login.mypurecloud.ie/oauth/token"
    assert token_request.headers["authorization"].startswith("Basic ")
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.content == b"grant_type=client_credentials"
    assert str(api_request.url) == f"{BASE}/api/v2/flows/f"
    assert api_request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_path_parameters_are_url_quoted() -> None:
    script = Script(httpx.Response(200, json={"id": "a/b", "type": "CHECKIN"}))
    client = make_client(script, VirtualTime())
    await client.get_version("flow 1", "a/b")
    assert script.api_requests[0].url.raw_path == b"/api/v2/flows/flow%201/versions/a%2Fb"


@pytest.mark.parametrize(
    ("status", "code", "category", "must_say", "reason"),
    [
        (400, "bad.request", InvalidRequest, "refused the request as invalid", "malformed request"),
        (403, "missing.permissions", PermissionDenied, "architect:flow:view", "403 names the permission"),
        (404, "not.found", NotFound, "flow f-1 does not exist (check spec.flow.id)", "404 hint per call"),
        (409, "conflict", Conflict, "spec.publish.lockPolicy", "409 points at the lock policy"),
        (413, "request.entity.too.large", InvalidRequest, "HTTP 413", "other 4xx are invalid requests"),
        (408, "timeout", Timeout, "timed out", "408 is a timeout"),
    ],
)
async def test_error_statuses_map_to_the_engine_categories_with_operator_guidance(
    status: int, code: str, category: type[Exception], must_say: str, reason: str
) -> None:
    script = Script(error_reply(status, code, "Genesys explains"))
    client = make_client(script, VirtualTime())
    with pytest.raises(category) as caught:
        await client.get_flow("f-1")
    error = caught.value
    assert must_say in str(error), reason
    assert "corr-42" in str(error) and code in str(error) and "Genesys explains" in str(error)
    assert isinstance(error, GenesysErrorInfo)
    assert error.correlation_id == "corr-42"
    assert error.route == "GET /api/v2/flows/{flowId}"
    assert getattr(error, "status", None) == status and getattr(error, "code", None) == code
    assert len(script.api_requests) == 1, "4xx are not retried"


async def test_403_on_publish_names_publish_and_unlock_permissions() -> None:
    client = make_client(Script(error_reply(403, "missing.permissions", "no")), VirtualTime())
    with pytest.raises(GenesysForbidden) as caught:
        await client.publish_version("f-1", "3.0")
    text = str(caught.value)
    assert "lacks permission architect:flow:publish (and architect:flow:unlock)" in text
    assert "add it to the client's role" in text
    assert "publishing version 3.0 of flow f-1" in text


async def test_get_is_retried_on_5xx_with_backoff_then_gives_up_as_transient() -> None:
    time = VirtualTime()
    script = Script(error_reply(503, "service.unavailable", "busy"))
    with pytest.raises(GenesysServerError) as caught:
        await make_client(script, time).get_flow("f")
    assert len(script.api_requests) == 4, "max_attempts bounds the tries"
    assert len(time.sleeps) == 3 and time.sleeps[0] < time.sleeps[1] < time.sleeps[2]
    assert isinstance(caught.value, Transient)


async def test_5xx_burst_then_success_is_survived() -> None:
    time = VirtualTime()
    ok = httpx.Response(200, json={"id": "f", "name": "n", "type": "INBOUNDCALL"})
    script = Script(error_reply(500, "e", "x"), error_reply(502, "e", "x"), ok)
    flow = await make_client(script, time).get_flow("f")
    assert flow.id == "f" and len(script.api_requests) == 3


async def test_publish_is_not_replayed_after_a_5xx_that_may_have_reached_genesys() -> None:
    script = Script(error_reply(500, "internal.server.error", "oops"))
    with pytest.raises(GenesysServerError) as caught:
        await make_client(script, VirtualTime()).publish_version("f", "3.0")
    assert len(script.api_requests) == 1
    assert isinstance(caught.value, Transient)


async def test_publish_is_not_replayed_after_a_read_timeout() -> None:
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(Timeout) as caught:
        await make_client(script, VirtualTime()).publish_version("f", "3.0")
    assert len(script.api_requests) == 1
    cause = caught.value.__cause__
    assert isinstance(cause, SendError) and cause.sent, "the cause is chained"
    assert isinstance(cause.__cause__, httpx.ReadTimeout), "down to the library's own exception"


async def test_publish_is_retried_when_the_connection_was_never_made() -> None:
    op = httpx.Response(200, json={"id": "op", "actionName": "PUBLISH", "actionStatus": "STARTED"})
    script = Script(httpx.ConnectError("refused"), op)
    operation = await make_client(script, VirtualTime()).publish_version("f", "3.0")
    assert operation.action_status == "STARTED" and len(script.api_requests) == 2


async def test_publish_is_retried_after_429_because_genesys_did_not_act() -> None:
    time = VirtualTime()
    op = httpx.Response(200, json={"id": "op", "actionName": "PUBLISH", "actionStatus": "STARTED"})
    script = Script(
        error_reply(429, "too.many.requests.retry.after", "slow down", **{"Retry-After": "3"}), op
    )
    await make_client(script, time).publish_version("f", "3.0")
    assert time.sleeps == [3.0]
    assert len(script.api_requests) == 2


async def test_429_retry_after_is_clamped_and_the_wait_is_bounded() -> None:
    time = VirtualTime()
    script = Script(error_reply(429, "too.many.requests.retry.after", "slow", **{"Retry-After": "600"}))
    with pytest.raises(RateLimited) as caught:
        await make_client(script, time).get_flow("f")
    assert time.sleeps == [60.0, 60.0], "clamped to 60 s, stopped before 120 s of waiting is exceeded"
    assert caught.value.retry_after == 60.0
    assert "will try again after 60 s" in str(caught.value)


async def test_429_pauses_the_shared_limiter_instead_of_sleeping_alone() -> None:
    time = VirtualTime()
    limiter = RateLimiter(300, clock=time.clock, sleep=time.sleep)
    ok = httpx.Response(200, json={"id": "f", "name": "n", "type": "INBOUNDCALL"})
    script = Script(error_reply(429, "too.many.requests.retry.after", "slow", **{"Retry-After": "4"}), ok)
    await make_client(script, time, limiter=limiter).get_flow("f")
    assert limiter.paused_until == pytest.approx(1004.0)
    assert time.now >= 1004.0


async def test_401_fetches_one_new_token_then_gives_up_with_authentication_failed() -> None:
    script = Script(error_reply(401, "bad.credentials", "expired"))
    with pytest.raises(AuthenticationFailed) as caught:
        await make_client(script, VirtualTime()).get_flow("f")
    assert [r.url.path for r in script.requests] == [
        "/oauth/token",
        "/api/v2/flows/f",
        "/oauth/token",
        "/api/v2/flows/f",
    ]
    assert "client-1" in str(caught.value)
    assert_no_secrets(caught.value)


async def test_wrong_secret_is_authentication_failed_without_the_secret_even_if_echoed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        echo = f"invalid client secret {SECRET}"
        return httpx.Response(401, json={"error": "invalid_client", "error_description": echo})

    with pytest.raises(AuthenticationFailed) as caught:
        await make_client(handler, VirtualTime()).get_flow("f")
    text = str(caught.value)
    assert "check clientId and clientSecret" in text and "invalid_client" in text and "[redacted]" in text
    assert_no_secrets(caught.value)


async def test_token_response_without_access_token_is_an_authentication_failure() -> None:
    client = make_client(lambda r: httpx.Response(200, json={"nope": 1}), VirtualTime())
    with pytest.raises(AuthenticationFailed, match="no access_token"):
        await client.get_flow("f")


async def test_non_json_success_body_is_a_transient_bad_response() -> None:
    script = Script(httpx.Response(200, content=b"<html>gateway</html>"))
    with pytest.raises(Transient, match="not JSON"):
        await make_client(script, VirtualTime()).get_flow("f")


async def test_presigned_upload_gets_its_headers_but_never_the_bearer_token() -> None:
    script = Script(httpx.Response(200))
    client = make_client(script, VirtualTime())
    await client.upload_import(
        "https://uploads.s3.example/abc?X-Amz-Signature=1",
        {"x-amz-meta-a": "1", "Content-Type": "text/yaml"},
        "a: 1",
    )
    (upload,) = script.api_requests
    assert upload.method == "PUT" and upload.url.host == "uploads.s3.example"
    assert "authorization" not in upload.headers
    assert upload.headers["x-amz-meta-a"] == "1" and upload.headers["content-type"] == "text/yaml"
    assert upload.content == b"a: 1"


async def test_on_response_reports_every_response_with_the_route_template() -> None:
    seen: list[object] = []
    ok = httpx.Response(200, json={"id": "f", "name": "n", "type": "INBOUNDCALL"})
    script = Script(error_reply(503, "e", "x"), ok)
    await make_client(script, VirtualTime(), seen=seen).get_flow("f-123")
    assert seen == [
        ("POST", "/oauth/token", 200),
        ("GET", "/api/v2/flows/{flowId}", 503),
        ("GET", "/api/v2/flows/{flowId}", 200),
    ]


async def test_find_flow_pages_and_matches_the_exact_name_client_side() -> None:
    pages = {
        "1": {"entities": [{"id": "a", "name": "Support IVR 2", "type": "INBOUNDCALL"}], "pageCount": 2},
        "2": {"entities": [{"id": "b", "name": "Support IVR", "type": "INBOUNDCALL"}], "pageCount": 2},
    }
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/oauth/token":
            return token_reply()
        if request.url.path == "/api/v2/flows/b":
            full = {"id": "b", "name": "Support IVR", "type": "INBOUNDCALL", "lockedUser": {"id": "u"}}
            return httpx.Response(200, json=full)
        return httpx.Response(200, json=pages[request.url.params["pageNumber"]])

    flow = await make_client(handler, VirtualTime()).find_flow(name="Support IVR", flow_type="inboundcall")
    assert flow is not None and flow.id == "b"
    assert flow.lock is not None, "the match is read whole with GET /flows/{id}"
    params = requests[1].url.params
    assert (params["name"], params["type"], params["pageSize"]) == ("Support IVR", "inboundcall", "100")
    assert [r.url.path for r in requests[1:]] == ["/api/v2/flows", "/api/v2/flows", "/api/v2/flows/b"]


async def test_find_flow_with_two_exact_matches_asks_for_the_id() -> None:
    body = {"entities": [{"id": i, "name": "Dup", "type": "INBOUNDCALL"} for i in ("x", "y")], "pageCount": 1}
    client = make_client(Script(httpx.Response(200, json=body)), VirtualTime())
    with pytest.raises(Conflict, match=r"set spec\.flow\.id"):
        await client.find_flow(name="Dup", flow_type="inboundcall")


async def test_find_flow_without_id_or_name_and_type_names_the_fields() -> None:
    client = make_client(Script(httpx.Response(200)), VirtualTime())
    with pytest.raises(
        InvalidRequest, match=r"spec\.flow\.id, or both spec\.flow\.name and spec\.flow\.type"
    ):
        await client.find_flow(name="only a name")


async def test_client_repr_shows_no_secret() -> None:
    client = make_client(Script(httpx.Response(200)), VirtualTime())
    assert SECRET not in repr(client) and "client-1" in repr(client)


async def test_the_verify_query_scopes_the_flow_and_the_published_version() -> None:
    script = Script(httpx.Response(200, json={}))
    sample = await make_client(script, VirtualTime()).flow_version_sample(
        "f-1", "3.0", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 1, 0, 0, 250000, tzinfo=UTC)
    )
    body = json.loads(script.api_requests[0].content)
    assert body["interval"] == "2025-01-01T00:00:00.000Z/2025-01-01T01:00:00.250Z"
    assert [(p["dimension"], p["value"]) for p in body["filter"]["predicates"]] == [
        ("flowId", "f-1"),
        ("flowVersion", "3.0"),
    ]
    assert body["metrics"][0] == "nFlow" and sample.entries == 0, "{} is no data, not an error"


async def test_an_empty_window_asks_nothing() -> None:
    script = Script(httpx.Response(200, json={}))
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    sample = await make_client(script, VirtualTime()).flow_version_sample("f-1", "3.0", moment, moment)
    assert sample.entries == 0 and script.api_requests == []


class ExportScript:
    """An export that registers, finishes with `final`, and serves the download with `download`."""

    def __init__(self, final: Mapping[str, object], download: httpx.Response) -> None:
        self.final = final
        self.download = download
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/oauth/token":
            return token_reply()
        if path == "/api/v2/flows/export/jobs":
            return httpx.Response(200, json={"id": "job-1", "status": "Registered"})
        if path == "/api/v2/flows/export/jobs/job-1":
            return httpx.Response(200, json={"id": "job-1", **self.final})
        if path == "/signed/export.yaml":
            return self.download
        if path == "/api/v2/flows/f-1":
            return httpx.Response(200, json={"id": "f-1", "name": "Support IVR", "type": "INBOUNDCALL"})
        if path == "/api/v2/flows/f-1/versions/3.0/configuration":
            return httpx.Response(200, json={"inboundCall": {}})
        return httpx.Response(404, json={"code": "not.found", "message": path})


async def test_an_export_job_reads_its_download_url_and_archys_throttling() -> None:
    final = {"status": "Success", "downloadUrl": "https://files.example/signed/export.yaml?sig=1"}
    client = make_client(ExportScript(final, httpx.Response(200)), VirtualTime())
    assert await client.start_export("f-1", "3.0") == "job-1"
    job = await client.get_export_job("job-1")
    assert (job.status, job.download_url, job.throttled) == ("Success", final["downloadUrl"], False)

    throttled = {
        "status": "Failure",
        "messages": [{"type": "Error", "text": "could not find the flow with id 'f-1'; exit code: 107"}],
    }
    job = await make_client(ExportScript(throttled, httpx.Response(200)), VirtualTime()).get_export_job(
        "job-1"
    )
    assert (job.status, job.download_url, job.throttled) == ("Failure", "", True)


async def test_an_export_is_registered_once_and_never_polled_by_the_client() -> None:
    script = ExportScript({"status": "Started"}, httpx.Response(200))
    time = VirtualTime()
    client = make_client(script, time)
    job_id = await client.start_export("f-1", "3.0")
    assert (await client.get_export_job(job_id)).status == "Started"
    assert [r.url.path for r in script.requests].count("/api/v2/flows/export/jobs") == 1
    assert [r.url.path for r in script.requests].count("/api/v2/flows/export/jobs/job-1") == 1
    assert time.sleeps == []
    register = next(r for r in script.requests if r.url.path == "/api/v2/flows/export/jobs")
    assert json.loads(register.content) == {
        "flows": [{"flow": {"id": "f-1", "version": "3.0"}, "exportType": "Yaml"}]
    }


async def test_export_download_goes_to_the_signed_url_without_the_token() -> None:
    final = {"status": "Success", "downloadUrl": "https://files.example/signed/export.yaml?sig=1"}
    script = ExportScript(final, httpx.Response(200, text="inboundCall:\n  name: Support IVR\n"))
    text = await make_client(script, VirtualTime()).download_export(str(final["downloadUrl"]))
    assert text.startswith("inboundCall:")
    (download,) = [r for r in script.requests if r.url.host == "files.example"]
    assert "authorization" not in download.headers


async def test_an_expired_signed_url_says_a_new_job_is_needed() -> None:
    final = {"status": "Success", "downloadUrl": "https://files.example/signed/export.yaml?sig=1"}
    script = ExportScript(final, httpx.Response(403, text="<Error>AccessDenied</Error>"))
    with pytest.raises(PermissionDenied, match="signed URL was refused"):
        await make_client(script, VirtualTime()).download_export(str(final["downloadUrl"]))


async def test_a_deleted_flow_is_gone_not_a_generic_error() -> None:
    """R9: GET of a deleted flow may answer 410; it is a NotFound the engine reads as 'no such flow'."""
    script = Script(error_reply(410, "flow.deleted", "Flow f-1 was deleted"))
    with pytest.raises(Gone, match="deleted") as caught:
        await make_client(script, VirtualTime()).get_flow("f-1")
    assert isinstance(caught.value, NotFound) and caught.value.status == 410
    assert (
        await make_client(Script(error_reply(410, "flow.deleted", "gone")), VirtualTime()).find_flow(
            flow_id="f-1"
        )
        is None
    )


async def test_501_is_never_retried_and_is_unavailable() -> None:
    script = Script(error_reply(501, "not.implemented", "no"), error_reply(501, "not.implemented", "no"))
    time = VirtualTime()
    with pytest.raises(Unavailable):
        await make_client(script, time).get_flow("f-1")
    assert len([r for r in script.requests if r.url.path == "/api/v2/flows/f-1"]) == 1 and time.sleeps == []


@pytest.mark.parametrize("status", [404, 403, 501])
async def test_the_validate_preview_api_answering_404_403_or_501_is_unavailable(status: int) -> None:
    script = Script(error_reply(status, "x", "validate jobs are not enabled"))
    with pytest.raises(Unavailable) as caught:
        await make_client(script, VirtualTime()).start_validate("f-1", "3.0")
    assert caught.value.status == status and not isinstance(caught.value, (NotFound, PermissionDenied))


async def test_the_token_endpoints_429_is_waited_out_then_named_as_the_login_limit() -> None:
    """R8: the login service rate-limits /oauth/token with its own error shape; Retry-After is honoured and,
    when it persists, the error says it was the token endpoint (not the API, not bad credentials)."""
    login_429 = httpx.Response(
        429,
        headers={"Retry-After": "3"},
        json={
            "error": "rate_limited",
            "description": "too many token requests",
            "error_description": "slow down",
        },
    )
    ok = httpx.Response(200, json={"id": "f-1", "name": "Support IVR", "type": "INBOUNDCALL"})
    time = VirtualTime()
    script = TokenScript([login_429, token_reply()], ok)
    flow = await make_client(script, time).get_flow("f-1")
    assert flow.id == "f-1" and time.sleeps == [3.0]

    always = TokenScript([login_429] * 10, ok)
    with pytest.raises(RateLimited) as caught:
        await make_client(always, VirtualTime()).get_flow("f-1")
    assert "login service rate-limits token requests" in str(caught.value)
    assert not isinstance(caught.value, AuthenticationFailed)


class TokenScript:
    """The token endpoint answers from `tokens` in turn; every other request gets `reply`."""

    def __init__(self, tokens: list[httpx.Response], reply: httpx.Response) -> None:
        self.tokens = list(tokens)
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            return self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]
        return self.reply


async def test_queueing_in_the_shared_limiter_does_not_use_up_the_retry_budget() -> None:
    time = VirtualTime()
    limiter = RateLimiter(1, clock=time.clock, sleep=time.sleep)
    ok = httpx.Response(200, json={"id": "f", "name": "n", "type": "INBOUNDCALL"})
    script = Script(error_reply(503, "e", "x"), ok)
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    client = GenesysClient(
        http,
        base_url=BASE,
        client_id="client-1",
        client_secret=SECRET,
        limiter=limiter,
        sleep=time.sleep,
        clock=time.clock,
        retry=RetryPolicy(max_attempts=3, max_wait_seconds=5.0),
        rng=random.Random(1),
    )
    flow = await client.get_flow("f")
    assert flow.id == "f"
    assert time.now - 1000.0 >= 60.0, "the second try waited a minute for its slot (1 request/min)"


async def test_a_401_from_a_signed_url_is_not_blamed_on_the_oauth_client() -> None:
    script = Script(httpx.Response(401, text="denied"))
    with pytest.raises(PermissionDenied, match="signed URL was refused"):
        await make_client(script, VirtualTime()).upload_import("https://uploads.example/x", {}, "a: 1")
