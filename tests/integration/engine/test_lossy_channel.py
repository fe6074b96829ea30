"""A notification channel that loses events: its next publishes are read on the regular schedule.

The engine, its `GenesysClient`, one `FlowNotifications` channel and the shell's wake-ups, in process, on the
realistic emulator in real time (a publish takes 3 s) with every event dropped. The first publish on the
fresh channel cannot benefit: nothing is known about the channel yet, so its POST's start goes unheard for
the 5 s window before it is polled. That silence is the channel's loss; the second release on the same
channel (the same OAuth client) then looks at its flow on the regular schedule from its POST (0.5 s), as
when polling, instead of waiting 5 s for a start event that will not come or 16 s for the net.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.audit.events import ListAuditSink
from flowrelease.emulator.notifications import control_calls
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient
from flowrelease.genesys.notifications import FlowNotifications, NotificationState
from flowrelease.genesys.wakeups import ReleaseWakeups
from flowrelease.local.state_store import JsonFileStatusStore
from tests.support.emulator import EmulatorHandle

PUBLISH_SECONDS = 3.0
TIMING = {
    "publishSeconds": PUBLISH_SECONDS,
    "checkinSeconds": 0.2,
    "importJobSeconds": 0.2,
    "exportJobSeconds": 0.2,
    "validateJobSeconds": 0.2,
    "jitter": 0,
}
FLOWS = ("Lossy A", "Lossy B")
PUBLISH_PATH = "/api/v2/flows/actions/publish"


def release(name: str, flow_name: str, environment: str) -> FlowRelease:
    return FlowRelease.model_validate(
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": name, "namespace": "cc"},
            "spec": {
                "genesys": {"environment": environment},
                "flow": {"type": "inboundcall", "name": flow_name},
                "version": "2.0",
            },
        }
    )


async def drive(reconciler: ReleaseReconciler, wakeups: ReleaseWakeups, item: FlowRelease) -> str:
    """Reconcile, wait as `flowrelease sync` does (woken by events), until the release rests."""
    status = FlowReleaseStatus()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        outcome = await reconciler.reconcile(item, status, generation=1)
        status = outcome.status
        if outcome.kind is not OutcomeKind.WAITING:
            return outcome.kind.value
        await wakeups.wait(item.key, outcome.after or 1.0)
    return "timed out"


def epoch(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()


def reads_after_publish(emulator: EmulatorHandle, flow_id: str) -> list[float]:
    log = emulator.control.request_log()
    posted = [
        epoch(e)
        for e in log
        if e["method"] == "POST"
        and e["path"] == "/api/v2/flows/actions/publish"
        and flow_id in str(e["query"])
    ]
    assert len(posted) == 1, posted
    return [
        epoch(e) - posted[0]
        for e in log
        if e["method"] == "GET" and e["path"] == f"/api/v2/flows/{flow_id}" and epoch(e) > posted[0]
    ]


async def test_a_channel_that_lost_events_reads_its_next_publish_on_the_regular_schedule(
    realistic_emulator: EmulatorHandle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = realistic_emulator
    emulator.control.set_behaviour(timing=TIMING)
    emulator.control.seed(
        {
            "flows": [
                {
                    "name": name,
                    "type": "INBOUNDCALL",
                    "versions": [{"queues": ["Support"]}] * 2,
                    "publishedVersion": "1.0",
                }
                for name in FLOWS
            ]
        }
    )
    emulator.control.call(control_calls.configure(drop_fraction=1.0))
    states: list[NotificationState] = []
    caplog.set_level(logging.INFO, logger="flowrelease.genesys.notifications")
    async with httpx.AsyncClient(timeout=10.0) as http:
        client = GenesysClient(
            http,
            base_url=emulator.base_url,
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
        )
        channel = FlowNotifications(client.transport, on_state=states.append)
        wakeups = ReleaseWakeups()
        reconciler = ReleaseReconciler(
            flow_api=client,
            statuses=JsonFileStatusStore(tmp_path / "state.json"),
            audit=ListAuditSink(),
            clock=SystemClock(),
            hints=wakeups.hints_for(channel),
        )
        try:
            first = await drive(reconciler, wakeups, release("lossy-a", FLOWS[0], emulator.base_url))
            second = await drive(reconciler, wakeups, release("lossy-b", FLOWS[1], emulator.base_url))
        finally:
            await channel.aclose()
            await asyncio.sleep(0)
    assert (first, second) == ("ready", "ready")
    fresh = reads_after_publish(emulator, emulator.flow_id(FLOWS[0]))
    assert 4.5 <= fresh[0] <= 9, (
        f"a fresh channel: its first look waits out the start window ({fresh[0]:.2f} s)"
    )
    lossy = reads_after_publish(emulator, emulator.flow_id(FLOWS[1]))
    assert lossy[0] < 2.0, f"the lossy channel's next publish is looked at {lossy[0]:.2f} s after its POST"
    assert any(PUBLISH_SECONDS <= r < PUBLISH_SECONDS + 3.0 for r in lossy), (
        f"its lost completion is read on the regular schedule, not 16 s late: {lossy}"
    )
    assert channel.losses >= 1
    assert [s.lossy for s in states].count(True) == 1, "said once through on_state (the metrics)"
    assert sum("lose events" in r.getMessage() for r in caplog.records) == 1, "said once in the log"
