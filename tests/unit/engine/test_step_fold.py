# ruff: noqa: E501  (a table reads best one case per block)
"""The fold of status-only steps, as a table: step + status → phase, the typed fields it sets, conditions,
Events, audit outcome, milestone and how the pass ends. Plus: a poll that learns nothing writes the very
same status, and side-effect steps are refused (they go through effects)."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    FlowReleaseStatus,
    Phase,
    RollbackRecord,
    StageRecord,
    ValidationSummary,
    VerifyStage,
)
from flowrelease.engine import steps as S
from flowrelease.engine.outcome import OutcomeKind, ReleaseEvent
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import FlowClaim, Milestone
from flowrelease.engine.status_folding import Folder
from flowrelease.engine.step_fold import FoldContext, Folded, fold_step
from tests.unit.engine.builders import IDENTITY, NOW, ago, cond, current, flow, op, reconciling, spec, status
from tests.unit.engine.test_promotion_gate import FOLDED as PROMOTION_FOLDED

GIT = {"git": {"url": "file:///tmp/flows.git", "path": "flows/ivr"}}
OWNER = FlowClaim(created="2025-12-31T09:00:00Z", namespace="team-a", name="support")
STAGE = VerifyStage(name="bake", bake_seconds=60)
JUDGED = StageRecord(
    name="bake", verdict="passed", message="fine", version="3.0", window_seconds=60, entries=40
)
UNJUDGED = StageRecord(name="bake", verdict="passedNotJudged", message="not judged", version="3.0", entries=2)


def context(**overrides: Any) -> FoldContext:
    values: dict[str, Any] = {
        "folder": Folder(now=NOW, generation=1, label="2.4.1"),
        "spec": spec(),
        "drift_interval": 300.0,
        "live_version": "2.0",
    }
    values.update(overrides)
    return FoldContext(**values)


def rolling(**record: Any) -> FlowReleaseStatus:
    values: dict[str, Any] = {"route": "republish", "target_version": "2.0", "route_started_at": ago(5)}
    values.update(record)
    return status(
        Phase.ROLLING_BACK,
        published_version="3.0",
        failed_version="3.0",
        rollback=RollbackRecord(**values),
        conditions=[reconciling(30)],
    )


def view(folded: Folded) -> dict[str, Any]:
    """What a case pins: the facts a fold decides, not every byte of the status."""
    s = folded.status
    return {
        "phase": s.phase.value,
        "conditions": {c.type: (c.status, c.reason) for c in s.conditions},
        "operation": s.operation.kind if s.operation else None,
        "rollback": (s.rollback.route, s.rollback.restored_version, [a.result for a in s.rollback.left])
        if s.rollback
        else None,
        "events": [(e.type, e.reason) for e in folded.events],
        "audit": folded.audit,
        "milestone": folded.milestone,
        "route": (folded.rollback_route, folded.route_result),
        "ends": folded.ends,
    }


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    step: S.Step
    status: FlowReleaseStatus
    want: dict[str, Any]
    context: FoldContext = field(default_factory=context)


WORKING = {C.RECONCILING: ("True", C.PROGRESSING)}


def want(phase: str, conditions: dict[str, tuple[str, str]], **rest: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions,
        "operation": None,
        "rollback": None,
        "events": [],
        "audit": "ok",
        "milestone": None,
        "route": ("", ""),
        "ends": None,
    }
    values.update(rest)
    return values


CASES: list[Case] = [
    Case("suspend", "suspend drops Reconciling and ends the pass", S.Suspend(),
         status(Phase.PUBLISHING, conditions=[reconciling()]),
         want("Suspended", {}, audit="skipped", ends=OutcomeKind.SUSPENDED)),
    Case("stall", "a stall writes nothing new", S.Stall(C.ROLLED_BACK, "m"), status(Phase.ROLLED_BACK),
         want("RolledBack", {}, audit="skipped", ends=OutcomeKind.STALLED)),
    Case("yield-flow", "another release owns the flow: Pending and Stalled, nothing in flight, one Warning, and a "
         "look again later", S.YieldFlow(OWNER, "owned"), status(Phase.PUBLISHING, operation=op(),
                                                                    conditions=[reconciling()]),
         want("Pending", {C.STALLED: ("True", C.FLOW_CONFLICT), C.READY: ("False", C.FLOW_CONFLICT)},
              events=[("Warning", C.FLOW_CONFLICT)], audit="skipped", ends=OutcomeKind.STALLED)),
    Case("yield-flow-again", "a conflict already reported posts no second Event",
         S.YieldFlow(OWNER, "owned"),
         status(Phase.PENDING, conditions=[cond(C.STALLED, "True", C.FLOW_CONFLICT, "owned"),
                                           cond(C.READY, "False", C.FLOW_CONFLICT, "owned")]),
         want("Pending", {C.STALLED: ("True", C.FLOW_CONFLICT), C.READY: ("False", C.FLOW_CONFLICT)},
              audit="skipped", ends=OutcomeKind.STALLED)),
    Case("settled", "in sync: come back for the drift check", S.Settled(), status(Phase.READY),
         want("Ready", {}, ends=OutcomeKind.READY)),
    Case("wait", "a wait says what is awaited in Reconciling", S.Wait(2.0, C.PUBLISHING, "Publishing", poll=True),
         status(Phase.PUBLISHING, conditions=[reconciling()]),
         want("Publishing", {C.RECONCILING: ("True", C.PUBLISHING)}, audit="waiting", ends=OutcomeKind.WAITING)),
    Case("begin-drift", "an attempt started by drift warns", S.BeginAttempt("3.0", "", "drift: x", "Releasing", drift=True),
         status(Phase.READY, published_version="2.0"),
         want("Validating", {C.RECONCILING: ("True", C.PROGRESSING), C.READY: ("False", C.PROGRESSING)},
              events=[("Warning", "Drifted")], milestone=Milestone.ATTEMPT_STARTED)),
    Case("fail-validation", "a refusal stalls with the reason, counted as a failed validation",
         S.FailValidation(C.VALIDATION_ERRORS, "bad"), status(Phase.VALIDATING, conditions=[reconciling()]),
         want("ValidationFailed", {C.VALIDATED: ("False", C.VALIDATION_ERRORS), C.STALLED: ("True", C.VALIDATION_ERRORS),
                                   C.READY: ("False", C.VALIDATION_ERRORS)},
              events=[("Warning", C.VALIDATION_FAILED)], audit="failed", milestone=Milestone.VALIDATION_FAILED)),
    Case("pass-validation-unavailable", "r7: passing without the validate job is a visible warning",
         S.PassValidation("3.0", ValidationSummary(warnings=1), "r", unavailable="HTTP 404: x"),
         status(Phase.VALIDATING, conditions=[reconciling()]),
         want("Publishing", {C.RECONCILING: ("True", C.PUBLISHING), C.READY: ("False", C.PUBLISHING),
                             C.VALIDATED: ("True", C.VALIDATION_SERVICE_UNAVAILABLE)},
              events=[("Warning", C.VALIDATION_SERVICE_UNAVAILABLE)],
              milestone=Milestone.VALIDATION_SERVICE_UNAVAILABLE)),
    Case("published", "the version read back: Verifying, counted as published",
         S.PublishSucceeded("3.0", "op-1", "r"), status(Phase.PUBLISHING, operation=op(), conditions=[reconciling()]),
         want("Verifying", {C.RECONCILING: ("True", C.VERIFYING), C.READY: ("False", C.VERIFYING),
                            C.PUBLISHED: ("True", C.SUCCEEDED)},
              events=[("Normal", "Published")], milestone=Milestone.PUBLISHED)),
    Case("adopt", "an adopted operation is ours and acknowledged", S.AdoptOperation("op-7", "r"),
         status(Phase.PUBLISHING, operation=op(id="", posted=None)),
         want("Publishing", {}, operation="publish")),
    Case("import-job-succeeded", "a job's success is noted; the version comes from a later read",
         S.ImportJobSucceeded("r"), status(Phase.PUBLISHING, operation=op("import", id="j-1", version="")),
         want("Publishing", {}, operation="import", audit="waiting")),
    Case("imported", "an import read back: Validated and Published", S.ImportSucceeded(IDENTITY, "4.0", "r"),
         status(Phase.PUBLISHING, operation=op("import", id="j-1", version=""), conditions=[reconciling()]),
         want("Verifying", {C.RECONCILING: ("True", C.VERIFYING), C.READY: ("False", C.VERIFYING),
                            C.VALIDATED: ("True", C.SUCCEEDED), C.PUBLISHED: ("True", C.SUCCEEDED)},
              events=[("Normal", "Published")], milestone=Milestone.PUBLISHED)),
    Case("stage-passed-last", "the last stage passed: Healthy and Verified, Exporting, a StagePassed event",
         S.PassVerifyStage(STAGE, None, "fine", JUDGED),
         status(Phase.VERIFYING, published_version="3.0", conditions=[reconciling()]),
         want("Exporting", {C.RECONCILING: ("True", C.EXPORTING), C.READY: ("False", C.EXPORTING),
                            C.HEALTHY: ("True", C.STAGES_PASSED), C.VERIFIED: ("True", C.STAGES_PASSED)},
              events=[("Normal", "StagePassed")], milestone=Milestone.STAGE_PASSED)),
    Case("stage-passed-unjudged", "passed on too few samples (Pass): Healthy Unknown, Verified False NotJudged",
         S.PassVerifyStage(STAGE, None, "not judged: 2 entries", UNJUDGED),
         status(Phase.VERIFYING, published_version="3.0", conditions=[reconciling()]),
         want("Exporting", {C.RECONCILING: ("True", C.EXPORTING), C.READY: ("False", C.EXPORTING),
                            C.HEALTHY: ("Unknown", C.NOT_JUDGED), C.VERIFIED: ("False", C.NOT_JUDGED)},
              events=[("Warning", C.NOT_JUDGED)], milestone=Milestone.STAGE_NOT_JUDGED)),
    Case("stage-extended", "too few samples (Extend): the window grows, a BakeExtended event",
         S.ExtendVerifyStage(STAGE, 60, "not judged: 2 entries; baking 60 s longer", UNJUDGED),
         status(Phase.VERIFYING, published_version="3.0", conditions=[reconciling()]),
         want("Verifying", {C.RECONCILING: ("True", C.BAKING), C.READY: ("False", C.BAKING)},
              events=[("Normal", C.EXTENDED)],
              audit="waiting", milestone=Milestone.STAGE_EXTENDED)),
    Case("rollback-check-failed", "a failed check: Healthy and Verified False CheckFailed, rolling back",
         S.StartRollback("2.0", C.CHECK_FAILED, "check 'c' failed", stage_record=JUDGED),
         status(Phase.VERIFYING, published_version="3.0", conditions=[reconciling()]),
         want("RollingBack", {C.RECONCILING: ("True", C.ROLLING_BACK), C.HEALTHY: ("False", C.CHECK_FAILED),
                              C.VERIFIED: ("False", C.CHECK_FAILED), C.READY: ("False", C.CHECK_FAILED)},
              rollback=("republish", "", []), events=[("Warning", C.CHECK_FAILED), ("Warning", "RollingBack")],
              audit="failed", milestone=Milestone.STAGE_BREACHED, route=("republish", ""))),
    Case("rollback-breach", "a breach: Healthy False, HealthBreach and RollingBack events, route republish first",
         S.StartRollback("2.0", C.HEALTH_BREACH, "30 of 100"),
         status(Phase.VERIFYING, published_version="3.0", conditions=[reconciling()]),
         want("RollingBack", {C.RECONCILING: ("True", C.ROLLING_BACK), C.HEALTHY: ("False", C.HEALTH_BREACH),
                              C.VERIFIED: ("False", C.HEALTH_BREACH), C.READY: ("False", C.HEALTH_BREACH)},
              rollback=("republish", "", []), events=[("Warning", C.HEALTH_BREACH), ("Warning", "RollingBack")],
              audit="failed", milestone=Milestone.STAGE_BREACHED, route=("republish", ""))),
    Case("rollback-publish-failed", "a failed publish: Published False, the rollback starts",
         S.StartRollback("2.0", C.PUBLISH_FAILED, "boom"),
         status(Phase.PUBLISHING, operation=op(), conditions=[reconciling()]),
         want("RollingBack", {C.RECONCILING: ("True", C.ROLLING_BACK), C.PUBLISHED: ("False", C.PUBLISH_FAILED),
                              C.READY: ("False", C.PUBLISH_FAILED)},
              rollback=("republish", "", []), events=[("Warning", "RollingBack")], audit="failed",
              milestone=Milestone.ROLLBACK_STARTED, route=("republish", ""))),
    Case("leave-route", "a refused republish leaves for restore, with a RestoringPreviousVersion warning",
         S.LeaveRoute("republish", "refused", "older", "restore"), rolling(),
         want("RollingBack", {C.RECONCILING: ("True", C.RESTORING)}, rollback=("restore", "", ["refused"]),
              events=[("Warning", C.RESTORING)], audit="failed", milestone=Milestone.ROLLBACK_ROUTE_LEFT,
              route=("republish", "refused"))),
    Case("leave-last-route", "the last route left: Failed, RollbackFailed, counted as a failed rollback",
         S.LeaveRoute("reimport", "failed", "job failed", None), rolling(route="reimport"),
         want("Failed", {C.STALLED: ("True", C.ROLLBACK_FAILED), C.READY: ("False", C.ROLLBACK_FAILED)},
              rollback=("reimport", "", ["failed"]), events=[("Warning", C.ROLLBACK_FAILED)], audit="failed",
              milestone=Milestone.ROLLBACK_FAILED, route=("reimport", "failed"))),
    Case("checkin-succeeded", "r3: the renumbered version is recorded as restored",
         S.CheckinSucceeded("4.0", "r"), rolling(route="restore", draft_version="saved_version_x"),
         want("RollingBack", {C.RECONCILING: ("True", C.PROGRESSING)}, rollback=("restore", "4.0", []))),
    Case("rolled-back", "confirmed by read-back: RolledBack, stalled, counted per route",
         S.RollbackSucceeded("4.0", "restore", "r"), rolling(route="restore", restored_version="4.0"),
         want("RolledBack", {C.ROLLED_BACK: ("True", C.RESTORE_SUCCEEDED), C.PUBLISHED: ("False", C.ROLLED_BACK),
                             C.STALLED: ("True", C.ROLLED_BACK), C.READY: ("False", C.ROLLED_BACK)},
              rollback=("restore", "4.0", []), events=[("Warning", "RolledBack")],
              milestone=Milestone.ROLLBACK_SUCCEEDED, route=("restore", ""))),
    Case("release-failed-in-rollback", "a rollback that cannot go on is counted as a failed rollback",
         S.ReleaseFailed(C.ROLLBACK_FAILED, "gone"), rolling(),
         want("Failed", {C.STALLED: ("True", C.ROLLBACK_FAILED), C.READY: ("False", C.ROLLBACK_FAILED)},
              rollback=("republish", "", []), events=[("Warning", C.ROLLBACK_FAILED)], audit="failed",
              milestone=Milestone.ROLLBACK_FAILED, route=("republish", ""))),
    Case("release-failed-ignored", "an ignored forward publish stalls; no rollback is counted",
         S.ReleaseFailed(C.PUBLISH_IGNORED, "ignored"), status(Phase.PUBLISHING, operation=op()),
         want("Failed", {C.STALLED: ("True", C.PUBLISH_IGNORED), C.READY: ("False", C.PUBLISH_IGNORED)},
              events=[("Warning", C.PUBLISH_IGNORED)], audit="failed")),
    Case("export-job-failed", "an export job failure: Exported False, retried later",
         S.ExportJobFailed("archy 107"), status(Phase.EXPORTING, published_version="3.0"),
         want("Exporting", {C.EXPORTED: ("False", C.EXPORT_FAILED)}, events=[("Warning", C.EXPORT_FAILED)],
              audit="error", milestone=Milestone.EXPORT_FAILED)),
    Case("stall-export", "a permanent export error stalls the release; the version stays live",
         S.StallExport("bad token"), status(Phase.EXPORTING, published_version="3.0", conditions=[reconciling()]),
         want("Failed", {C.STALLED: ("True", C.EXPORT_FAILED), C.READY: ("False", C.EXPORT_FAILED)},
              audit="failed", ends=OutcomeKind.STALLED)),
    Case("ready-without-store", "export asked without a store: Ready, Exported False says why",
         S.MarkReady("verified"), status(Phase.EXPORTING, published_version="3.0", conditions=[reconciling()]),
         want("Ready", {C.EXPORTED: ("False", C.ARTIFACT_STORE_MISSING), C.READY: ("True", C.SUCCEEDED)},
              events=[("Normal", "Ready")], milestone=Milestone.READY),
         context(spec=spec(export=GIT))),
    Case("report-drift", "Observe reports drift once", S.ReportDrift("2.0", "3.0", "drift"), status(Phase.READY),
         want("Ready", {C.DRIFTED: ("True", C.DRIFT_DETECTED)}, events=[("Warning", "Drifted")], audit="failed")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fold(case: Case) -> None:
    assert view(fold_step(case.step, case.status, case.context)) == case.want, case.reason


def test_the_fold_is_pure() -> None:
    for case in CASES:
        assert fold_step(case.step, case.status, case.context) == fold_step(
            case.step, case.status, case.context
        )


def test_side_effect_steps_are_not_folded() -> None:
    with pytest.raises(ValueError, match="side-effect step"):
        fold_step(S.Validate("3.0", "r"), status(Phase.VALIDATING), context())
    folded = {type(c.step) for c in CASES} | PROMOTION_FOLDED
    assert set(typing.get_args(S.Step)) - set(S.SIDE_EFFECTS) - folded <= {
        S.ResolveFlow,
        S.SkipPublish,
        S.StartVerifyStage,
        S.VerificationPassed,
        S.NoRollback,
        S.AdoptDraft,
    }


@pytest.mark.parametrize(
    ("situation", "later"),
    [
        ("not visible yet after the POST", status(Phase.PUBLISHING, operation=op(posted=3))),
        ("our operation still running", status(Phase.PUBLISHING, operation=op())),
    ],
)
def test_a_poll_that_learns_nothing_writes_the_very_same_status(
    situation: str, later: FlowReleaseStatus
) -> None:
    """A shell may skip writing an unchanged status: polls seconds apart that see the same thing must fold
    to byte-identical statuses (no counter, no 'Ns of Ms')."""
    observed = S.Observation(flow=flow(current_operation=current("op-1") if "running" in situation else None))
    statuses, current_status = [], later
    for seconds in (0.0, 1.0, 2.5):
        moment = NOW + timedelta(seconds=seconds)
        step = plan(spec(), current_status, observed, now=moment, generation=1)
        assert isinstance(step, S.Wait) and step.poll, situation
        current_status = fold_step(
            step, current_status, context(folder=Folder(now=moment, generation=1))
        ).status
        statuses.append(current_status.to_wire())
    assert statuses[1] == statuses[2], situation
    assert statuses[0] == statuses[1], (
        f"{situation}: only the first poll may write (Reconciling says what it waits for)"
    )


def test_events_are_release_events() -> None:
    folded = fold_step(
        S.PublishSucceeded("3.0", "op-1", "r"), status(Phase.PUBLISHING, operation=op()), context()
    )
    assert folded.events == (ReleaseEvent("Normal", "Published", "Version 3.0 is live"),)
