"""Pytest fixtures for a real emulator on loopback (uvicorn on its own thread and event loop).

- `emulator_server` (session): one `EmulatorServer` with the demo org on the `ideal` profile, started once.
- `emulator` (function): that server reset to a fresh demo org for each test, as an `EmulatorHandle`
  with `.base_url`, `.client_id`, `.client_secret`, `.profile` and `.control` (an `EmulatorControl`).
- `realistic_emulator_server` (session) / `realistic_emulator` (function): the same on the `realistic`
  profile (read lag, renumbered drafts, publishes and jobs taking seconds of the emulator clock, …). Move
  its clock with `.control.advance_clock(seconds)` instead of sleeping.

Sync tests, async tests and the synchronous official SDK can all use them.
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
    profile: str = "ideal"

    def flow_id(self, name: str) -> str:
        """The id of the demo flow called `name` (e.g. "Support IVR")."""
        return self.control.flow_id(name)


def fresh_emulator(server: EmulatorServer) -> Iterator[EmulatorHandle]:
    """`server` reset to a fresh demo org on its start-up profile, for one test."""
    with EmulatorControl(server.base_url) as control:
        control.reset()
        control.set_transition_mode("polls", polls=1)  # realistic: its timing knob overrides this default
        yield EmulatorHandle(
            base_url=server.base_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
            control=control,
            server=server,
            profile=server.profile,
        )


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    yield from fresh_emulator(emulator_server)


@pytest.fixture(scope="session")
def realistic_emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(profile="realistic") as server:
        yield server


@pytest.fixture
def realistic_emulator(realistic_emulator_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    yield from fresh_emulator(realistic_emulator_server)
