"""How the shell's Kubernetes client (lightkube under `KubeApi`) answers an apiserver that fails: 404 is
ObjectGone at once, 409 and 422 fail at once with the status and no body, 429 and 5xx are retried (a
Status body or a proxy's HTML page alike), a dropped connection is retried, and the last failure says
which call and which status without the body. The apiserver here is a loopback HTTP server that answers
a scripted sequence, since a real one cannot be made to send a 503 on demand; the real apiserver's
404 and 422 are in tests/e2e/test_service_account.py."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from flowrelease.k8s import kube_api
from flowrelease.k8s.kube_api import KubeApi, KubeApiError, ObjectGone, ObjectRef

SECRET_BODY = "do-not-log-this-body"


@dataclass
class Answer:
    status: int
    body: str = ""
    content_type: str = "application/json"
    drop: bool = False


def status_body(code: int, reason: str) -> str:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": f"{reason}: {SECRET_BODY}",
            "reason": reason,
            "code": code,
        }
    )


RELEASE = json.dumps(
    {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": "r", "namespace": "ns", "resourceVersion": "7"},
        "spec": {},
    }
)
HTML_502 = "<html><body>502 Bad Gateway</body></html>"


@dataclass
class ScriptedApiserver:
    """Answers each request with the next scripted answer (the last one repeats) and records them."""

    answers: list[Answer] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path, request.headers.get("Content-Type", "")))
        answer = self.answers[min(len(self.seen), len(self.answers)) - 1]
        if answer.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if not answer.content_type:
            # aiohttp always sends a Content-Type; a proxy's bare error page has none, so it is written raw
            assert request.transport is not None
            body = answer.body.encode()
            head = (
                f"HTTP/1.1 {answer.status} Error\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            request.transport.write(head.encode() + body)
            request.transport.close()
            return web.Response(status=500)
        return web.Response(status=answer.status, text=answer.body, content_type=answer.content_type)


@pytest.fixture
async def apiserver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[ScriptedApiserver, KubeApi]]:
    monkeypatch.setattr(kube_api, "RETRY_BACKOFFS", (0.01, 0.01, 0.01))
    scripted = ScriptedApiserver()
    app = web.Application()

    async def route(request: web.Request) -> web.StreamResponse:
        return await scripted.handle(request)

    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app)
    await runner.setup()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    await web.SockSite(runner, listening).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    api = await KubeApi.connect(kubeconfig=str(kubeconfig))
    try:
        yield scripted, api
    finally:
        await api.close()
        await runner.cleanup()


RETRIED_THEN_OK = [
    ("503 Status then OK", [Answer(503, status_body(503, "ServiceUnavailable")), Answer(200, RELEASE)]),
    ("429 then OK", [Answer(429, status_body(429, "TooManyRequests")), Answer(200, RELEASE)]),
    ("a proxy's HTML 502 then OK", [Answer(502, HTML_502, "text/html"), Answer(200, RELEASE)]),
    ("a dropped connection then OK", [Answer(0, drop=True), Answer(200, RELEASE)]),
    ("a 502 without Content-Type then OK", [Answer(502, "bad gateway", ""), Answer(200, RELEASE)]),
]


@pytest.mark.parametrize(("case", "answers"), RETRIED_THEN_OK, ids=[c for c, _ in RETRIED_THEN_OK])
async def test_transient_failures_are_retried_until_the_answer(
    apiserver: tuple[ScriptedApiserver, KubeApi], case: str, answers: list[Answer]
) -> None:
    scripted, api = apiserver
    scripted.answers = answers
    release = await api.get_release("ns", "r")
    assert release["metadata"]["resourceVersion"] == "7", case
    assert [(m, p) for m, p, _ in scripted.seen] == [
        ("GET", "/apis/flowrelease.io/v1alpha1/namespaces/ns/flowreleases/r")
    ] * 2, case


FAILS_AT_ONCE = [
    ("404 is ObjectGone", Answer(404, status_body(404, "NotFound")), ObjectGone, 404),
    ("409 fails", Answer(409, status_body(409, "Conflict")), KubeApiError, 409),
    ("422 fails", Answer(422, status_body(422, "Invalid")), KubeApiError, 422),
    ("403 fails", Answer(403, status_body(403, "Forbidden")), KubeApiError, 403),
    ("403 without Content-Type fails", Answer(403, SECRET_BODY, ""), KubeApiError, 403),
]


@pytest.mark.parametrize(
    ("case", "answer", "error", "code"), FAILS_AT_ONCE, ids=[c for c, *_ in FAILS_AT_ONCE]
)
async def test_refusals_fail_at_once_with_the_status_and_no_body(
    apiserver: tuple[ScriptedApiserver, KubeApi],
    case: str,
    answer: Answer,
    error: type[KubeApiError],
    code: int,
) -> None:
    scripted, api = apiserver
    scripted.answers = [answer]
    with pytest.raises(error) as raised:
        await api.replace_status("ns", "r", {"phase": "Pending", "observedGeneration": 1})
    assert raised.value.status == code, case
    assert SECRET_BODY not in str(raised.value), case
    assert len(scripted.seen) == 1, f"{case}: a refusal is not retried"
    method, path, content_type = scripted.seen[0]
    assert (method, path) == ("PATCH", "/apis/flowrelease.io/v1alpha1/namespaces/ns/flowreleases/r/status")
    assert content_type == "application/json-patch+json", "a JSON patch replaces .status as a whole"


GIVES_UP = [
    ("5xx every time", Answer(500, status_body(500, "InternalError")), "HTTP 500"),
    ("429 every time", Answer(429, status_body(429, "TooManyRequests")), "HTTP 429"),
    ("HTML 503 every time", Answer(503, HTML_502, "text/html"), "HTTP 503"),
    ("dropped every time", Answer(0, drop=True), "reading Secret ns/s: "),
]


@pytest.mark.parametrize(("case", "answer", "said"), GIVES_UP, ids=[c for c, *_ in GIVES_UP])
async def test_a_failure_that_lasts_is_given_up_after_the_retries(
    apiserver: tuple[ScriptedApiserver, KubeApi], case: str, answer: Answer, said: str
) -> None:
    scripted, api = apiserver
    scripted.answers = [answer]
    with pytest.raises(KubeApiError) as raised:
        await api.read_secret("ns", "s")
    assert not isinstance(raised.value, ObjectGone), case
    assert said in str(raised.value), case
    assert SECRET_BODY not in str(raised.value), case
    # aiohttp (the transport) sends an idempotent request a second time, once, when its connection breaks
    # before any answer (RFC 9112 §9.3.1.1): a GET dropped every time reaches the server twice per attempt.
    wire_tries = 2 if answer.drop else 1
    assert len(scripted.seen) == (len(kube_api.RETRY_BACKOFFS) + 1) * wire_tries, case


async def test_an_event_is_posted_as_a_core_v1_event_with_its_object(
    apiserver: tuple[ScriptedApiserver, KubeApi],
) -> None:
    scripted, api = apiserver
    bodies: list[dict[str, object]] = []
    handle = scripted.handle

    async def record(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        bodies.append(body)
        # The apiserver answers a create with the object it stored.
        scripted.answers = [
            Answer(201, json.dumps({**body, "metadata": {**body["metadata"], "name": "r.1"}}))
        ]
        return await handle(request)

    scripted.handle = record  # type: ignore[method-assign]
    await api.post_event(
        ObjectRef(namespace="ns", name="r", uid="u-1"), type="Normal", reason="Ready", message="m"
    )
    assert [(m, p) for m, p, _ in scripted.seen] == [("POST", "/api/v1/namespaces/ns/events")]
    event = bodies[0]
    assert event["involvedObject"] == {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "name": "r",
        "namespace": "ns",
        "uid": "u-1",
    }
    assert event["metadata"] == {"generateName": "r.", "namespace": "ns"}
    assert (event["type"], event["reason"], event["count"]) == ("Normal", "Ready", 1)
    assert str(event["firstTimestamp"]).endswith("Z") and "." not in str(event["firstTimestamp"])


@pytest.mark.parametrize("body", ["not json", json.dumps({"kind": "Secret", "metadata": "not an object"})])
async def test_an_answer_that_is_no_kubernetes_object_fails_the_call_without_its_body(
    apiserver: tuple[ScriptedApiserver, KubeApi], body: str
) -> None:
    scripted, api = apiserver
    scripted.answers = [Answer(200, body)]
    with pytest.raises(KubeApiError, match="reading Secret ns/s: the answer is not a Kubernetes object"):
        await api.read_secret("ns", "s")
    assert len(scripted.seen) == 1, "a garbled answer is not retried"
