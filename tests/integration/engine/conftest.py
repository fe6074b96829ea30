"""Engine integration fixtures: a Harness per test on a freshly reset emulator on the REALISTIC profile
(read lag, other operation ids, renumbered drafts, older publishes ignored, Registered jobs, validate jobs
unavailable, publishes and jobs taking seconds of the emulator clock). A test that needs a kinder org sets
the one knob it needs and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.engine.harness import Harness, ListAuditSink, ManualClock, RecordingStatusStore
from tests.support.emulator import EmulatorHandle


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
