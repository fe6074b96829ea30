# ruff: noqa: E501  (a table reads best one case per line)
"""kill -9 at every side effect of a rollback route (SimulatedCrash: nothing after it runs), on the realistic
profile: the restarted engine resumes from the saved status and never sends one intent's request twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import OutcomeKind
from tests.integration.engine.harness import Harness, SimulatedCrash

BAKE = {"stages": [{"name": "bake", "bakeSeconds": 120, "maxFailureRatio": 0.05, "minSamples": 20}]}
Save = Callable[[FlowReleaseStatus], bool]


def op_is(kind: str, *, posted: bool, version: str = "") -> Save:
    def matches(status: FlowReleaseStatus) -> bool:
        op = status.operation
        return (
            op is not None
            and op.kind == kind
            and bool(op.posted_at) == posted
            and (not version or op.version == version)
        )

    return matches


def draft_recorded(status: FlowReleaseStatus) -> bool:
    return status.rollback is not None and bool(status.rollback.draft_version)


@dataclass(frozen=True)
class Crash:
    id: str
    older: str
    """olderVersionPublish (R4)."""
    before: Save | None
    """Killed before saving this status: the side effect happened, its record did not."""
    after: Save | None
    """Killed right after saving this status: the intent is saved, the side effect never happened."""
    live: str
    counts: dict[str, int]
    drafts: int


CRASHES = [
    Crash("republish-intent-saved-never-sent", "accept", None, op_is("rollback", posted=False, version="2.0"),
          "4.0", {"3.0": 1, "4.0": 1}, 1),
    Crash("republish-sent-unrecorded-accepted", "accept", op_is("rollback", posted=True, version="2.0"), None,
          "2.0", {"3.0": 1, "2.0": 1}, 0),
    Crash("republish-sent-unrecorded-ignored", "ignore", op_is("rollback", posted=True, version="2.0"), None,
          "4.0", {"3.0": 1, "2.0": 1, "4.0": 1}, 1),
    Crash("draft-created-unrecorded", "ignore", draft_recorded, None, "4.0", {"3.0": 1, "2.0": 1, "4.0": 1}, 1),
    Crash("checkin-sent-unrecorded", "refuse", op_is("checkin", posted=True), None, "4.0",
          {"3.0": 1, "2.0": 1, "4.0": 1}, 1),
    Crash("restored-publish-sent-unrecorded", "ignore", op_is("rollback", posted=True, version="4.0"), None,
          "4.0", {"3.0": 1, "2.0": 1, "4.0": 1}, 1),
]  # fmt: skip


def publish_counts(harness: Harness) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in harness.publishes():
        version = str(entry.get("query", "")).rsplit("version=", 1)[-1]
        counts[version] = counts.get(version, 0) + 1
    return counts


@pytest.mark.parametrize("crash", CRASHES, ids=[c.id for c in CRASHES])
async def test_a_crash_during_a_rollback_resumes_without_a_second_request(
    harness: Harness, crash: Crash
) -> None:
    harness.emulator.control.set_behaviour(older_version_publish=crash.older)
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)
    release = harness.release(verify=BAKE)
    harness.statuses.crash_before = crash.before
    harness.statuses.crash_after = crash.after

    with pytest.raises(SimulatedCrash):
        await harness.drive(release)
    saved = harness.statuses.durable
    assert saved.phase is Phase.ROLLING_BACK

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, saved)

    assert outcome.kind is OutcomeKind.STALLED, outcome.message
    assert (outcome.status.phase, outcome.status.published_version) == (Phase.ROLLED_BACK, crash.live)
    assert harness.flow_state()["publishedVersion"] == crash.live
    assert publish_counts(harness) == crash.counts, "no request of one intent was sent twice"
    drafts = harness.emulator.control.request_count(method="POST", path="/api/v2/flows/*/versions")
    checkins = harness.emulator.control.request_count(method="POST", path="/api/v2/flows/actions/checkin")
    assert (drafts, checkins) == (crash.drafts, crash.drafts)
