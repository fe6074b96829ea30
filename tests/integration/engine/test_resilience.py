"""Faults the engine must survive or report: 429 storms, 5xx bursts, an expired token, missing permissions,
wrong credentials, and a crash at the worst moments of a publish."""

from __future__ import annotations

import json

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import Phase
from flowrelease.engine.outcome import OutcomeKind
from tests.integration.engine.harness import PUBLISH_PATH, Harness, SimulatedCrash, fixture_text


def successful_publishes(harness: Harness) -> list[object]:
    return [entry for entry in harness.publishes() if entry["status"] == 200]


async def test_a_429_storm_is_survived(harness: Harness) -> None:
    harness.emulator.control.add_fault(
        path="/api/v2/*", status=429, probability=0.5, count=25, retry_after_seconds=2
    )

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert harness.emulator.control.request_count(status=429) > 0
    assert len(successful_publishes(harness)) == 1
    assert harness.flow_state()["publishedVersion"] == "3.0"


async def test_a_5xx_burst_is_survived(harness: Harness) -> None:
    harness.emulator.control.add_fault(path="/api/v2/flows/*", method="GET", status=503, count=12)
    harness.emulator.control.add_fault(path=PUBLISH_PATH, method="POST", status=502, count=1)

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert len(successful_publishes(harness)) == 1
    retrying = [o for o in harness.outcomes if o.kind is OutcomeKind.WAITING and "temporary" in o.message]
    for waiting in retrying:
        assert waiting.after is not None and 0 < waiting.after <= 60


async def test_an_expired_token_mid_run_is_renewed(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=3)
    token_expired = False

    def expire_token(outcome: object) -> None:
        nonlocal token_expired
        if not token_expired:
            token_expired = True
            harness.emulator.control.advance_clock(86_401)

    outcome = await harness.drive(harness.release(), on_outcome=expire_token)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert harness.emulator.control.request_count(status=401) >= 1
    assert harness.emulator.control.request_count(method="POST", path="/oauth/token") == 2
    assert len(successful_publishes(harness)) == 1


async def test_a_missing_permission_stalls_with_the_permission_named(harness: Harness) -> None:
    harness.emulator.control.add_fault(
        path=PUBLISH_PATH, method="POST", status=403, message="You are missing architect:flow:publish"
    )

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.STALLED
    status = outcome.status
    assert status.phase is Phase.FAILED and status.operation is None
    stalled = next(c for c in status.conditions if c.type == C.STALLED)
    assert stalled.reason == C.PERMISSION_DENIED and "architect:flow:publish" in stalled.message
    assert harness.flow_state()["publishedVersion"] == "2.0"


async def test_wrong_credentials_stall_and_no_secret_leaks(harness: Harness) -> None:
    secret = "s3cr3t-that-must-not-leak"
    harness.emulator = type(harness.emulator)(
        base_url=harness.emulator.base_url,
        client_id=harness.emulator.client_id,
        client_secret=secret,
        control=harness.emulator.control,
        server=harness.emulator.server,
    )
    harness.reconciler = harness.new_reconciler()

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.STALLED
    stalled = next(c for c in outcome.status.conditions if c.type == C.STALLED)
    assert stalled.reason == C.AUTHENTICATION_FAILED
    recorded = json.dumps(
        [outcome.status.to_wire(), [repr(e) for e in harness.audit.events], [repr(e) for e in outcome.events]]
    )
    assert secret not in recorded and harness.emulator.control.request_count(path=PUBLISH_PATH) == 0


async def test_no_token_or_secret_in_status_audit_or_events_of_a_full_release(harness: Harness) -> None:
    outcome = await harness.drive(harness.release())

    recorded = json.dumps([outcome.status.to_wire(), [repr(e) for e in harness.audit.events]])
    assert harness.emulator.client_secret not in recorded
    assert "Bearer" not in recorded and "access_token" not in recorded


async def test_crash_after_the_intent_was_saved_but_before_the_post(harness: Harness) -> None:
    release = harness.release()
    harness.statuses.crash_after = lambda s: s.operation is not None and s.operation.kind == "publish"
    with pytest.raises(SimulatedCrash):
        await harness.drive(release)
    saved = harness.statuses.durable
    assert saved.operation is not None and saved.operation.id == ""
    assert harness.publishes() == []

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, saved)

    assert outcome.kind is OutcomeKind.READY
    assert len(harness.publishes()) == 1


async def test_crash_after_the_post_before_its_id_was_saved_adopts_the_operation(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=3)
    release = harness.release()
    harness.statuses.crash_before = lambda s: s.operation is not None and s.operation.id != ""
    with pytest.raises(SimulatedCrash):
        await harness.drive(release)
    saved = harness.statuses.durable
    assert saved.operation is not None and saved.operation.id == ""
    assert len(harness.publishes()) == 1

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, saved)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert len(harness.publishes()) == 1
    adopted = [e for e in harness.audit.events if "adopted" in e.details]
    assert len(adopted) == 1 and adopted[0].action == "publish"


async def test_crash_while_polling_resumes_the_recorded_operation(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=4)
    release = harness.release()
    first = await harness.drive(release, until=lambda o: o.status.operation is not None)
    assert first.kind is OutcomeKind.WAITING and first.status.operation is not None
    before_restart = len(harness.audit.events)

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, harness.statuses.durable)

    assert outcome.kind is OutcomeKind.READY
    assert len(harness.publishes()) == 1
    polls = [e for e in harness.audit.events[before_restart:] if e.action == "poll"]
    assert polls and [e.attempt for e in polls] == list(range(1, len(polls) + 1)), (
        "each process counts its polls"
    )


async def test_a_conflict_on_publish_waits_under_lock_policy_wait(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=PUBLISH_PATH, method="POST", status=409, count=1)

    outcome = await harness.drive(harness.release(publish={"lockPolicy": "Wait"}))

    assert outcome.kind is OutcomeKind.READY
    assert [o.after for o in harness.outcomes if "conflict" in o.message] == [5.0]
    assert len(successful_publishes(harness)) == 1


async def test_a_one_off_conflict_without_a_lock_is_waited_out_even_under_lock_policy_fail(
    harness: Harness,
) -> None:
    """A 409 with no lock in sight is a busy flow (an operation a lagging read did not show yet): lockPolicy
    is about locks, so the engine looks again and sends the publish once more."""
    harness.emulator.control.add_fault(
        path=PUBLISH_PATH, method="POST", status=409, count=1, message="Flow is busy"
    )

    outcome = await harness.drive(harness.release(publish={"lockPolicy": "Fail"}))

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert [len(harness.publishes()), len(successful_publishes(harness))] == [2, 1]


async def test_a_conflict_that_never_ends_stalls_after_the_publish_timeout(harness: Harness) -> None:
    harness.emulator.control.add_fault(path=PUBLISH_PATH, method="POST", status=409, message="Flow is busy")

    outcome = await harness.drive(harness.release(publish={"timeoutSeconds": 30}))

    assert outcome.kind is OutcomeKind.STALLED
    assert outcome.status.operation is None and outcome.status.phase is Phase.FAILED
    stalled = next(c for c in outcome.status.conditions if c.type == C.STALLED)
    assert stalled.reason == C.CONFLICT and "Flow is busy" in stalled.message
    assert 5 <= len(harness.publishes()) <= 8, "one POST per 5 s look, never two without a wait"
    assert harness.flow_state()["publishedVersion"] == "2.0"


async def test_a_conflict_while_reading_the_flow_stalls_instead_of_looping(harness: Harness) -> None:
    harness.emulator.control.add_fault(
        path="/api/v2/flows", method="GET", status=409, count=1, message="ambiguous"
    )

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.STALLED
    assert harness.audit.events[-1].action == "observe"


async def test_every_status_written_carries_the_generation_it_handled(harness: Harness) -> None:
    """Including the first pass failing on credentials and a suspended release (kstatus reads
    observedGeneration to know the status is about the current spec)."""
    wrong = type(harness.emulator)(
        base_url=harness.emulator.base_url,
        client_id=harness.emulator.client_id,
        client_secret="wrong-secret",
        control=harness.emulator.control,
        server=harness.emulator.server,
    )
    real, harness.emulator = harness.emulator, wrong
    harness.reconciler = harness.new_reconciler()
    failed = await harness.drive(harness.release(generation=3))
    assert failed.kind is OutcomeKind.STALLED and failed.status.observed_generation == 3

    harness.emulator = real
    harness.reconciler = harness.new_reconciler()
    suspended = await harness.drive(harness.release(generation=4, suspend=True), failed.status)
    assert suspended.kind is OutcomeKind.SUSPENDED and suspended.status.observed_generation == 4

    resumed = await harness.drive(harness.release(generation=5), suspended.status)
    assert resumed.kind is OutcomeKind.READY, resumed.message
    generations = [s.observed_generation for s in harness.statuses.saves]
    assert None not in generations and generations == sorted(generations)
    assert {s.observed_generation for s in harness.statuses.saves} == {3, 4, 5}


async def test_a_poll_that_learns_nothing_saves_an_identical_status(harness: Harness) -> None:
    """A shell may skip writing an unchanged status: consecutive polls of a running publish save the very
    same status (no poll counter, no elapsed time in it)."""
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "flowId": flow_id, "mode": "seconds", "seconds": 120}]
    )
    await harness.drive(harness.release(), until=lambda o: len(harness.outcomes) >= 30)
    polling = [
        s.to_wire()
        for s in harness.statuses.saves
        if s.operation is not None and s.operation.posted_at and s.phase.value == "Publishing"
    ]
    assert len(polling) >= 10
    assert polling[-1] == polling[-2] == polling[-5], "nothing new was learned, nothing changed"


async def test_a_release_that_reads_only_every_31_seconds_is_not_fooled_by_reads_that_lag_by_count(
    harness: Harness,
) -> None:
    """A tight rate limit leaves a release one read per 31 s. The realistic org serves two stale reads after
    the POST (R1 lags by reads as well as by time), so both reads inside the 30 s grace show nothing of the
    publish. That is not "Genesys ignored it": the engine reads again and finds it live."""
    outcome = await harness.drive(harness.release(), min_wait=31)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert len(successful_publishes(harness)) == 1, "published once, never resent"
    assert harness.flow_state()["publishedVersion"] == "3.0"
    assert not any(reason == C.PUBLISH_IGNORED for _, reason in harness.release_events())
    assert any("reads so far (a read may lag by count)" in o.message for o in harness.outcomes)


async def test_an_import_read_back_every_31_seconds_is_not_failed_by_reads_that_lag_by_count(
    harness: Harness,
) -> None:
    """The same for source mode: after the Architect job's success the realistic org still serves two stale
    reads of the flow. A release allowed one read per 31 s sees both, the second beyond the 30 s read-back
    grace; that is not ImportNotPublished: the engine reads again and takes the new version."""
    release = harness.release(
        flow={"type": "inboundcall", "name": "Claims IVR"},
        source={"configMapRef": {"name": "claims-ivr", "key": "flow.yaml"}},
    )
    text = fixture_text("claims-ivr.yaml")
    first = await harness.drive(release, source_yaml=text)
    assert first.kind is OutcomeKind.READY, first.message
    before = harness.flow_state("Claims IVR")["publishedVersion"]
    changed = text.replace("Thank you for calling the claims line.", "Thanks for calling the claims line.")
    outcome = await harness.drive(release, first.status, source_yaml=changed, min_wait=31)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    after = harness.flow_state("Claims IVR")["publishedVersion"]
    assert after != before and outcome.status.published_version == after
    assert len(harness.emulator.control.request_log(method="POST", path="/api/v2/flows/jobs")) == 2
    assert any("reads since (a read may lag by count)" in o.message for o in harness.outcomes)
