"""The Verification column of `sync`'s final table: the Verified condition and each judged stage in words."""

from __future__ import annotations

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    CheckRecord,
    Condition,
    ConditionStatus,
    FlowReleaseStatus,
    StageRecord,
    StageVerdictName,
    VerificationProgress,
)
from flowrelease.local.outcomes import verification_summary


def stage(name: str, verdict: StageVerdictName, entries: int, checks: int = 0) -> StageRecord:
    return StageRecord(
        name=name, verdict=verdict, entries=entries, checks=[CheckRecord(name=f"c{i}") for i in range(checks)]
    )


def status(verified: tuple[ConditionStatus, str] | None, *stages: StageRecord) -> FlowReleaseStatus:
    conditions = []
    if verified is not None:
        conditions = [Condition(type=C.VERIFIED, status=verified[0], reason=verified[1])]
    return FlowReleaseStatus(conditions=conditions, verification=VerificationProgress(stages=list(stages)))


CASES = [
    ("never-verifying", status(None), "", "no Verified condition: the release never reached a verify stage"),
    ("verified-two-stages",
     status(("True", C.STAGES_PASSED), stage("canary", "passed", 96), stage("wide", "passed", 640, checks=2)),
     "verified: canary passed on 96 entries, wide passed on 640 entries + 2 check(s)",
     "every stage with its samples and checks"),
    ("baking-first-stage", status(("Unknown", C.VERIFYING)), "verifying", "nothing judged yet"),
    ("baking-second-stage", status(("Unknown", C.VERIFYING), stage("canary", "passed", 96)),
     "verifying: canary passed on 96 entries", "the stages judged so far"),
    ("no-stages", status(("False", C.NOT_JUDGED)), "not verified: no verify stages",
     "Ready without stages is not a verification"),
    ("passed-unjudged", status(("False", C.NOT_JUDGED), stage("bake", "passedNotJudged", 4)),
     "not verified (NotJudged): bake passed NOT judged on 4 entries",
     "onInsufficientData: Pass is shown for what it is"),
    ("breached", status(("False", C.HEALTH_BREACH), stage("canary", "breached", 88)),
     "not verified (HealthBreach): canary breached on 88 entries", "the breach and its samples"),
    ("check-failed", status(("False", C.CHECK_FAILED), stage("canary", "checkFailed", 90, checks=1)),
     "not verified (CheckFailed): canary failed a check on 90 entries + 1 check(s)", "a failed check"),
    ("too-few", status(("False", C.INSUFFICIENT_DATA), stage("canary", "insufficientData", 3)),
     "not verified (InsufficientData): canary had too few samples on 3 entries", "no data is a failure"),
    ("failed-before-any-record", status(("False", C.INSUFFICIENT_DATA)), "not verified (InsufficientData)",
     "the reason alone when no stage record was kept"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "given", "expected", "reason"), CASES, ids=[c[0] for c in CASES])
def test_the_verification_summary(case: str, given: FlowReleaseStatus, expected: str, reason: str) -> None:
    assert verification_summary(given) == expected, reason
