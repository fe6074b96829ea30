"""Status folding: kstatus conditions, transition times, stale failures cleared, history bounded."""

from __future__ import annotations

from datetime import timedelta

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    HISTORY_LIMIT,
    ExportFailure,
    ExportTargetCheck,
    FlowReleaseStatus,
    HistoryEntry,
    JobRecord,
    OperationRecord,
    Phase,
    RollbackRecord,
    ValidationSummary,
    VerifyStage,
)
from flowrelease.engine.ports import StoredArtifact
from flowrelease.engine.status_folding import Folder, set_condition, timestamp, validation_error_rate
from flowrelease.engine.verification import VersionSample
from tests.unit.engine.builders import NOW, PRIOR, cond, status

STAGE = VerifyStage(name="bake", bake_seconds=60, max_failure_ratio=0.05, min_samples=10)


def folder(seconds: float = 0.0, generation: int = 2) -> Folder:
    return Folder(
        now=NOW + timedelta(seconds=seconds), generation=generation, label="2.4.1", timeout_seconds=900
    )


def types(s: FlowReleaseStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in s.conditions}


def test_last_transition_time_changes_only_when_the_status_changes() -> None:
    first = set_condition([], C.READY, "False", "A", "a", now=NOW, generation=1)
    later = NOW + timedelta(minutes=5)
    same_status = set_condition(first, C.READY, "False", "B", "b", now=later, generation=2)
    flipped = set_condition(same_status, C.READY, "True", "C", "c", now=later, generation=2)

    assert same_status[0].last_transition_time == timestamp(NOW)
    assert (same_status[0].reason, same_status[0].observed_generation) == ("B", 2)
    assert flipped[0].last_transition_time == timestamp(later)


def test_begin_attempt_clears_stale_failures_and_marks_reconciling_anew() -> None:
    failed = status(
        Phase.ROLLED_BACK,
        failed_version="3.0",
        conditions=[
            cond(C.STALLED, "True", C.ROLLED_BACK, "m", "2025-12-31T00:00:00Z"),
            cond(C.ROLLED_BACK, "True", C.ROLLBACK_SUCCEEDED, "m"),
            cond(C.HEALTHY, "False", C.HEALTH_BREACH, "m"),
            cond(C.PUBLISHED, "False", C.ROLLED_BACK, "m"),
            cond(C.RECONCILING, "True", C.PROGRESSING, "old", "2025-12-31T00:00:00Z"),
        ],
    )

    begun = folder().begin_attempt(
        failed, version="3.0", source_digest="", requested_at="t2", message="Releasing"
    )

    assert begun.phase is Phase.VALIDATING
    assert (begun.observed_generation, begun.last_handled_reconcile_at) == (2, "t2")
    assert types(begun) == {C.RECONCILING: ("True", C.PROGRESSING), C.READY: ("False", C.PROGRESSING)}
    reconciling = next(c for c in begun.conditions if c.type == C.RECONCILING)
    assert reconciling.last_transition_time == timestamp(NOW)
    assert "timeout 900s" in reconciling.message and "version 3.0" in reconciling.message
    assert begun.failed_version == "3.0"


def test_begin_attempt_keeps_verification_of_the_live_version() -> None:
    ready = status(
        Phase.READY,
        published_version="3.0",
        conditions=[
            cond(C.HEALTHY, "True", C.STAGES_PASSED, "ok"),
            cond(C.PUBLISHED, "True", C.SUCCEEDED, "ok"),
        ],
    )

    begun = folder().begin_attempt(ready, version="3.0", source_digest="", requested_at="", message="m")

    assert types(begun)[C.HEALTHY] == ("True", C.STAGES_PASSED)
    assert types(begun)[C.PUBLISHED] == ("True", C.SUCCEEDED)


def test_publish_intent_records_last_good_the_prior_operation_and_no_acknowledgement() -> None:
    validating = folder().validation_passed(
        status(Phase.VALIDATING), version="3.0", summary=ValidationSummary()
    )

    intended = folder(1).publish_intended(validating, version="3.0", last_good="2.0", prior_operation=PRIOR)

    assert intended.phase is Phase.PUBLISHING and intended.last_good_version == "2.0"
    assert intended.operation == OperationRecord(
        kind="publish",
        version="3.0",
        started_at=timestamp(NOW + timedelta(seconds=1)),
        prior_operation=PRIOR,
        prior_version="2.0",
    )
    assert types(intended)[C.VALIDATED] == ("True", C.SUCCEEDED)


def test_acknowledgement_records_the_id_and_time_and_clears_a_refusal() -> None:
    intended = folder().publish_intended(
        status(Phase.VALIDATING), version="3.0", last_good="2.0", prior_operation=None
    )
    refused = folder(1).operation_refused(intended, http_status=409, code="busy", message="Flow is busy")
    posted = folder(7).operation_posted(refused, "op-1")

    assert refused.operation is not None and refused.operation.refused is not None
    assert (refused.operation.refused.status, refused.operation.refused.message) == (409, "Flow is busy")
    assert posted.operation is not None
    assert (posted.operation.id, posted.operation.posted_at, posted.operation.refused) == (
        "op-1",
        timestamp(NOW + timedelta(seconds=7)),
        None,
    )


def test_validation_service_unavailable_is_a_visible_warning_on_validated() -> None:
    passed = folder().validation_passed(
        status(Phase.VALIDATING, job=JobRecord(kind="validate", unavailable="HTTP 404: not found")),
        version="3.0",
        summary=ValidationSummary(warnings=1),
        unavailable="HTTP 404: not found",
    )
    validated = next(c for c in passed.conditions if c.type == C.VALIDATED)
    assert (validated.status, validated.reason) == ("True", C.VALIDATION_SERVICE_UNAVAILABLE)
    assert "HTTP 404: not found" in validated.message and passed.job is None


def test_published_reaches_ready_only_through_verification() -> None:
    fold = folder()
    started = fold.operation_posted(
        fold.publish_intended(status(Phase.VALIDATING), version="3.0", last_good="2.0", prior_operation=None),
        "op-1",
    )
    published = fold.published(started, version="3.0", operation_id="op-1")
    assert published.phase is Phase.VERIFYING and types(published)[C.READY][0] == "False"
    assert published.published_operation_id == "op-1" and published.operation is None

    baking = fold.stage_started(published, STAGE)
    sample = VersionSample(entries=55, outcomes=50, failed_outcomes=1, exits=52, disconnects=3)
    sampled = folder(60).stage_sampled(baking, STAGE, 60, sample)
    passed = folder(61).stage_passed(sampled, None)
    ready = folder(62).ready(passed)

    assert sampled.verification is not None and (
        sampled.verification.samples,
        sampled.verification.outcomes,
        sampled.verification.failed,
        sampled.verification.failure_ratio,
        sampled.verification.exits,
        sampled.verification.disconnects,
        sampled.verification.window_seconds,
        sampled.verification.sampled_at,
    ) == (55, 50, 1, 0.02, 52, 3, 60, timestamp(NOW + timedelta(seconds=60)))
    assert types(baking)[C.VERIFIED] == ("Unknown", C.VERIFYING)
    assert types(passed)[C.VERIFIED] == ("True", C.STAGES_PASSED)
    assert passed.phase is Phase.EXPORTING
    assert ready.phase is Phase.READY
    assert types(ready)[C.READY] == ("True", C.SUCCEEDED)
    assert C.RECONCILING not in types(ready) and C.STALLED not in types(ready)
    assert [(h.version, h.label, h.result) for h in ready.history] == [("3.0", "2.4.1", "Ready")]
    assert ready.history[0].started_at == timestamp(NOW)


def test_skipping_a_publish_keeps_the_operation_id_of_the_live_version() -> None:
    live = status(Phase.VALIDATING, published_version="3.0", published_operation_id="op-1")
    assert folder().skipped_publish(live, version="3.0", verified=False).published_operation_id == "op-1"
    assert folder().skipped_publish(live, version="4.0", verified=False).published_operation_id == ""


def test_ready_twice_records_history_once() -> None:
    ready = folder().ready(status(Phase.EXPORTING, published_version="3.0"))
    assert folder(10).ready(ready).history == ready.history


def test_rollback_then_rolled_back_is_stalled_with_the_cause() -> None:
    fold = folder()
    live = status(Phase.VERIFYING, published_version="3.0", last_good_version="2.0")
    rolling = fold.rollback_started(
        live, target="2.0", failure_reason=C.HEALTH_BREACH, message="30 of 100 failed"
    )
    done = folder(5).rolled_back(rolling, version="2.0", route="republish")

    assert (
        rolling.phase is Phase.ROLLING_BACK and rolling.failed_version == "3.0" and rolling.operation is None
    )
    assert rolling.rollback == RollbackRecord(
        route="republish", target_version="2.0", route_started_at=timestamp(NOW)
    )
    assert types(rolling)[C.HEALTHY] == ("False", C.HEALTH_BREACH)
    assert done.phase is Phase.ROLLED_BACK and done.published_version == "2.0" and done.operation is None
    assert done.rollback is not None and done.rollback.restored_version == "2.0"
    assert types(done)[C.STALLED] == ("True", C.ROLLED_BACK)
    assert types(done)[C.ROLLED_BACK] == ("True", C.ROLLBACK_SUCCEEDED)
    assert types(done)[C.HEALTHY] == ("False", C.HEALTH_BREACH)
    message = next(c.message for c in done.conditions if c.type == C.STALLED)
    assert "HealthBreach: 30 of 100 failed" in message and "version 2.0" in message
    assert done.history[-1].result == "RolledBack" and done.history[-1].version == "3.0"


def test_routes_left_are_recorded_in_order_with_the_ids_each_produced() -> None:
    rolling = folder().rollback_started(
        status(Phase.VERIFYING, published_version="3.0"),
        target="2.0",
        failure_reason=C.HEALTH_BREACH,
        message="m",
    )
    left = folder(40).route_left(
        rolling, route="republish", result="ignored", message="nothing", next_route="restore"
    )
    drafted = folder(41).draft_recorded(left, "saved_version_abc")
    checked = folder(45).checkin_succeeded(drafted, "4.0")
    done = folder(50).rolled_back(checked, version="4.0", route="restore")

    assert left.rollback is not None and left.rollback.route == "restore"
    assert left.rollback.route_started_at == timestamp(NOW + timedelta(seconds=40))
    assert [(a.route, a.result) for a in left.rollback.left] == [("republish", "ignored")]
    assert types(left)[C.RECONCILING] == ("True", C.RESTORING)
    assert done.rollback is not None
    assert (done.rollback.target_version, done.rollback.draft_version, done.rollback.restored_version) == (
        "2.0",
        "saved_version_abc",
        "4.0",
    )
    assert types(done)[C.ROLLED_BACK] == ("True", C.RESTORE_SUCCEEDED)
    assert "version 4.0 (a copy of version 2.0, route restore) is live again" in next(
        c.message for c in done.conditions if c.type == C.ROLLED_BACK
    )


def test_the_last_route_failing_fails_the_release_naming_every_route() -> None:
    rolling = folder().rollback_started(
        status(Phase.VERIFYING, published_version="3.0"),
        target="2.0",
        failure_reason=C.HEALTH_BREACH,
        message="m",
    )
    left = folder(1).route_left(
        rolling, route="republish", result="refused", message="older", next_route="restore"
    )
    left = folder(2).route_left(
        left, route="restore", result="ignored", message="no draft", next_route="reimport"
    )
    failed = folder(3).rollback_failed(left, route="reimport", result="failed", message="job failed")

    assert failed.phase is Phase.FAILED and failed.operation is None
    stalled = next(c for c in failed.conditions if c.type == C.STALLED)
    assert stalled.reason == C.ROLLBACK_FAILED
    assert "republish was refused (older); restore was ignored (no draft); reimport failed (job failed)" in (
        stalled.message
    )
    assert failed.rollback is not None and len(failed.rollback.left) == 3


def test_validation_failure_publishes_nothing_and_is_stalled() -> None:
    failed = folder().validation_failed(
        status(Phase.VALIDATING), reason=C.FLOW_LOCKED, message="locked by Jane"
    )

    assert failed.phase is Phase.VALIDATION_FAILED and failed.operation is None
    assert types(failed) == {
        C.VALIDATED: ("False", C.FLOW_LOCKED),
        C.STALLED: ("True", C.FLOW_LOCKED),
        C.READY: ("False", C.FLOW_LOCKED),
    }


def test_permanent_error_keeps_in_flight_work_for_a_later_resume() -> None:
    fold = folder()
    publishing = fold.operation_posted(
        fold.publish_intended(status(Phase.VALIDATING), version="3.0", last_good="2.0", prior_operation=None),
        "op-1",
    )

    failed = fold.permanent_error(
        publishing, reason=C.PERMISSION_DENIED, message="missing architect:flow:view"
    )
    refused = fold.permanent_error(publishing, reason=C.PERMISSION_DENIED, message="m", drop_operation=True)

    assert failed.phase is Phase.FAILED and failed.operation == publishing.operation
    assert types(failed)[C.STALLED] == ("True", C.PERMISSION_DENIED)
    assert refused.operation is None


def test_export_failure_keeps_when_it_began_then_success_clears_it() -> None:
    exporting = status(Phase.EXPORTING, published_version="3.0")
    failed = folder().export_failed(exporting, "remote unreachable")
    again = folder(20).export_failed(failed, "remote unreachable")
    stored = folder(30).exported(
        again, version="3.0", stored=StoredArtifact("flows/ivr", "a" * 40, changed=True)
    )

    assert types(failed)[C.EXPORTED] == ("False", C.EXPORT_FAILED) and failed.phase is Phase.EXPORTING
    assert again.export_failure == ExportFailure(
        version="3.0",
        message="remote unreachable",
        since=timestamp(NOW),
        at=timestamp(NOW + timedelta(seconds=20)),
    )
    assert types(stored)[C.EXPORTED] == ("True", C.SUCCEEDED) and stored.export_failure is None
    assert stored.artifact is not None and (stored.artifact.version, stored.artifact.commit) == (
        "3.0",
        "a" * 40,
    )


def test_a_permanent_export_failure_stalls_with_the_version_live() -> None:
    failed = folder().export_failed(
        status(Phase.EXPORTING, published_version="3.0"), "bad token", permanent=True
    )
    stalled = folder(1).export_stalled(failed, "bad token")
    assert stalled.phase is Phase.FAILED and stalled.published_version == "3.0"
    assert types(stalled)[C.STALLED] == ("True", C.EXPORT_FAILED)
    assert types(stalled)[C.EXPORTED] == ("False", C.EXPORT_FAILED)


def test_the_export_target_check_keeps_when_it_began_failing_and_a_new_attempt_forgets_it() -> None:
    validating = status(Phase.VALIDATING)
    failed = folder().export_target_failed(validating, "spec.export.git.url: down", permanent=False)
    again = folder(20).export_target_failed(failed, "spec.export.git.url: still down", permanent=False)
    answered = folder(30).export_target_checked(again)
    begun = folder(40).begin_attempt(
        answered, version="4.0", source_digest="", requested_at="", message="Releasing version 4.0"
    )

    assert again.export_check == ExportTargetCheck(
        message="spec.export.git.url: still down",
        since=timestamp(NOW),
        at=timestamp(NOW + timedelta(seconds=20)),
    )
    assert again.phase is Phase.VALIDATING and again.conditions == validating.conditions
    assert answered.export_check == ExportTargetCheck(checked_at=timestamp(NOW + timedelta(seconds=30)))
    assert begun.export_check is None, "every attempt checks the target again before its first side effect"


def test_every_write_carries_the_generation_it_handled() -> None:
    assert folder(generation=4).stamp(status(Phase.FAILED, observed_generation=None)).observed_generation == 4


def test_history_keeps_the_last_ten() -> None:
    many = status(
        Phase.EXPORTING,
        published_version="3.0",
        history=[HistoryEntry(version=f"{n}.0", result="Ready") for n in range(HISTORY_LIMIT)],
    )
    ready = folder().ready(many)
    assert len(ready.history) == HISTORY_LIMIT and ready.history[0].version == "1.0"
    assert ready.history[-1].version == "3.0"


def test_validation_error_rate_counts_failed_validations_among_attempts() -> None:
    entries = [
        HistoryEntry(version="1", result=r)
        for r in ("Ready", "ValidationFailed", "RolledBack", "ValidationFailed")
    ]
    assert validation_error_rate(status(history=entries)) == 0.5
    assert validation_error_rate(status()) == 0.0


def test_status_round_trips_through_the_wire_form() -> None:
    fold = folder()
    folded = fold.rollback_started(
        status(Phase.PUBLISHING), target="2.0", failure_reason=C.PUBLISH_FAILED, message="x"
    )
    assert FlowReleaseStatus.model_validate(folded.to_wire()) == folded
