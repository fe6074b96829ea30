"""Pytest fixtures for a real emulator on loopback (uvicorn on its own thread and event loop).

- `emulator_server` (session): one `EmulatorServer` with the demo org, started once.
- `emulator` (function): the same server reset to a fresh demo org for each test, as an `EmulatorHandle`
  with `.base_url`, `.client_id`, `.client_secret` and `.control` (an `EmulatorControl`).

Sync tests, async tests and the synchronous official SDK can all use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from flowrelease.emulator.control import EmulatorControl
from flowrelease.emulator.server import EmulatorServer


@dataclass(frozen=True)
class EmulatorHandle:
    base_url: str
    client_id: str
    client_secret: str
    control: EmulatorControl
    server: EmulatorServer

    def flow_id(self, name: str) -> str:
        """The id of the demo flow called `name` (e.g. "Support IVR")."""
        return self.control.flow_id(name)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    with EmulatorControl(emulator_server.base_url) as control:
        control.reset()
        control.set_transition_mode("polls", polls=1)
        yield EmulatorHandle(
            base_url=emulator_server.base_url,
            client_id=emulator_server.client_id,
            client_secret=emulator_server.client_secret,
            control=control,
            server=emulator_server,
        )
