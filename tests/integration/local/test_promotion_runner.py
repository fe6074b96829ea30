"""The sync runner and a release waiting at its promotion gate, on the real state file and wakeups.

The engine's gate asks to be called again after 30 s, an upper bound: the upstream's next saved status may
open it any moment. So the runner waits for the upstream (woken by its save), within what is left of
--timeout, instead of giving up because 30 s exceed the time left. The release here plays the engine's
gate contract: Waiting until the upstream's status is Ready.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from flowrelease.api.models import FlowRelease, FlowReleaseStatus, Phase, PromotionStatus
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.checks import CheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.local.folder_releases import StatusChanges
from flowrelease.local.outcomes import ResultKind
from flowrelease.local.progress import PlainProgress
from flowrelease.local.runner import ReleaseJob, ReleaseRunner
from flowrelease.local.state_store import JsonFileStatusStore

UPSTREAM = "cc-test/support-ivr"
PROD = FlowRelease.model_validate(
    {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": "support-ivr", "namespace": "cc-prod"},
        "spec": {
            "genesys": {"environment": "http://127.0.0.1:1"},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "source": {"configMapRef": {"name": "f", "key": "flow.yaml"}},
            "promotion": {"requires": [{"name": "support-ivr", "namespace": "cc-test"}]},
        },
    }
)


class GatedRelease:
    def __init__(self, store: JsonFileStatusStore) -> None:
        self.store = store
        self.calls = 0

    async def reconcile(
        self,
        release: FlowRelease,
        status: FlowReleaseStatus,
        *,
        generation: int,
        git_credentials: Mapping[str, str] | None = None,
        requested_at: str = "",
        source_yaml: str | None = None,
        checks: CheckProbe | None = None,
    ) -> Outcome:
        self.calls += 1
        if self.store.status(UPSTREAM).phase is Phase.READY:
            return Outcome(OutcomeKind.READY, FlowReleaseStatus(phase=Phase.READY))
        waiting = FlowReleaseStatus(phase=Phase.VALIDATING, promotion=PromotionStatus(gate="Waiting"))
        return Outcome(OutcomeKind.WAITING, waiting, after=30.0, message="cc-test/support-ivr is baking")


def run(tmp_path: Path, *, timeout: float, upstream_ready_after: float | None) -> tuple[ResultKind, int]:
    async def scenario() -> tuple[ResultKind, int]:
        store = JsonFileStatusStore(tmp_path / "state.json")
        changes = StatusChanges(store)
        release = GatedRelease(store)
        reporter = PlainProgress(Console(file=io.StringIO()), SecretRedactor())
        runner = ReleaseRunner(reporter, timeout=timeout, concurrency=2, changes=changes)
        job = ReleaseJob(release=PROD, reconciler=release, status=FlowReleaseStatus(), generation=1)

        async def upstream() -> None:
            if upstream_ready_after is not None:
                await asyncio.sleep(upstream_ready_after)
                await changes.save(UPSTREAM, FlowReleaseStatus(phase=Phase.READY))

        result, _ = await asyncio.gather(runner.run(job), upstream())
        return result.kind, release.calls

    return asyncio.run(scenario())


def test_a_gate_waiting_longer_than_the_time_left_is_woken_by_the_upstream(tmp_path: Path) -> None:
    kind, calls = run(tmp_path, timeout=10.0, upstream_ready_after=0.3)
    assert kind is ResultKind.READY
    assert calls == 2, "one look before the upstream moved, one after: no polling in between"


def test_a_gate_that_never_opens_times_out_at_the_deadline(tmp_path: Path) -> None:
    kind, calls = run(tmp_path, timeout=0.5, upstream_ready_after=None)
    assert kind is ResultKind.TIMED_OUT
    assert calls == 2, "waited out what was left, looked once more, then gave up"
