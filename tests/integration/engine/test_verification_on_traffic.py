"""Verification judged on simulated traffic, on the REALISTIC emulator (ingestion delay, read lag, publishes
taking seconds), with the engine's clock and the emulator's moving together.

- a version with a high failure ratio is rolled back while the previous version's traffic is healthy;
- a healthy new version is not rolled back while old-version traffic is failing (and a flowId-only query
  of the same window WOULD have breached: the test is not passing by luck);
- a flow without outcome actions is never called healthy on outcome data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.emulator.wire import iso_datetime
from flowrelease.engine.outcome import OutcomeKind
from tests.integration.engine.harness import Harness

CANARY = {
    "name": "canary",
    "bakeSeconds": 600,
    "settleSeconds": 120,
    "minSamples": 50,
    "analytics": [{"signal": "outcomeFailureRatio", "max": 0.1}],
}


def conditions_of(status: FlowReleaseStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions}


def aggregate(
    harness: Harness, flow_id: str, since: datetime, until: datetime, version: str = ""
) -> dict[str, int]:
    """nFlow / nFlowOutcome / nFlowOutcomeFailed as Genesys would answer, optionally for one version only."""
    emulator = harness.emulator
    token = httpx.post(
        f"{emulator.base_url}/oauth/token",
        auth=(emulator.client_id, emulator.client_secret),
        data={"grant_type": "client_credentials"},
    ).json()["access_token"]
    predicates: list[dict[str, Any]] = [{"dimension": "flowId", "value": flow_id}]
    if version:
        predicates.append({"dimension": "flowVersion", "value": version})
    body = {
        "interval": f"{iso_datetime(since.timestamp())}/{iso_datetime(until.timestamp())}",
        "filter": {"type": "and", "predicates": predicates},
        "metrics": ["nFlow", "nFlowOutcome", "nFlowOutcomeFailed"],
    }
    answer = httpx.post(
        f"{emulator.base_url}/api/v2/analytics/flows/aggregates/query",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    totals: dict[str, int] = {}
    for result in answer.get("results", []):
        for data in result["data"]:
            for metric in data["metrics"]:
                totals[metric["metric"]] = totals.get(metric["metric"], 0) + metric["stats"]["count"]
    return totals


def ratio(counts: dict[str, int]) -> float:
    return counts.get("nFlowOutcomeFailed", 0) / counts["nFlowOutcome"]


def stage_window(status: FlowReleaseStatus) -> tuple[datetime, datetime]:
    verification = status.verification
    assert verification is not None and verification.started_at
    start = datetime.fromisoformat(verification.started_at.replace("Z", "+00:00"))
    return start, start + timedelta(seconds=verification.window_seconds)


async def test_a_failing_new_version_is_rolled_back_while_the_old_one_is_healthy(
    traffic_harness: Harness,
) -> None:
    harness = traffic_harness
    flow_id = harness.emulator.flow_id("Support IVR")
    control = harness.emulator.control
    before = harness.clock.now()
    control.set_traffic(flow_id, entries_per_minute=30, abandon_ratio=0.0)
    control.fail_version(flow_id, "3.0", 0.5)
    harness.clock.advance(300)
    control.advance_clock(300)  # five minutes of 2.0 traffic before the release

    outcome = await harness.drive(harness.release(verify={"stages": [CANARY]}))

    status = outcome.status
    assert outcome.kind is OutcomeKind.STALLED and status.phase is Phase.ROLLED_BACK, outcome.message
    assert status.failed_version == "3.0" and status.rollback is not None
    assert conditions_of(status)[C.HEALTHY] == ("False", C.HEALTH_BREACH)
    assert conditions_of(status)[C.VERIFIED] == ("False", C.HEALTH_BREACH)
    (judged,) = status.verification.stages if status.verification else []
    floor, outcome_ratio = judged.signals
    assert judged.verdict == "breached" and judged.version == "3.0" and floor.samples >= 200
    assert outcome_ratio.value is not None and 0.35 <= outcome_ratio.value <= 0.65, outcome_ratio
    assert "of version 3.0" in outcome_ratio.measured
    start, _ = stage_window(status)
    old = aggregate(harness, flow_id, before, start, version="2.0")
    assert old["nFlowOutcome"] >= 100 and ratio(old) <= 0.05, f"2.0 was healthy all along: {old}"
    judged_events = [e for e in harness.audit.events if e.details.get("verdict") == "breached"]
    assert len(judged_events) == 1, "one audit event per judgement"
    assert ("Warning", C.HEALTH_BREACH) in harness.release_events()


async def test_a_healthy_new_version_is_not_rolled_back_while_old_version_traffic_fails(
    traffic_harness: Harness,
) -> None:
    harness = traffic_harness
    flow_id = harness.emulator.flow_id("Support IVR")
    control = harness.emulator.control
    # long calls: many 2.0 callers are still in the flow when 3.0 goes live, and fail during its window
    control.set_traffic(flow_id, entries_per_minute=30, abandon_ratio=0.0, flow_seconds=500)
    control.fail_version(flow_id, "2.0", 0.8)
    control.fail_version(flow_id, "3.0", 0.0)
    harness.clock.advance(900)
    control.advance_clock(900)

    outcome = await harness.drive(harness.release(verify={"stages": [CANARY]}))

    status = outcome.status
    assert outcome.kind is OutcomeKind.READY and status.published_version == "3.0", outcome.message
    assert conditions_of(status)[C.VERIFIED] == ("True", C.STAGES_PASSED)
    (judged,) = status.verification.stages if status.verification else []
    assert judged.verdict == "passed" and judged.signals[1].value == 0.0
    start, end = stage_window(status)
    mixed = aggregate(harness, flow_id, start, end)
    own = aggregate(harness, flow_id, start, end, version="3.0")
    assert ratio(mixed) > 0.1, f"a flowId-only query of the window would have rolled 3.0 back: {mixed}"
    assert ratio(own) == 0.0 and own["nFlowOutcome"] >= 50


async def test_a_flow_without_outcome_actions_is_never_called_healthy_on_outcome_data(
    traffic_harness: Harness,
) -> None:
    harness = traffic_harness
    control = harness.emulator.control
    plain = {
        "name": "Plain IVR",
        "type": "INBOUNDCALL",
        "versions": [{"queues": ["Support"]}, {"queues": ["Support", "Billing"]}],
        "publishedVersion": "1.0",
        "traffic": {"entriesPerMinute": 30, "failureRatio": 0.0},
    }
    control.seed({"flows": [plain, {**plain, "name": "Plain IVR B"}]})
    default_stage = {"name": "bake", "bakeSeconds": 300, "settleSeconds": 120, "minSamples": 20}

    outcome = await harness.drive(
        harness.release(flow={"type": "inboundcall", "name": "Plain IVR"}, version="2.0",
                        verify={"stages": [default_stage]})
    )  # fmt: skip

    status = outcome.status
    assert status.phase is Phase.ROLLED_BACK, outcome.message
    assert conditions_of(status)[C.VERIFIED] == ("False", C.INSUFFICIENT_DATA)
    assert conditions_of(status)[C.HEALTHY] == ("False", C.INSUFFICIENT_DATA)
    (judged,) = status.verification.stages if status.verification else []
    floor, outcomes = judged.signals
    assert (judged.verdict, judged.window_seconds) == ("insufficientData", 900), "Extend up to 3 x 300 s"
    assert floor.verdict == "healthy" and floor.samples >= 200, "plenty of callers: the data is not short"
    assert outcomes.verdict == "insufficient" and outcomes.value is None
    assert "version 2.0 sets no flow outcomes (Initialize/Set Flow Outcome actions)" in outcomes.message

    passing = {**default_stage, "onInsufficientData": "Pass"}
    other = await harness.drive(
        harness.release(flow={"type": "inboundcall", "name": "Plain IVR B"}, version="2.0",
                        verify={"stages": [passing]}, name="plain-ivr-b")
    )  # fmt: skip
    assert other.kind is OutcomeKind.READY and other.status.published_version == "2.0", other.message
    assert conditions_of(other.status)[C.VERIFIED] == ("False", C.NOT_JUDGED)
    assert conditions_of(other.status)[C.HEALTHY] == ("Unknown", C.NOT_JUDGED), (
        "passed, but not called healthy"
    )
    ready = next(c for c in other.status.conditions if c.type == C.READY)
    assert ready.message == "Version 2.0 is live, not verified (a stage passed without judgement)"
