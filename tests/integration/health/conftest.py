"""A Harness per test (the real engine, the real GenesysClient over loopback to a fresh emulator org)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.engine.harness import Harness, ListAuditSink, ManualClock, RecordingStatusStore
from tests.support.emulator import EmulatorHandle


@pytest.fixture
async def harness(emulator: EmulatorHandle) -> AsyncIterator[Harness]:
    timeline: list[tuple[str, ...]] = []
    async with httpx.AsyncClient(timeout=30.0) as http:
        yield Harness(
            emulator=emulator,
            http=http,
            clock=ManualClock(),
            statuses=RecordingStatusStore(timeline),
            audit=ListAuditSink(),
            timeline=timeline,
        )
