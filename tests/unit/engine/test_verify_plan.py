# ruff: noqa: E501  (a table reads best one case per block)
"""The Verifying phase as a table: window, settle, sample, checks with retries, and each way a stage ends.

Every case gives the stage spec and what status holds, and pins the kind of step, its verdict reason
(for failures) or wait, and the words of its message — the whole decision, not a part of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import CheckRecord, FlowIdentity, Phase, VerificationProgress
from flowrelease.engine import steps as S
from flowrelease.engine.planner import plan
from tests.unit.engine.builders import NOW, ago, flow, spec, status

URL = "https://m.example.com/ivr"


def stages(**stage: Any) -> dict[str, Any]:
    return {"stages": [{"name": "bake", "bakeSeconds": 600, "minSamples": 20, "settleSeconds": 60, **stage}]}


CHECK = {"name": "synthetic", "retries": 1, "retryIntervalSeconds": 30, "http": {"url": URL}}


def sampled(
    entries: int,
    outcomes: int,
    failed: int,
    *,
    window: int = 600,
    age: float = 700,
    exits: int | None = None,
    disconnects: int = 0,
    checks: list[CheckRecord] | None = None,
) -> VerificationProgress:
    return VerificationProgress(
        stage="bake",
        started_at=ago(age),
        window_seconds=window,
        samples=entries,
        outcomes=outcomes,
        failed=failed,
        exits=entries - disconnects if exits is None else exits,
        disconnects=disconnects,
        sampled_at=ago(1),
        checks=checks or [],
    )


def tried(
    attempts: int,
    http_status: int | None,
    *,
    age: float = 10,
    error: str = "",
    retry_after: int | None = None,
) -> CheckRecord:
    return CheckRecord(
        name="synthetic",
        kind="http",
        attempts=attempts,
        last_attempt_at=ago(age),
        target=f"GET {URL}",
        http_status=http_status,
        error=error,
        retry_after_seconds=retry_after,
    )


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    verify: dict[str, Any]
    progress: VerificationProgress
    kind: type
    detail: Any  # Wait: seconds; StartRollback/NoRollback: failure reason; RunCheck: attempt; Extend: seconds; Pass: verdict
    says: str  # a phrase the step's message must contain
    flow_type: str = "INBOUNDCALL"


P = "stage 'bake', version 3.0: "
CASES = [
    Case("settled-waits", "the window closed 40 s ago; settleSeconds 60 → 20 s more", stages(),
         VerificationProgress(stage="bake", started_at=ago(640), window_seconds=600), S.Wait, 20.0,
         "waiting 60s for Genesys to ingest its metrics"),
    Case("extended-window-bakes", "an extended window (1200 s) bakes on", stages(),
         VerificationProgress(stage="bake", started_at=ago(700), window_seconds=1200), S.Wait, 500.0,
         "for 1200s"),
    Case("breach-skips-checks", "a breached signal fails the stage before any check runs", stages(checks=[CHECK]),
         sampled(100, 100, 40), S.StartRollback, C.HEALTH_BREACH, P + "outcomeFailureRatio 0.400 > 0.05"),
    Case("disconnects-breach-uninstrumented", "no outcome actions, judged on disconnectRatio: a breach",
         stages(analytics=[{"signal": "disconnectRatio", "max": 0.2}]), sampled(100, 0, 0, disconnects=45),
         S.StartRollback, C.HEALTH_BREACH, "disconnectRatio 0.450 > 0.2: 45 of 100 ended interactions disconnected"),
    Case("no-outcome-actions-never-healthy", "the default signal on a flow with no outcomes: not judged → Extend",
         stages(), sampled(100, 0, 0), S.ExtendVerifyStage, 600,
         "0 flow outcomes among 100 entries — version 3.0 sets no flow outcomes"),
    Case("in-queue-default-judged-on-entries", "in-queue: the default judges being reached only",
         stages(), sampled(100, 0, 0), S.PassVerifyStage, "passed", P + "100 entries in 600 s (minSamples 20)",
         flow_type="INQUEUECALL"),
    Case("quiet-extends-to-the-limit", "window 1500 of maxBakeSeconds 1800: the last 300 s", stages(),
         sampled(3, 3, 0, window=1500, age=1600), S.ExtendVerifyStage, 300, "baking 300 s longer (up to maxBakeSeconds 1800)"),
    Case("quiet-at-the-limit-fails", "still quiet at maxBakeSeconds: not verified, so it rolls back", stages(),
         sampled(3, 3, 0, window=1800, age=1900), S.StartRollback, C.INSUFFICIENT_DATA,
         P + "not judged: 3 entries in 1800 s, fewer than minSamples 20"),
    Case("quiet-fail-policy", "onInsufficientData: Fail rolls back at once", stages(onInsufficientData="Fail"),
         sampled(0, 0, 0), S.StartRollback, C.INSUFFICIENT_DATA, "not judged: 0 entries in 600 s"),
    Case("quiet-pass-policy", "onInsufficientData: Pass passes, saying it was not judged",
         stages(onInsufficientData="Pass"), sampled(0, 0, 0), S.PassVerifyStage, "passedNotJudged",
         "(onInsufficientData: Pass: passed, not judged)"),
    Case("check-retry-waits", "a failed attempt with a retry left waits retryIntervalSeconds", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, 503)]), S.Wait, 20.0,
         "check 'synthetic' failed: GET https://m.example.com/ivr: status 503, expected 2xx (attempt 1 of 2); trying again in 30s"),
    Case("check-retry-after-longer", "a 429 asking for 120 s: waits that, not the 30 s interval", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, 429, retry_after=120)]), S.Wait, 110.0,
         "status 429, expected 2xx (attempt 1 of 2); trying again in 120s (its server asked for 120s with Retry-After)"),
    Case("check-retry-after-shorter", "a Retry-After below the interval: the interval still applies", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, 503, retry_after=5)]), S.Wait, 20.0, "trying again in 30s"),
    Case("check-retry-after-clamped", "an hour asked: honoured only up to 600 s", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, 503, age=600, retry_after=3600)]), S.RunCheck, 2,
         "check 'synthetic' failed; attempt 2"),
    Case("check-retry-after-waits-out", "… and once the asked pause has passed, tries again", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, 429, age=121, retry_after=120)]), S.RunCheck, 2,
         "check 'synthetic' failed; attempt 2"),
    Case("check-retry-due", "… and then tries again", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(1, None, age=31, error="timed out after at most 10 s")]), S.RunCheck, 2,
         "check 'synthetic' failed; attempt 2"),
    Case("check-passes-on-retry", "a passing attempt ends the retries; the stage passes", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(2, 200)]), S.PassVerifyStage, "passed",
         "check 'synthetic' passed: GET https://m.example.com/ivr: status 200"),
    Case("check-fails-after-retries", "every attempt used: the stage fails on the check", stages(checks=[CHECK]),
         sampled(100, 100, 1, checks=[tried(2, 500)]), S.StartRollback, C.CHECK_FAILED,
         P + "check 'synthetic' failed: GET https://m.example.com/ivr: status 500, expected 2xx"),
    Case("checks-only-stage", "analytics: [] with a check: traffic does not matter", stages(analytics=[], checks=[CHECK]),
         sampled(0, 0, 0, checks=[tried(1, 204)]), S.PassVerifyStage, "passed", P + "check 'synthetic' passed"),
    Case("entries-floor-breach", "an entries signal below its min: the version is not reached",
         stages(analytics=[{"signal": "entries", "min": 50}]), sampled(21, 0, 0), S.StartRollback, C.HEALTH_BREACH,
         "entries 21 < 50 in 600 s: the version is not reached"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_verify_planner(case: Case) -> None:
    identity = FlowIdentity(id="f-1", name="Support IVR", type=case.flow_type)
    flow_type = "inqueuecall" if case.flow_type == "INQUEUECALL" else "inboundcall"
    release = spec(verify=case.verify, flow={"type": flow_type, "name": "Support IVR"})
    current = status(Phase.VERIFYING, published_version="3.0", verification=case.progress, flow=identity)
    seen = flow(published="3.0", type=case.flow_type)
    step = plan(release, current, S.Observation(flow=seen), now=NOW, generation=1)
    assert isinstance(step, case.kind), (case.reason, step)
    message = getattr(step, "message", "") or getattr(step, "reason", "")
    assert case.says in message, (case.reason, message)
    match step:
        case S.Wait():
            assert step.after == case.detail and step.reason == C.BAKING
        case S.StartRollback():
            assert step.failure_reason == case.detail and step.stage_record is not None
            assert step.stage_record.message == step.message and step.target == "2.0"
        case S.RunCheck():
            assert step.attempt == case.detail and step.check.name == "synthetic"
        case S.ExtendVerifyStage():
            assert step.extend_seconds == case.detail and step.record.verdict == "insufficientData"
        case S.PassVerifyStage():
            assert step.record is not None and step.record.verdict == case.detail and step.next_stage is None


def test_the_judged_record_holds_every_signal_and_check_with_their_numbers() -> None:
    release = spec(
        verify=stages(
            analytics=[
                {"signal": "outcomeFailureRatio", "max": 0.05},
                {"signal": "disconnectRatio", "max": 0.3},
            ],
            checks=[CHECK],
        )
    )
    current = status(
        Phase.VERIFYING,
        published_version="3.0",
        verification=sampled(120, 110, 2, disconnects=10, checks=[tried(1, 200)]),
    )
    step = plan(release, current, S.Observation(flow=flow(published="3.0")), now=NOW, generation=1)
    assert isinstance(step, S.PassVerifyStage) and step.record is not None
    record = step.record
    assert (record.verdict, record.window_seconds, record.entries, record.version) == (
        "passed",
        600,
        120,
        "3.0",
    )
    assert [(s.signal, s.verdict, s.samples, s.threshold) for s in record.signals] == [
        ("minSamples", "healthy", 120, "≥ 20"),
        ("outcomeFailureRatio", "healthy", 110, "≤ 0.05"),
        ("disconnectRatio", "healthy", 120, "≤ 0.3"),
    ]
    assert record.signals[1].value == pytest.approx(2 / 110) and record.signals[2].value == pytest.approx(
        10 / 120
    )
    (check,) = record.checks
    assert (check.name, check.passed, check.threshold, check.attempts) == ("synthetic", True, "status 2xx", 1)
