"""Every status the engine (and the operator around it) writes, judged by kstatus and Argo CD's own code.

Each scenario drives the real engine — the real GenesysClient over loopback HTTP to the emulator — through a
phase or transition and keeps every status it saved. Each status is wrapped in a FlowRelease with the
metadata.generation it was written for and handed to tools/health-eval; both verdicts must be those of the
docs/kubernetes.md row the object falls in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseStatus, Phase
from flowrelease.engine.ports import FlowClaim, FlowState
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.k8s import shell_status
from tests.integration.engine.harness import Harness
from tests.support.health_eval import HealthEval
from tests.support.health_table import case_of, documented_rows

BAKE = {"stages": [{"name": "bake", "bakeSeconds": 120, "maxFailureRatio": 0.05, "minSamples": 20}]}
NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@dataclass
class Written:
    """The objects a scenario left in the cluster, in order, and which of them the engine wrote."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    engine_written: list[bool] = field(default_factory=list)
    phases: set[str] = field(default_factory=set)

    def add(self, release: FlowRelease, status: FlowReleaseStatus | None, *, by_engine: bool = True) -> None:
        obj = release.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"status"})
        if status is not None:
            obj["status"] = status.to_wire()
            self.phases.add(status.phase.value)
        self.objects.append(obj)
        self.engine_written.append(by_engine and status is not None)


async def drive_and_record(
    harness: Harness,
    written: Written,
    release: FlowRelease,
    status: FlowReleaseStatus | None = None,
    **kw: Any,
) -> FlowReleaseStatus:
    already = len(harness.statuses.saves)
    outcome = await harness.drive(release, status, **kw)
    for saved in harness.statuses.saves[already:]:
        written.add(release, saved)
    return outcome.status


async def promotion_with_bake(harness: Harness, written: Written) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.01, samples=200)
    release = harness.release(verify=BAKE)
    written.add(release, None, by_engine=False)
    status = await drive_and_record(harness, written, release)
    assert status.phase is Phase.READY


async def validation_failed(harness: Harness, written: Written) -> None:
    status = await drive_and_record(harness, written, harness.release(version="9.9"))
    assert status.phase is Phase.VALIDATION_FAILED


async def health_breach_rolls_back(harness: Harness, written: Written) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)
    release = harness.release(verify=BAKE)
    status = await drive_and_record(harness, written, release)
    assert status.phase is Phase.ROLLED_BACK
    # a later pass of the settled release meets a temporary Genesys error, then settles again
    harness.emulator.control.add_fault(path="/api/v2/flows/*", method="GET", status=503, count=1)
    again = await drive_and_record(harness, written, release, status)
    assert again.phase is Phase.ROLLED_BACK


async def no_rollback_fails(harness: Harness, written: Written) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.4, samples=50)
    release = harness.release(verify=BAKE, rollback={"strategy": "None"})
    status = await drive_and_record(harness, written, release)
    assert status.phase is Phase.FAILED


async def bad_credentials(harness: Harness, written: Written) -> None:
    harness.emulator = type(harness.emulator)(
        base_url=harness.emulator.base_url,
        client_id=harness.emulator.client_id,
        client_secret="not-the-secret",
        control=harness.emulator.control,
        server=harness.emulator.server,
    )
    harness.reconciler = harness.new_reconciler()
    release = harness.release()
    written.add(release, None, by_engine=False)
    status = await drive_and_record(harness, written, release)
    assert status.phase is Phase.FAILED


async def created_suspended(harness: Harness, written: Written) -> None:
    release = harness.release(suspend=True)
    written.add(release, None, by_engine=False)
    status = await drive_and_record(harness, written, release)
    assert status.phase is Phase.SUSPENDED


async def suspended_after_ready_then_resumed(harness: Harness, written: Written) -> None:
    ready = await drive_and_record(harness, written, harness.release())
    suspended = harness.release(generation=2, suspend=True)
    written.add(suspended, ready)  # the spec change before the operator saw it
    paused = await drive_and_record(harness, written, suspended, ready)
    assert paused.phase is Phase.SUSPENDED
    resumed = harness.release(generation=3, version="1.0")
    written.add(resumed, paused)
    final = await drive_and_record(harness, written, resumed, paused)
    assert final.phase is Phase.READY and final.published_version == "1.0"


async def generation_bump_with_server_errors(harness: Harness, written: Written) -> None:
    first = await drive_and_record(harness, written, harness.release())
    bumped = harness.release(generation=2, version="1.0")
    written.add(bumped, first)
    harness.emulator.control.add_fault(
        path="/api/v2/flows/actions/publish", method="POST", status=502, count=1
    )
    final = await drive_and_record(harness, written, bumped, first)
    assert final.phase is Phase.READY and final.published_version == "1.0"


async def operator_statuses(harness: Harness, written: Written) -> None:
    """The statuses the operator writes itself, around what the engine wrote."""
    release = harness.release()
    written.add(release, shell_status.accepted(generation=1, now=NOW, message="Accepted"), by_engine=False)
    ready = await drive_and_record(harness, written, release)
    bumped = harness.release(generation=2, version="1.0")
    for reason, status in (
        (shell_status.REFERENCE_UNAVAILABLE, shell_status.waiting_for_reference),
        (shell_status.INVALID_SPEC, shell_status.invalid_spec),
        (shell_status.UNKNOWN_ENVIRONMENT, shell_status.invalid_spec),
    ):
        for base in (FlowReleaseStatus(), ready):
            written.add(
                bumped,
                status(base, generation=2, reason=reason, message=f"{reason}: fix", now=NOW),
                by_engine=False,
            )


@dataclass
class Claims:
    """The engine's FlowClaims port as the operator's kopf index answers it: an older release owns the flow
    until `owner_gone`."""

    owner_present: bool = True

    def claims(self, release: str, flow: FlowState) -> list[FlowClaim]:
        me = FlowClaim("2026-01-01T09:00:00Z", *release.split("/", 1))
        older = FlowClaim("2025-12-01T09:00:00Z", "other-team", "support-ivr")
        return [older, me] if self.owner_present else [me]


async def flow_conflict_then_handover(harness: Harness, written: Written) -> None:
    """Held back by an older release of the flow (Stalled FlowConflict), then its owner goes."""
    claims = Claims()
    harness.reconciler = ReleaseReconciler(
        flow_api=harness.new_client(),
        statuses=harness.statuses,
        audit=harness.audit,
        clock=harness.clock,
        flow_claims=claims,
    )
    release = harness.release()
    held = await drive_and_record(harness, written, release)
    assert any(c.reason == "FlowConflict" and c.status == "True" for c in held.conditions), held
    claims.owner_present = False
    final = await drive_and_record(harness, written, release, held)
    assert final.phase is Phase.READY


Scenario = Callable[[Harness, Written], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    "promotion-with-bake": promotion_with_bake,
    "validation-failed": validation_failed,
    "health-breach-rolls-back": health_breach_rolls_back,
    "no-rollback-fails": no_rollback_fails,
    "bad-credentials": bad_credentials,
    "created-suspended": created_suspended,
    "suspended-after-ready-then-resumed": suspended_after_ready_then_resumed,
    "generation-bump-with-server-errors": generation_bump_with_server_errors,
    "operator-statuses": operator_statuses,
    "flow-conflict-then-handover": flow_conflict_then_handover,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_kstatus_and_argocd_agree_with_the_table_on_every_written_status(
    name: str, harness: Harness, health_eval: HealthEval
) -> None:
    written = Written()
    await SCENARIOS[name](harness, written)
    table = {row.case: (row.kstatus, row.argocd) for row in documented_rows()}
    judged = health_eval.judge(written.objects)
    assert len(judged) == len(written.objects) >= 1
    for obj, health in zip(written.objects, judged, strict=True):
        case = case_of(obj)
        status = obj.get("status") or {}
        where = f"{case}: phase {status.get('phase')}, conditions {status.get('conditions')}"
        assert not health.argocd.error, where
        assert health.pair == table[case], where


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_every_status_the_engine_writes_carries_observed_generation(
    name: str, harness: Harness
) -> None:
    written = Written()
    await SCENARIOS[name](harness, written)
    missing = [
        (obj["status"]["phase"], [c["type"] for c in obj["status"].get("conditions", [])])
        for obj, by_engine in zip(written.objects, written.engine_written, strict=True)
        if by_engine and "observedGeneration" not in obj["status"]
    ]
    assert missing == []


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_once_an_attempt_began_every_engine_status_carries_observed_generation(
    name: str, harness: Harness
) -> None:
    written = Written()
    await SCENARIOS[name](harness, written)
    engine = [obj["status"] for obj, by in zip(written.objects, written.engine_written, strict=True) if by]
    first = next((i for i, status in enumerate(engine) if "observedGeneration" in status), len(engine))
    assert [s["phase"] for s in engine[first:] if "observedGeneration" not in s] == []


async def test_the_scenarios_visit_every_phase(harness: Harness) -> None:
    """Every phase is in some scenario (each scenario runs against its own fresh org)."""
    phases: set[str] = set()
    for scenario in SCENARIOS.values():
        harness.emulator.control.reset()
        harness.emulator.control.set_transition_mode("polls", polls=1)
        fresh = Harness(
            emulator=harness.emulator,
            http=harness.http,
            clock=type(harness.clock)(),
            statuses=type(harness.statuses)([]),
            audit=type(harness.audit)(),
            timeline=[],
        )
        written = Written()
        await scenario(fresh, written)
        phases |= written.phases
    assert phases == {phase.value for phase in Phase}
