"""Engine integration fixtures: a Harness per test on a freshly reset emulator on the REALISTIC profile
(read lag, other operation ids, renumbered drafts, older publishes ignored, Registered jobs, validate jobs
unavailable, publishes and jobs taking seconds of the emulator clock). A test that needs a kinder org sets
the one knob it needs and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.integration.engine.harness import Harness, ListAuditSink, ManualClock, RecordingStatusStore
from tests.support.emulator import EmulatorHandle


@pytest.fixture
async def traffic_harness(realistic_emulator: EmulatorHandle) -> AsyncIterator[Harness]:
    """A Harness whose engine clock starts where the emulator's clock is, so the engine's analytics
    windows cover the emulator's simulated traffic (both then move together)."""
    timeline: list[tuple[str, ...]] = []
    start = datetime.fromtimestamp(realistic_emulator.control.now(), UTC)
    async with httpx.AsyncClient(timeout=30.0) as http:
        yield Harness(
            emulator=realistic_emulator,
            http=http,
            clock=ManualClock(start),
            statuses=RecordingStatusStore(timeline),
            audit=ListAuditSink(),
            timeline=timeline,
        )


@pytest.fixture
async def harness(realistic_emulator: EmulatorHandle) -> AsyncIterator[Harness]:
    timeline: list[tuple[str, ...]] = []
    async with httpx.AsyncClient(timeout=30.0) as http:
        yield Harness(
            emulator=realistic_emulator,
            http=http,
            clock=ManualClock(),
            statuses=RecordingStatusStore(timeline),
            audit=ListAuditSink(),
            timeline=timeline,
        )
