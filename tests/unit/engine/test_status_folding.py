"""Status folding: kstatus conditions, transition times, stale failures cleared, history bounded."""

from __future__ import annotations

from datetime import timedelta

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    HISTORY_LIMIT,
    FlowReleaseStatus,
    HistoryEntry,
    Phase,
    ValidationSummary,
    VerifyStage,
)
from flowrelease.engine.ports import HealthSample, StoredArtifact
from flowrelease.engine.status_folding import Folder, set_condition, timestamp, validation_error_rate
from tests.unit.engine.builders import NOW, cond, status

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


def test_publish_intent_records_last_good_and_operation_before_the_post() -> None:
    validating = folder().validation_passed(
        status(Phase.VALIDATING), version="3.0", summary=ValidationSummary(), dependency_hash="sha256:x"
    )

    intended = folder(1).publish_intended(validating, version="3.0", last_good="2.0")

    assert intended.phase is Phase.PUBLISHING and intended.last_good_version == "2.0"
    assert intended.operation is not None
    assert (intended.operation.kind, intended.operation.id, intended.operation.version) == (
        "publish",
        "",
        "3.0",
    )
    assert intended.operation.started_at == timestamp(NOW + timedelta(seconds=1))
    assert types(intended)[C.VALIDATED] == ("True", C.SUCCEEDED)
    assert intended.dependency_hash == "sha256:x"


def test_published_reaches_ready_only_through_verification() -> None:
    fold = folder()
    started = fold.operation_id(
        fold.publish_intended(status(Phase.VALIDATING), version="3.0", last_good="2.0"), "op-1"
    )
    published = fold.published(started, version="3.0", operation_id="op-1")
    assert published.phase is Phase.VERIFYING and types(published)[C.READY][0] == "False"
    assert (
        C.operation_of_published(next(c.message for c in published.conditions if c.type == C.PUBLISHED))
        == "op-1"
    )

    baking = fold.stage_started(published, STAGE)
    passed = folder(61).stage_passed(baking, STAGE, HealthSample(outcomes=50, failed=1), None)
    ready = folder(62).ready(passed)

    assert passed.phase is Phase.EXPORTING
    assert passed.verification is not None and (
        passed.verification.samples,
        passed.verification.failure_ratio,
    ) == (50, 0.02)
    assert ready.phase is Phase.READY
    assert types(ready)[C.READY] == ("True", C.SUCCEEDED)
    assert C.RECONCILING not in types(ready) and C.STALLED not in types(ready)
    assert [(h.version, h.label, h.result) for h in ready.history] == [("3.0", "2.4.1", "Ready")]
    assert ready.history[0].started_at == timestamp(NOW)


def test_ready_twice_records_history_once() -> None:
    ready = folder().ready(status(Phase.EXPORTING, published_version="3.0"))
    assert folder(10).ready(ready).history == ready.history


def test_rollback_then_rolled_back_is_stalled_with_the_cause() -> None:
    fold = folder()
    live = status(Phase.VERIFYING, published_version="3.0", last_good_version="2.0")
    breached = fold.health_breach(live, STAGE, HealthSample(outcomes=100, failed=30), "30 of 100 failed")
    rolling = fold.rollback_started(
        breached, target="2.0", failure_reason=C.HEALTH_BREACH, message="30 of 100 failed"
    )
    done = folder(5).rolled_back(rolling, version="2.0", restored_from="")

    assert rolling.phase is Phase.ROLLING_BACK and rolling.failed_version == "3.0"
    assert rolling.operation is not None and (rolling.operation.kind, rolling.operation.version) == (
        "rollback",
        "2.0",
    )
    assert done.phase is Phase.ROLLED_BACK and done.published_version == "2.0" and done.operation is None
    assert types(done)[C.STALLED] == ("True", C.ROLLED_BACK)
    assert types(done)[C.ROLLED_BACK] == ("True", C.ROLLBACK_SUCCEEDED)
    assert types(done)[C.HEALTHY] == ("False", C.HEALTH_BREACH)
    message = next(c.message for c in done.conditions if c.type == C.STALLED)
    assert "HealthBreach: 30 of 100 failed" in message and "version 2.0" in message
    assert done.history[-1].result == "RolledBack" and done.history[-1].version == "3.0"


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
    publishing = fold.operation_id(
        fold.publish_intended(status(Phase.VALIDATING), version="3.0", last_good="2.0"), "op-1"
    )

    failed = fold.permanent_error(
        publishing, reason=C.PERMISSION_DENIED, message="missing architect:flow:view"
    )

    assert failed.phase is Phase.FAILED and failed.operation == publishing.operation
    assert types(failed)[C.STALLED] == ("True", C.PERMISSION_DENIED)


def test_export_failure_then_success() -> None:
    fold = folder()
    exporting = status(Phase.EXPORTING, published_version="3.0")
    failed = fold.export_failed(exporting, "remote unreachable", 15.0)
    stored = folder(30).exported(
        failed, version="3.0", stored=StoredArtifact("flows/ivr", "a" * 40, changed=True)
    )

    assert types(failed)[C.EXPORTED] == ("False", C.EXPORT_FAILED) and failed.phase is Phase.EXPORTING
    assert types(stored)[C.EXPORTED] == ("True", C.SUCCEEDED)
    assert stored.artifact is not None and (stored.artifact.version, stored.artifact.commit) == (
        "3.0",
        "a" * 40,
    )


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
