"""PURE planning of the Verifying phase: bake the window, let it settle, sample, run the checks, judge.

For the current stage (`status.verification`):

1. until `startedAt + windowSeconds` → wait (baking): the window is the stage's own traffic;
2. until the window has settled (`settleSeconds` more) → wait: Genesys may still be ingesting its metrics;
3. not sampled yet → `SampleVerifyStage` (the published version's aggregates over exactly the window);
4. a signal breached → fail now (no check can save it);
5. each check: not tried → `RunCheck`; failed with retries left → wait `retryIntervalSeconds`, then retry;
6. judge everything (`verification.judge_stage`) and do what `decide_stage` says: pass (next stage, or
   verified), pass not judged, extend the window, or fail — which rolls back.
"""

from __future__ import annotations

from dataclasses import replace

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    CheckRecord,
    SignalRecord,
    StageRecord,
    StageVerdictName,
    VerificationProgress,
    VerifyCheck,
    VerifyStage,
)
from flowrelease.engine.checks import CheckReading, CheckVerdict, judge_check, retry_due, retry_interval
from flowrelease.engine.rollback_routes import rollback_step
from flowrelease.engine.situation import Situation
from flowrelease.engine.status_folding import timestamp
from flowrelease.engine.steps import (
    ExtendVerifyStage,
    PassVerifyStage,
    RunCheck,
    SampleVerifyStage,
    StartVerifyStage,
    Step,
    VerificationPassed,
    Wait,
)
from flowrelease.engine.verification import (
    StageDecision,
    StageJudgement,
    VersionSample,
    decide_stage,
    judge_stage,
)

VERDICTS: dict[str, StageVerdictName] = {
    "StagePassed": "passed",
    "NotJudged": "passedNotJudged",
    C.HEALTH_BREACH: "breached",
    C.CHECK_FAILED: "checkFailed",
    C.INSUFFICIENT_DATA: "insufficientData",
}


def sample_of(progress: VerificationProgress) -> VersionSample:
    return VersionSample(
        entries=progress.samples,
        outcomes=progress.outcomes,
        failed_outcomes=progress.failed,
        exits=progress.exits,
        disconnects=progress.disconnects,
    )


def reading_of(record: CheckRecord) -> CheckReading:
    return CheckReading(record.target, status=record.http_status, value=record.value, error=record.error)


def window_of(stage: VerifyStage, progress: VerificationProgress) -> int:
    return progress.window_seconds or stage.bake_seconds


def flow_type_of(situation: Situation) -> str:
    flow = situation.status.flow
    return (flow.type if flow is not None and flow.type else "") or (situation.spec.flow.type or "")


def plan_verify(situation: Situation) -> Step:
    spec, status = situation.spec, situation.status
    stages = spec.verify.stages
    if not stages:
        return VerificationPassed(C.NO_VERIFY_STAGES)
    progress = status.verification
    names = [stage.name for stage in stages]
    if progress is None or not progress.started_at or progress.stage not in names:
        return StartVerifyStage(stages[0], "first verify stage")
    index = names.index(progress.stage)
    stage = stages[index]
    following = stages[index + 1] if index + 1 < len(stages) else None
    version = status.published_version
    window = window_of(stage, progress)

    if not progress.sampled_at:
        baked = situation.since(progress.started_at)
        if baked < window:
            until = situation.later(progress.started_at, window)
            return Wait(
                window - baked,
                C.BAKING,
                f"Baking version {version} in stage '{stage.name}' for {window}s, until {until}",
            )
        settled_at = window + stage.settle_seconds
        if baked < settled_at:
            until = situation.later(progress.started_at, settled_at)
            return Wait(
                settled_at - baked,
                C.BAKING,
                f"Stage '{stage.name}' closed its {window}s window; waiting {stage.settle_seconds}s for "
                f"Genesys to ingest its metrics, until {until}",
            )
        return SampleVerifyStage(stage, window, f"stage '{stage.name}' baked {window}s and settled")

    flow_type = flow_type_of(situation)
    sample = sample_of(progress)
    analytics = judge_stage(stage, flow_type, version, sample, window)
    if analytics.state != "breached":
        pending = _next_check(situation, stage, progress)
        if pending is not None:
            return pending
    verdicts = [judge_check(check, reading_of(record)) for check, record in _tried(stage, progress)]
    judgement = judge_stage(stage, flow_type, version, sample, window, verdicts)
    decision = decide_stage(stage, judgement, window)
    record = stage_record(situation, stage, window, judgement, decision, progress)
    if decision.action in ("pass", "passUnjudged"):
        return PassVerifyStage(stage, following, decision.message, record)
    if decision.action == "extend":
        return ExtendVerifyStage(stage, decision.extend_seconds, decision.message, record)
    return replace(rollback_step(spec, status, decision.reason, decision.message), stage_record=record)


def _record_for(progress: VerificationProgress, check: VerifyCheck) -> CheckRecord | None:
    return next((record for record in progress.checks if record.name == check.name), None)


def _tried(stage: VerifyStage, progress: VerificationProgress) -> list[tuple[VerifyCheck, CheckRecord]]:
    pairs = []
    for check in stage.checks:
        record = _record_for(progress, check)
        if record is not None:
            pairs.append((check, record))
    return pairs


def _next_check(situation: Situation, stage: VerifyStage, progress: VerificationProgress) -> Step | None:
    """The next check attempt due (or the wait before a retry); None when every check has its verdict."""
    for check in stage.checks:
        record = _record_for(progress, check)
        if record is None:
            return RunCheck(stage, check, 1, f"check '{check.name}' of stage '{stage.name}'")
        verdict = judge_check(check, reading_of(record))
        if not retry_due(check, record.attempts, verdict):
            continue
        interval = retry_interval(check, record.retry_after_seconds)
        waited = situation.since(record.last_attempt_at) if record.last_attempt_at else interval
        if waited < interval:
            asked = (
                f" (its server asked for {interval}s with Retry-After)"
                if interval > check.retry_interval_seconds
                else ""
            )
            return Wait(
                interval - waited,
                C.BAKING,
                f"{verdict.message} (attempt {record.attempts} of {check.retries + 1}); trying again in "
                f"{interval}s{asked}",
            )
        return RunCheck(
            stage, check, record.attempts + 1, f"check '{check.name}' failed; attempt {record.attempts + 1}"
        )
    return None


def stage_record(
    situation: Situation,
    stage: VerifyStage,
    window: int,
    judgement: StageJudgement,
    decision: StageDecision,
    progress: VerificationProgress,
) -> StageRecord:
    """The stage's judgement as status keeps it: verdict, message, samples, every signal and check."""
    checks_by_name = {verdict.name: verdict for verdict in judgement.checks}
    return StageRecord(
        name=stage.name,
        verdict=VERDICTS.get(decision.reason, "insufficientData"),
        message=decision.message,
        version=situation.status.published_version,
        window_seconds=window,
        entries=progress.samples,
        judged_at=timestamp(situation.now),
        signals=[
            SignalRecord(
                signal=s.signal,
                measured=s.measured,
                value=s.value,
                threshold=s.threshold,
                samples=s.samples,
                verdict=s.state,
                message=s.message,
            )
            for s in judgement.signals
        ],
        checks=[_judged(record, checks_by_name.get(record.name)) for record in progress.checks],
    )


def _judged(record: CheckRecord, verdict: CheckVerdict | None) -> CheckRecord:
    if verdict is None:
        return record
    return record.model_copy(
        update={"passed": verdict.passed, "message": verdict.message, "threshold": verdict.threshold}
    )
