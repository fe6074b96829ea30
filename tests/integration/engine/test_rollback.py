"""Failures after publishing starts: publish failure, health breach and timeout roll back to the last good
configuration, confirmed by reading publishedVersion. On the realistic profile an older-version publish is
answered 200 and ignored (R4), so the rollback takes the restore route; the knob is set where a test is
about another reading (accept, refuse)."""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from tests.integration.engine.harness import Harness

BAKE = {"stages": [{"name": "bake", "bakeSeconds": 120, "maxFailureRatio": 0.05, "minSamples": 20}]}
RESTORED = "<a restored copy of 2.0>"


def condition(status: FlowReleaseStatus, type_: str) -> tuple[str, str, str]:
    found = next(c for c in status.conditions if c.type == type_)
    return found.status, found.reason, found.message


def assert_rolled_back(harness: Harness, outcome: Outcome, live: str, cause: str) -> None:
    assert outcome.kind is OutcomeKind.STALLED, outcome.message
    status = outcome.status
    if live == RESTORED:
        live = status.published_version
        assert live not in ("2.0", "3.0"), "the last good configuration is live as a new version"
    assert (status.phase, status.published_version, status.failed_version) == (Phase.ROLLED_BACK, live, "3.0")
    assert status.operation is None
    assert condition(status, C.ROLLED_BACK)[0] == "True"
    stalled = condition(status, C.STALLED)
    assert stalled[:2] == ("True", C.ROLLED_BACK)
    assert cause in stalled[2] and "not retried until the spec changes" in stalled[2]
    assert condition(status, C.READY)[0] == "False"
    assert harness.flow_state()["publishedVersion"] == live
    assert status.history[-1].result == "RolledBack"
    assert "RolledBack" in [e.reason for e in outcome.events]
    record = status.rollback
    assert record is not None and record.restored_version == live and record.target_version == "2.0"


async def test_publish_failure_rolls_back_and_is_not_retried(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.fail_operation(
        flow_id, version="3.0", error_message="Prompt 'welcome' failed to build"
    )
    release = harness.release()

    outcome = await harness.drive(release)

    assert_rolled_back(harness, outcome, "2.0", "Prompt 'welcome' failed to build")
    assert condition(outcome.status, C.PUBLISHED)[0] == "False"
    # the failed publish left 2.0 live, so the rollback only had to confirm it: no second POST
    assert len(harness.publishes("3.0")) == 1 and harness.publishes("2.0") == []

    again = await harness.drive(release, outcome.status)
    assert again.kind is OutcomeKind.STALLED
    assert len(harness.publishes()) == 1

    retried = await harness.drive(release, again.status, requested_at="2026-01-01T10:00:00Z")
    assert retried.kind is OutcomeKind.READY
    assert retried.status.failed_version == "" and retried.status.published_version == "3.0"
    assert retried.status.last_handled_reconcile_at == "2026-01-01T10:00:00Z"


async def test_health_breach_rolls_back_by_republishing_where_the_org_accepts_it(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(older_version_publish="accept")
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)

    outcome = await harness.drive(harness.release(verify=BAKE))

    assert_rolled_back(
        harness, outcome, "2.0", "outcomeFailureRatio 0.300 > 0.05: 30 of 100 flow outcomes failed"
    )
    assert condition(outcome.status, C.HEALTHY)[:2] == ("False", C.HEALTH_BREACH)
    assert outcome.status.verification is not None
    assert (outcome.status.verification.samples, outcome.status.verification.failure_ratio) == (100, 0.3)
    assert [len(harness.publishes(v)) for v in ("3.0", "2.0")] == [1, 1]
    assert [reason for kind, reason in harness.release_events() if kind == "Warning"] == [
        C.VALIDATION_SERVICE_UNAVAILABLE,
        "HealthBreach",
        "RollingBack",
        "RolledBack",
    ]
    steps = [(e.action, e.outcome, e.details["step"]) for e in harness.audit.events]
    sampled = steps.index(("verify", "ok", "SampleVerifyStage"))
    assert steps[sampled + 1] == ("rollback", "failed", "StartRollback"), "the planner judged the breach"
    assert steps[-1] == ("observe", "skipped", "Stall") and ("rollback", "ok", "RollbackSucceeded") in steps
    assert outcome.status.rollback is not None
    assert (outcome.status.rollback.route, outcome.status.rollback.restored_version) == ("republish", "2.0")


async def test_health_breach_on_the_realistic_org_restores_the_configuration_as_a_new_version(
    harness: Harness,
) -> None:
    """R4 ignore + R3: republishing 2.0 is answered 200 and changes nothing; within the grace the engine
    takes the restore route, and the version live afterwards is whatever the org numbered the check-in."""
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)

    outcome = await harness.drive(harness.release(verify=BAKE))

    assert_rolled_back(
        harness, outcome, RESTORED, "outcomeFailureRatio 0.300 > 0.05: 30 of 100 flow outcomes failed"
    )
    record = outcome.status.rollback
    assert record is not None and record.draft_version.startswith("saved_version_")
    assert [(a.route, a.result) for a in record.left] == [("republish", "ignored")]
    assert [len(harness.publishes(v)) for v in ("3.0", "2.0", record.restored_version)] == [1, 1, 1]
    assert harness.publishes(record.draft_version) == [], "the draft id is never published (R3, R5)"
    client = harness.new_client()
    assert await client.version_configuration(flow_id, record.restored_version) == (
        await client.version_configuration(flow_id, "2.0")
    )


async def test_publish_timeout_rolls_back(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    control = harness.emulator.control
    control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "flowId": flow_id, "mode": "seconds", "seconds": 45}]
    )

    def org_recovers(outcome: Outcome) -> None:
        if outcome.status.phase is Phase.ROLLING_BACK:
            control.set_transition_mode("polls", polls=1)

    outcome = await harness.drive(
        harness.release(publish={"timeoutSeconds": 30}), sync_emulator_clock=True, on_outcome=org_recovers
    )

    assert_rolled_back(harness, outcome, RESTORED, "did not finish within spec.publish.timeoutSeconds (30s)")
    polls = [o for o in harness.outcomes if o.status.phase is Phase.PUBLISHING and o.status.operation]
    assert 5 <= len(polls) <= 25
    waited = [o.after or 0.0 for o in polls]
    assert waited[0] < 1.0 and max(waited) <= 10.0 * 1.1
    # the timed-out 3.0 landed late (45 s); the rollback waited for it before touching the flow
    assert [len(harness.publishes(v)) for v in ("3.0", "2.0")] == [1, 1]


async def test_refused_older_publish_falls_back_to_restoring_the_configuration(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.refuse_older_publish(True)
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.5, samples=50)

    outcome = await harness.drive(harness.release(verify=BAKE))

    assert_rolled_back(harness, outcome, RESTORED, "HealthBreach")
    restored = outcome.status.published_version
    assert condition(outcome.status, C.ROLLED_BACK)[1] == C.RESTORE_SUCCEEDED
    assert "a copy of version 2.0" in condition(outcome.status, C.ROLLED_BACK)[2]
    client = harness.new_client()
    assert await client.version_configuration(flow_id, restored) == await client.version_configuration(
        flow_id, "2.0"
    )
    refused = harness.emulator.control.request_log(
        method="POST", path="/api/v2/flows/actions/publish", status=400
    )
    assert len(refused) == 1
    record = outcome.status.rollback
    assert record is not None
    assert (record.route, record.target_version, record.restored_version) == ("restore", "2.0", restored)
    assert record.draft_version and [(a.route, a.result) for a in record.left] == [("republish", "refused")]
    intents = [s.operation.kind for s in harness.statuses.saves if s.operation and not s.operation.posted_at]
    assert {"rollback", "restore", "checkin"} <= set(intents), "each route's side effect was saved first"
    assert {e.action for e in harness.audit.events} >= {"rollback", "restore"}


async def test_rollback_strategy_none_stalls_with_the_bad_version_live(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.4, samples=50)

    outcome = await harness.drive(harness.release(verify=BAKE, rollback={"strategy": "None"}))

    assert outcome.kind is OutcomeKind.STALLED
    status = outcome.status
    assert (status.phase, status.published_version, status.failed_version) == (Phase.FAILED, "3.0", "3.0")
    assert condition(status, C.STALLED)[:2] == ("True", C.ROLLBACK_DISABLED)
    assert harness.publishes("2.0") == []


async def test_first_release_has_nothing_to_roll_back_to(harness: Harness) -> None:
    harness.emulator.control.seed(
        {
            "flows": [
                {
                    "name": "New IVR",
                    "type": "INBOUNDCALL",
                    "division": "Home",
                    "versions": [{"queues": ["Support"]}],
                }
            ]
        }
    )
    flow_id = harness.emulator.flow_id("New IVR")
    harness.emulator.control.fail_operation(flow_id, version="1.0")

    outcome = await harness.drive(
        harness.release(flow={"type": "inboundcall", "name": "New IVR"}, version="1.0")
    )

    assert outcome.kind is OutcomeKind.STALLED
    assert outcome.status.phase is Phase.FAILED and outcome.status.failed_version == "1.0"
    stalled = condition(outcome.status, C.STALLED)
    assert stalled[1] == C.NOTHING_TO_ROLL_BACK_TO and "nothing to roll back to" in stalled[2]
