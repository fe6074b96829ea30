"""Property: random requests — valid or not, with or without a token — never make the emulator answer 5xx.

Requests are built from the real URL templates with real, random and hostile ids, query parameters drawn
from the real parameter names with random values, and bodies that are empty, random bytes, random JSON or
near-valid models. `raise_server_exceptions` makes any unhandled exception fail the test too. Every error
answer under `/api/` must be an ErrorBody.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from flowrelease.emulator import create_app
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.state import stable_id

SUPPORT_IVR = stable_id("flow", "INBOUNDCALL", "Support IVR")
TEMPLATES = [
    "/api/v2/flows",
    "/api/v2/flows/{id}",
    "/api/v2/flows/{id}/versions",
    "/api/v2/flows/{id}/versions/{version}",
    "/api/v2/flows/{id}/versions/{version}/configuration",
    "/api/v2/flows/{id}/latestconfiguration",
    "/api/v2/flows/actions/{action}",
    "/api/v2/flows/jobs",
    "/api/v2/flows/jobs/{id}",
    "/api/v2/flows/export/jobs",
    "/api/v2/flows/export/jobs/{id}",
    "/api/v2/flows/validate/jobs",
    "/api/v2/flows/validate/jobs/{id}",
    "/api/v2/architect/dependencytracking/consumedresources",
    "/api/v2/architect/dependencytracking/consumingresources",
    "/api/v2/architect/dependencytracking/object",
    "/api/v2/architect/dependencytracking/build",
    "/api/v2/architect/dependencytracking/types",
    "/api/v2/architect/dependencytracking/types/{id}",
    "/api/v2/analytics/flows/aggregates/query",
    "/api/v2/organizations/me",
    "/api/v2/authorization/products",
    "/_uploads/{id}",
    "/_downloads/{id}",
    "/oauth/token",
    "/{id}",
]
PARAMS = [
    "type", "name", "pageSize", "pageNumber", "sortBy", "sortOrder", "id", "deleted", "flow", "version",
    "expand", "objectType", "resourceType", "flowFilter", "secure", "divisionId", "publishedAfter",
    "consumedResources", "consumingResources", "includeSchemas", "signature", "lockedByClientId",
]  # fmt: skip
ids = st.sampled_from([SUPPORT_IVR, "1.0", "3.0", "QUEUE", "../..", "%00", "", "x" * 300]) | st.text(
    max_size=20
)
values = st.sampled_from(
    ["inboundcall", "true", "0", "-1", "501", "desc", "INBOUNDCALLFLOW", "messages", SUPPORT_IVR]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
near_models = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=10) | st.integers(),
        "type": st.sampled_from(["INBOUNDCALL", "inboundcall", "NOPE"]) | st.integers(),
        "flows": st.lists(
            st.fixed_dictionaries({"flow": st.fixed_dictionaries({}, optional={"id": ids, "version": ids})})
        ),
        "interval": st.sampled_from(["2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", "x/y", "2026/2025"]),
        "metrics": st.lists(st.sampled_from(["nFlow", "nFlowOutcomeFailed", "bogus"]), max_size=3),
        "filter": json_values,
        "groupBy": json_values,
        "inboundCall": json_values,
    },
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=40),
    json_values.map(lambda v: json.dumps(v).encode()),
    near_models.map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture(scope="module", params=["ideal", "realistic"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    seed = demo_seed()
    seed["clients"][0]["rateLimitPerMinute"] = 1_000_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(create_app(seed, profile=request.param), raise_server_exceptions=True) as test_client:
            yield test_client


TOKENS: dict[int, str] = {}  # per client: the realistic profile rate-limits the token endpoint


def token(client: TestClient) -> str:
    """A live token for the demo client, reused while it still works."""
    cached = TOKENS.get(id(client), "")
    if (
        cached
        and client.get("/api/v2/organizations/me", headers={"Authorization": f"Bearer {cached}"}).is_success
    ):
        return cached
    response = client.post(
        "/oauth/token",
        auth=("flowrelease-demo", "flowrelease-demo-secret"),
        data={"grant_type": "client_credentials"},
    )
    TOKENS[id(client)] = str(response.json()["access_token"])
    return TOKENS[id(client)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    template=st.sampled_from(TEMPLATES),
    path_id=ids,
    version=ids,
    action=st.sampled_from(["checkout", "checkin", "publish", "revert", "unlock", "deactivate", "explode"]),
    query=st.lists(st.tuples(st.sampled_from(PARAMS), values | st.text(max_size=12)), max_size=4),
    body=bodies,
    auth=st.sampled_from(["valid", "none", "garbage"]),
)
def test_random_requests_never_get_a_5xx(
    client: TestClient,
    method: str,
    template: str,
    path_id: str,
    version: str,
    action: str,
    query: list[tuple[str, str]],
    body: bytes | None,
    auth: str,
) -> None:
    path = template.format(id=quote(path_id, safe=""), version=quote(version, safe=""), action=action)
    headers: dict[str, Any] = {}
    if auth == "valid":
        headers["Authorization"] = f"Bearer {token(client)}"
    elif auth == "garbage":
        headers["Authorization"] = "Bearer not-a-token"
    response = client.request(method, path, params=query, content=body, headers=headers)
    assert response.status_code < 500, (method, path, query, response.text)
    if response.status_code >= 400 and response.request.url.path.startswith("/api/"):
        assert {"message", "code", "status", "contextId", "details", "errors"} <= set(response.json())


CONTROL_PATHS = [
    "/_emulator/", "/_emulator/reset", "/_emulator/seed", "/_emulator/state", "/_emulator/resources/{id}",
    "/_emulator/faults", "/_emulator/faults/{id}", "/_emulator/operation-faults", "/_emulator/settings",
    "/_emulator/transitions", "/_emulator/analytics", "/_emulator/validation-warnings",
    "/_emulator/flows/{id}/lock", "/_emulator/requests", "/_emulator/clock", "/_emulator/clock/advance",
    "/_emulator/behaviour", "/_emulator/flows/{id}/publish-as",
]  # fmt: skip
control_bodies = st.one_of(
    bodies,
    st.fixed_dictionaries(
        {},
        optional={
            "flowId": st.sampled_from([SUPPORT_IVR, "nope"]),
            "seconds": json_values,
            "default": json_values,
            "rules": json_values,
            "status": json_values,
            "latencyMs": st.sampled_from([0, 1, -1, 10**12, "x"]),
            "probability": json_values,
            "failureRatio": json_values,
            "samples": json_values,
            "version": ids,
            "warnings": json_values,
            "clients": json_values,
            "flows": json_values,
            "resources": json_values,
            "randomSeed": json_values,
            "profile": st.sampled_from(["ideal", "realistic", "kind"]) | json_values,
            "empty": json_values,
            "seed": json_values,
            "readLag": json_values,
            "timing": json_values,
            "draftIds": st.sampled_from(["numbered", "savedVersionUuid"]) | json_values,
            "validateJobs": st.sampled_from([404, 403, 501, "available"]) | json_values,
            "tokenRateLimitPerMinute": json_values,
            "deletedFlowStatus": st.sampled_from([404, 410]) | json_values,
            "clientId": json_values,
            "result": st.sampled_from(["SUCCESS", "FAILURE"]) | json_values,
            "organization": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(method="PUT", template="/_emulator/transitions", path_id="x", query=[], body=b'{"rules": true}')
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    template=st.sampled_from(CONTROL_PATHS),
    path_id=ids,
    query=st.lists(
        st.tuples(st.sampled_from(["flowId", "method", "path", "status", "clientId"]), values), max_size=3
    ),
    body=control_bodies,
)
def test_random_control_plane_calls_never_get_a_5xx(
    client: TestClient,
    method: str,
    template: str,
    path_id: str,
    query: list[tuple[str, str]],
    body: bytes | None,
) -> None:
    path = template.format(id=quote(path_id, safe=""))
    response = client.request(method, path, params=query, content=body)
    assert response.status_code < 500, (method, path, query, body, response.text)
