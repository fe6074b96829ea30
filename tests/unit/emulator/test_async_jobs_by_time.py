"""Jobs and operations in `seconds` mode finish when the injected clock says so, seen through the API."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from flowrelease.emulator import create_app
from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.state import stable_id

SUPPORT_IVR = stable_id("flow", "INBOUNDCALL", "Support IVR")


@pytest.fixture
def api() -> Iterator[tuple[TestClient, ManualClock]]:
    clock = ManualClock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = TestClient(create_app(demo_seed(), clock)).__enter__()
    token = client.post(
        "/oauth/token",
        auth=("flowrelease-demo", "flowrelease-demo-secret"),
        data={"grant_type": "client_credentials"},
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.put("/_emulator/transitions", json={"default": {"mode": "seconds", "seconds": 60}})
    yield client, clock
    client.__exit__(None, None, None)


def test_publish_completes_only_after_the_clock_passes_t(api: tuple[TestClient, ManualClock]) -> None:
    client, clock = api
    client.post(f"/api/v2/flows/actions/publish?flow={SUPPORT_IVR}&version=3.0")
    polls = [client.get(f"/api/v2/flows/{SUPPORT_IVR}").json() for _ in range(5)]
    assert {p["currentOperation"]["complete"] for p in polls} == {False}
    clock.advance(60)
    flow = client.get(f"/api/v2/flows/{SUPPORT_IVR}").json()
    assert flow["currentOperation"]["actionStatus"] == "SUCCESS"
    assert flow["publishedVersion"]["id"] == "3.0"


def test_export_job_waits_for_the_clock(api: tuple[TestClient, ManualClock]) -> None:
    client, clock = api
    job = client.post("/api/v2/flows/export/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR}}]}).json()
    assert client.get(f"/api/v2/flows/export/jobs/{job['id']}").json()["status"] == "Started"
    clock.advance(61)
    done = client.get(f"/api/v2/flows/export/jobs/{job['id']}").json()
    assert done["status"] == "Success"
    download = client.get(done["downloadUrl"].removeprefix("http://testserver"))
    assert b"name: Support IVR" in download.content


def test_latency_fault_delays_the_answer(api: tuple[TestClient, ManualClock]) -> None:
    client, _ = api
    client.post(
        "/_emulator/faults", json={"path": "/api/v2/flows", "method": "GET", "latencyMs": 200, "count": 1}
    )
    started = time.perf_counter()
    assert client.get("/api/v2/flows").status_code == 200
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    client.get("/api/v2/flows")
    assert time.perf_counter() - started < 0.2


def test_a_draft_reverted_before_its_export_finishes_fails_the_job(
    api: tuple[TestClient, ManualClock],
) -> None:
    client, clock = api
    draft = client.post(
        f"/api/v2/flows/{SUPPORT_IVR}/versions", json={"inboundCall": {"name": "Support IVR"}}
    )
    job = client.post(
        "/api/v2/flows/export/jobs",
        json={"flows": [{"flow": {"id": SUPPORT_IVR, "version": draft.json()["id"]}}]},
    ).json()
    client.post(f"/api/v2/flows/actions/revert?flow={SUPPORT_IVR}")
    clock.advance(61)
    state = client.get(f"/api/v2/flows/export/jobs/{job['id']}?expand=messages").json()
    assert state["status"] == "Failure"
    assert "could not find the flow" in state["messages"][0]["text"]
