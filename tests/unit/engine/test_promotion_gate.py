# ruff: noqa: E501  (a table reads best one case per block; long reason strings stay whole)
"""The promotion gate as tables: the gate's verdict on upstream statuses, the planner's use of it, the folds.

Each case names its situation, gives the inputs and the whole expected result, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    FlowRelease,
    FlowReleaseStatus,
    Phase,
    PromotionStatus,
    VerificationProgress,
)
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, source_digest
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import Change, UpstreamRelease
from flowrelease.engine.promotion_gate import (
    PROMOTION_RECHECK_SECONDS,
    Gate,
    GateBlocked,
    GateOpen,
    GateWaiting,
    change_of,
    judge_gate,
)
from flowrelease.engine.status_folding import Folder
from flowrelease.engine.step_fold import FoldContext, fold_step
from tests.unit.engine.builders import NOW, ago, cond, flow, reconciling, spec, status

DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
MINE = Change("source", DIGEST)
TEST = "cc-test/support-ivr-test"
DEV = "cc-dev/support-ivr-dev"
TWO_STAGES = {"stages": [{"name": "bake", "bakeSeconds": 300}, {"name": "soak", "bakeSeconds": 300}]}


def upstream(
    key: str = TEST,
    phase: Phase | None = Phase.READY,
    change: Change | None = MINE,
    *,
    conditions: list[Any] | None = None,
    verify: dict[str, Any] | None = None,
    verification: VerificationProgress | None = None,
) -> UpstreamRelease:
    if phase is None:
        return UpstreamRelease(key, None)
    namespace, name = key.split("/")
    record = PromotionStatus(change_kind=change.kind, change=change.id) if change is not None else None
    healthy = [cond(C.HEALTHY, "True", C.STAGES_PASSED, "passed", ago(900))]
    upstream_status = FlowReleaseStatus(
        phase=phase,
        conditions=healthy if conditions is None else conditions,
        promotion=record,
        verification=verification,
    )
    release = FlowRelease.model_validate(
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "genesys": {"environment": "http://127.0.0.1:1"},
                "flow": {"type": "inboundcall", "name": "Support IVR"},
                "source": {"configMapRef": {"name": "ivr", "key": "flow.yaml"}},
                "verify": verify or {},
            },
        }
    )
    return UpstreamRelease(key, release.model_copy(update={"status": upstream_status}))


@dataclass(frozen=True)
class GateCase:
    id: str
    reason: str
    upstreams: tuple[UpstreamRelease, ...]
    want: Gate
    soak: int = 0
    change: Change | None = MINE


GATE_CASES = [
    GateCase(
        "open-verified-no-soak",
        "the upstream carries the same change and is Ready and Healthy: nothing is missing",
        (upstream(),),
        GateOpen(f"{TEST} verified source {DIGEST}"),
    ),
    GateCase(
        "open-soaked",
        "healthy for 900 s, soak asks 600 s: proven",
        (upstream(),),
        GateOpen(f"{TEST} verified source {DIGEST} and stayed healthy for 600 s"),
        soak=600,
    ),
    GateCase(
        "open-exporting-counts-as-verified",
        "Exporting comes after every stage passed: the change is proven, Git is not part of the proof",
        (upstream(phase=Phase.EXPORTING),),
        GateOpen(f"{TEST} verified source {DIGEST}"),
    ),
    GateCase(
        "waiting-soaking",
        "verified 900 s ago but soak asks 1200 s: wait exactly what is left",
        (upstream(),),
        GateWaiting(f"{TEST} verified source {DIGEST}; it has been healthy 900 s of 1200 s", 300.0),
        soak=1200,
    ),
    GateCase(
        "waiting-verifying-second-stage",
        "the issue's example: the upstream bakes; the message says how far, over all its stages",
        (
            upstream(
                phase=Phase.VERIFYING,
                conditions=[],
                verify=TWO_STAGES,
                verification=VerificationProgress(stage="soak", started_at=ago(120)),
            ),
        ),
        GateWaiting(f"{TEST} has not verified source {DIGEST} yet; it is Verifying, 420 s of 600 s"),
    ),
    GateCase(
        "waiting-publishing",
        "the upstream is still publishing the same change",
        (upstream(phase=Phase.PUBLISHING, conditions=[]),),
        GateWaiting(f"{TEST} has not verified source {DIGEST} yet; it is Publishing"),
    ),
    GateCase(
        "waiting-ready-without-healthy",
        "Ready without Healthy=True (an older status) is not proof",
        (upstream(conditions=[]),),
        GateWaiting(f"{TEST} has not verified source {DIGEST} yet; it is Ready"),
    ),
    GateCase(
        "waiting-other-change",
        "the upstream is Ready and healthy, but on another change: that proves nothing about ours",
        (upstream(change=Change("source", OTHER)),),
        GateWaiting(f"{TEST} has not released source {DIGEST} yet; it is on source {OTHER} (Ready)"),
    ),
    GateCase(
        "waiting-no-change-recorded",
        "an upstream that never recorded a change (older engine) is waited for, not trusted",
        (upstream(change=None),),
        GateWaiting(f"{TEST} has not released source {DIGEST} yet; it is Ready and carries no change"),
    ),
    GateCase(
        "waiting-upstream-missing",
        "a required upstream that does not exist is waited for with the fix named",
        (upstream(phase=None),),
        GateWaiting(f"{TEST} does not exist; create it or fix spec.promotion.requires"),
    ),
    GateCase(
        "blocked-rolled-back",
        "the upstream rolled back this very change: Stalled, naming it and its cause",
        (
            upstream(
                phase=Phase.ROLLED_BACK,
                conditions=[cond(C.STALLED, "True", C.ROLLED_BACK, "failure ratio 0.31 > 0.05")],
            ),
        ),
        GateBlocked(f"{TEST} rolled back source {DIGEST}: failure ratio 0.31 > 0.05"),
    ),
    GateCase(
        "blocked-validation-failed",
        "the upstream refused this change before publishing it: it can never be proven there",
        (upstream(phase=Phase.VALIDATION_FAILED, conditions=[]),),
        GateBlocked(f"{TEST} failed (ValidationFailed) source {DIGEST}"),
    ),
    GateCase(
        "rolled-back-other-change-only-waits",
        "the upstream rolled back a different change: ours is not condemned, just not there yet",
        (upstream(phase=Phase.ROLLED_BACK, change=Change("source", OTHER), conditions=[]),),
        GateWaiting(f"{TEST} has not released source {DIGEST} yet; it is on source {OTHER} (RolledBack)"),
    ),
    GateCase(
        "two-upstreams-one-waiting",
        "every upstream must be there: the message names only what is missing, the wait is the shortest",
        (upstream(DEV), upstream(phase=Phase.PUBLISHING, conditions=[])),
        GateWaiting(f"{TEST} has not verified source {DIGEST} yet; it is Publishing"),
    ),
    GateCase(
        "blocked-beats-waiting",
        "one upstream condemned the change: waiting for the other would not help",
        (upstream(DEV, phase=None), upstream(phase=Phase.ROLLED_BACK, conditions=[])),
        GateBlocked(f"{TEST} rolled back source {DIGEST}"),
    ),
    GateCase(
        "label-mode",
        "promote mode compares labels (version ids differ per org)",
        (upstream(change=Change("label", "2.4.1")),),
        GateOpen(f"{TEST} verified label 2.4.1"),
        change=Change("label", "2.4.1"),
    ),
    GateCase(
        "label-does-not-match-digest",
        "a label and a digest never match, even with the same text",
        (upstream(change=Change("source", "2.4.1")),),
        GateWaiting(f"{TEST} has not released label 2.4.1 yet; it is on source 2.4.1 (Ready)"),
        change=Change("label", "2.4.1"),
    ),
    GateCase(
        "no-change-identity",
        "without its own change identity the release cannot be compared: blocked, not waved through",
        (upstream(),),
        GateBlocked(
            "this release has no change identity to compare (no source YAML, or no spec.release.label)"
        ),
        change=None,
    ),
]


@pytest.mark.parametrize("case", GATE_CASES, ids=lambda case: case.id)
def test_gate(case: GateCase) -> None:
    got = judge_gate(case.change, case.upstreams, soak_seconds=case.soak, now=NOW)
    assert got == case.want, case.reason


def test_change_identity_is_the_yaml_before_substitution_or_the_label() -> None:
    raw = "inboundCall:\n  name: Support IVR\n  queue: {{queue_name}}\n"
    source = spec(
        source={"configMapRef": {"name": "ivr", "key": "flow.yaml"}, "substitutions": {"queue_name": "Prod"}}
    )
    assert change_of(source, raw) == Change("source", source_digest(raw))
    assert change_of(source, None) is None
    assert change_of(spec(release={"label": "2.4.1"}), None) == Change("label", "2.4.1")
    assert change_of(spec(), None) is None


# ----------------------------------------------------------------------------------- in the planner

PREPARED = PreparedSource(
    digest="sha256:substituted",
    text="inboundCall: {}",
    key="inboundCall",
    flow_type="inboundcall",
    name="Support IVR",
)
GATED_SOURCE = spec(
    source={"configMapRef": {"name": "ivr", "key": "flow.yaml"}},
    promotion={"requires": [{"name": "support-ivr-test", "namespace": "cc-test"}], "soakSeconds": 600},
)
GATED_VERSION = spec(
    release={"label": "2.4.1"},
    promotion={"requires": [{"name": "support-ivr-test", "namespace": "cc-test"}]},
)
RECORDED = PromotionStatus(change_kind="source", change=DIGEST)
RECORDED_OPEN = PromotionStatus(change_kind="source", change=DIGEST, gate="Open", message="m")
LABEL = Change("label", "2.4.1")


def observed(*upstreams: UpstreamRelease, change: Change | None = MINE, **extra: Any) -> S.Observation:
    return S.Observation(flow=flow(), source=PREPARED, change=change, upstreams=upstreams, **extra)


@dataclass(frozen=True)
class PlanCase:
    id: str
    reason: str
    spec: Any
    status: FlowReleaseStatus
    observation: S.Observation
    want: S.Step


def _mode_b(**extra: Any) -> FlowReleaseStatus:
    values: dict[str, Any] = {
        "desired_version": "",
        "source_digest": "sha256:substituted",
        "conditions": [reconciling()],
    }
    values.update(extra)
    return status(Phase.VALIDATING, **values)


PLAN_CASES = [
    PlanCase(
        "records-change-once-attempt-began",
        "after BeginAttempt the change is written before anything else, so downstream never pairs it with an old Healthy",
        GATED_SOURCE,
        _mode_b(),
        observed(upstream()),
        S.RecordChange(MINE),
    ),
    PlanCase(
        "ungated-release-records-its-change-too",
        "an upstream has no spec.promotion itself but must still say what it carries",
        spec(source={"configMapRef": {"name": "ivr", "key": "flow.yaml"}}),
        _mode_b(),
        observed(),
        S.RecordChange(MINE),
    ),
    PlanCase(
        "waiting-holds-the-import",
        "the upstream still bakes: the import is held, with the message naming what is missing",
        GATED_SOURCE,
        _mode_b(promotion=RECORDED),
        observed(upstream(phase=Phase.PUBLISHING, conditions=[])),
        S.HoldForPromotion(
            "Waiting",
            f"{TEST} has not verified source {DIGEST} yet; it is Publishing",
            PROMOTION_RECHECK_SECONDS,
        ),
    ),
    PlanCase(
        "open-recorded-first",
        "an open gate is written once, then the import goes ahead",
        GATED_SOURCE,
        _mode_b(promotion=RECORDED),
        observed(upstream()),
        S.HoldForPromotion("Open", f"{TEST} verified source {DIGEST} and stayed healthy for 600 s"),
    ),
    PlanCase(
        "open-already-recorded-imports",
        "the gate was recorded Open and is still open: the planner's own step is returned untouched",
        GATED_SOURCE,
        _mode_b(promotion=RECORDED_OPEN),
        observed(upstream()),
        S.StartImport(PREPARED, "2.0", "import and publish the Archy source through an Architect job"),
    ),
    PlanCase(
        "open-recorded-but-upstream-rolled-back-since",
        "the gate is judged every time: an Open recorded earlier does not survive an upstream rollback",
        GATED_SOURCE,
        _mode_b(promotion=RECORDED_OPEN),
        observed(upstream(phase=Phase.ROLLED_BACK, conditions=[])),
        S.HoldForPromotion("Blocked", f"{TEST} rolled back source {DIGEST}"),
    ),
    PlanCase(
        "upstreams-not-read-wait",
        "a shell that read no upstreams never opens the gate",
        GATED_SOURCE,
        _mode_b(promotion=RECORDED),
        observed(),
        S.HoldForPromotion(
            "Waiting",
            "the upstream releases of spec.promotion.requires have not been read",
            PROMOTION_RECHECK_SECONDS,
        ),
    ),
    PlanCase(
        "mode-a-publish-gated-by-label",
        "promote mode: the publish after validation is held until test has the same label",
        GATED_VERSION,
        status(
            Phase.PUBLISHING,
            promotion=PromotionStatus(change_kind="label", change="2.4.1"),
            conditions=[reconciling()],
        ),
        S.Observation(flow=flow(), change=LABEL, upstreams=(upstream(change=Change("label", "2.3.0")),)),
        S.HoldForPromotion(
            "Waiting",
            f"{TEST} has not released label 2.4.1 yet; it is on label 2.3.0 (Ready)",
            PROMOTION_RECHECK_SECONDS,
        ),
    ),
    PlanCase(
        "mode-a-already-live-not-gated",
        "nothing is published when the desired version is live already, so the gate has nothing to hold",
        GATED_VERSION,
        status(
            Phase.PUBLISHING,
            promotion=PromotionStatus(change_kind="label", change="2.4.1"),
            conditions=[reconciling()],
        ),
        S.Observation(flow=flow(published="3.0"), change=LABEL, upstreams=(upstream(phase=None),)),
        S.SkipPublish("3.0", False, "version 3.0 is already live: nothing to publish"),
    ),
    PlanCase(
        "verifying-not-gated",
        "a release already past its publish is never disturbed by its upstream (a new change in test mid-bake)",
        GATED_SOURCE,
        status(
            Phase.VERIFYING,
            source_digest="sha256:substituted",
            promotion=RECORDED_OPEN,
            published_version="4.0",
            conditions=[reconciling()],
            verification=VerificationProgress(stage="bake", started_at=ago(10)),
        ),
        S.Observation(
            flow=flow(published="4.0"),
            source=PREPARED,
            change=MINE,
            upstreams=(upstream(change=Change("source", OTHER)),),
        ),
        S.VerificationPassed(C.NO_VERIFY_STAGES),
    ),
]


@pytest.mark.parametrize("case", PLAN_CASES, ids=lambda case: case.id)
def test_planner_with_the_gate(case: PlanCase) -> None:
    got = plan(case.spec, case.status, case.observation, now=NOW, generation=1)
    assert got == case.want, case.reason


# ---------------------------------------------------------------------------------------- folding

FOLDED = {S.HoldForPromotion, S.RecordChange}
"""The promotion steps whose folds the tests below cover."""
FOLDER = Folder(now=NOW, generation=1)
CONTEXT = FoldContext(folder=FOLDER, spec=GATED_SOURCE)


def _types(result: FlowReleaseStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in result.conditions}


def test_waiting_keeps_progressing_with_the_condition_naming_what_is_missing() -> None:
    before = _mode_b(promotion=RECORDED)
    folded = fold_step(S.HoldForPromotion("Waiting", "test is baking", 30.0), before, CONTEXT)
    assert folded.ends is OutcomeKind.WAITING and folded.after == 30.0
    assert folded.status.phase is Phase.VALIDATING
    assert folded.status.promotion == RECORDED.model_copy(
        update={"gate": "Waiting", "message": "test is baking"}
    )
    assert _types(folded.status) == {
        C.RECONCILING: ("True", C.WAITING_FOR_PROMOTION),
        C.WAITING_FOR_PROMOTION: ("True", C.WAITING_FOR_PROMOTION),
        C.READY: ("False", C.WAITING_FOR_PROMOTION),
    }
    assert [(e.type, e.reason) for e in folded.events] == [("Normal", C.WAITING_FOR_PROMOTION)]
    again = fold_step(S.HoldForPromotion("Waiting", "test is baking", 30.0), folded.status, CONTEXT)
    assert again.status == folded.status and again.events == (), (
        "the same wait writes the same status, no Event"
    )


def test_blocked_stalls_without_settling_and_open_lifts_it() -> None:
    blocked = fold_step(
        S.HoldForPromotion("Blocked", "test rolled back"), _mode_b(promotion=RECORDED), CONTEXT
    )
    assert blocked.ends is OutcomeKind.STALLED
    assert blocked.status.phase is Phase.VALIDATING, "not a settled failure: the gate is judged again"
    assert _types(blocked.status) == {
        C.STALLED: ("True", C.PROMOTION_BLOCKED),
        C.READY: ("False", C.PROMOTION_BLOCKED),
    }
    assert [(e.type, e.reason) for e in blocked.events] == [("Warning", C.PROMOTION_BLOCKED)]
    opened = fold_step(S.HoldForPromotion("Open", "test verified it"), blocked.status, CONTEXT)
    assert opened.ends is None
    assert C.STALLED not in _types(opened.status)
    assert opened.status.promotion is not None and opened.status.promotion.gate == "Open"


def test_recording_a_new_change_clears_the_previous_gate() -> None:
    before = _mode_b(promotion=RECORDED_OPEN, conditions=[cond(C.WAITING_FOR_PROMOTION, "True")])
    folded = fold_step(S.RecordChange(Change("source", OTHER)), before, CONTEXT)
    assert folded.status.promotion == PromotionStatus(change_kind="source", change=OTHER)
    assert folded.status.conditions == []
