"""An emulator on loopback HTTP whose clock only moves when a test moves it, for exact behaviour tests.

`loopback` (function): a fresh demo org on the `ideal` profile (every knob off, async work done on the first
poll), a logged-in `httpx.Client` (`.http`), the control plane (`.control`) and the demo flow ids. Tests turn
on one knob at a time with `.control.set_behaviour(...)` and move time with `.advance(seconds)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.control import EmulatorControl
from flowrelease.emulator.server import EmulatorServer
from flowrelease.emulator.state import stable_id

SUPPORT_IVR = stable_id("flow", "INBOUNDCALL", "Support IVR")
BILLING_IVR = stable_id("flow", "INBOUNDCALL", "Billing IVR")
DEMO_CREDENTIALS = ("flowrelease-demo", "flowrelease-demo-secret")
IVR_CONFIGURATION = {"inboundCall": {"name": "Support IVR", "startUpRef": "/inboundCall/tasks/task[T_1]"}}


@dataclass
class Loopback:
    base_url: str
    http: httpx.Client
    control: EmulatorControl
    clock: ManualClock

    def login(self, client_id: str, secret: str) -> httpx.Response:
        return httpx.post(
            f"{self.base_url}/oauth/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
        )

    def flow(self, flow_id: str = SUPPORT_IVR, **params: str) -> httpx.Response:
        return self.http.get(f"/api/v2/flows/{flow_id}", params=params)

    def flow_json(self, flow_id: str = SUPPORT_IVR) -> Any:
        response = self.flow(flow_id)
        assert response.status_code == 200, response.text
        return response.json()

    def action(self, action: str, flow_id: str = SUPPORT_IVR, **params: str) -> httpx.Response:
        return self.http.post(f"/api/v2/flows/actions/{action}", params={"flow": flow_id, **params})

    def publish(self, version: str, flow_id: str = SUPPORT_IVR) -> httpx.Response:
        return self.action("publish", flow_id, version=version)

    def save_draft(self, flow_id: str = SUPPORT_IVR) -> httpx.Response:
        return self.http.post(f"/api/v2/flows/{flow_id}/versions", json=IVR_CONFIGURATION)

    def advance(self, seconds: float) -> None:
        self.control.advance_clock(seconds)


def shown(flow: Any) -> tuple[Any, ...]:
    """What a read shows of the fields reads lag on: (operation id, its status, published, checked in)."""
    operation = flow.get("currentOperation") or {}
    return (
        operation.get("id"),
        operation.get("actionStatus"),
        (flow.get("publishedVersion") or {}).get("id"),
        (flow.get("checkedInVersion") or {}).get("id"),
    )


@pytest.fixture(scope="module")
def manual_clock_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(clock=ManualClock()) as server:
        yield server


@pytest.fixture
def loopback(manual_clock_server: EmulatorServer) -> Iterator[Loopback]:
    base_url = manual_clock_server.base_url
    clock = manual_clock_server.runtime.clock
    assert isinstance(clock, ManualClock)
    with EmulatorControl(base_url) as control, httpx.Client(base_url=base_url, timeout=10.0) as http:
        control.set_random_seed(0)
        control.reset(profile="ideal")
        control.set_transition_mode("polls", polls=1)
        token = http.post(
            "/oauth/token", auth=DEMO_CREDENTIALS, data={"grant_type": "client_credentials"}
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield Loopback(base_url, http, control, clock)
