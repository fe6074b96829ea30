"""The judgement of a verify stage as tables: which signals apply, each signal's verdict, the stage's state
and what the stage does next. Every row: inputs, the whole expected result, and why."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from flowrelease.api.models import VerifyStage
from flowrelease.engine.checks import CheckVerdict
from flowrelease.engine.verification import (
    StageDecision,
    StageJudgement,
    VersionSample,
    decide_stage,
    judge_signals,
    judge_stage,
    signals_for,
)


def stage(**fields: Any) -> VerifyStage:
    return VerifyStage.model_validate({"name": "bake", "bakeSeconds": 600, **fields})


DEFAULT = stage()
RATIOS = stage(
    minSamples=20,
    analytics=[{"signal": "outcomeFailureRatio", "max": 0.05}, {"signal": "disconnectRatio", "max": 0.2}],
)
FLOORED = stage(minSamples=10, analytics=[{"signal": "entries", "min": 30}])
OWN_MIN = stage(minSamples=10, analytics=[{"signal": "outcomeFailureRatio", "max": 0.1, "minSamples": 50}])
CHECKS_ONLY = stage(analytics=[], checks=[{"name": "c", "http": {"url": "https://m.example.com"}}])

HEALTHY = VersionSample(entries=120, outcomes=110, failed_outcomes=2, exits=100, disconnects=10)
FAILING = VersionSample(entries=120, outcomes=110, failed_outcomes=40, exits=70, disconnects=40)
QUIET = VersionSample(entries=3, outcomes=3, failed_outcomes=0, exits=3)
NO_OUTCOMES = VersionSample(entries=120, exits=110, disconnects=10)
NOTHING = VersionSample()


def test_which_signals_a_stage_judges() -> None:
    signals, floored = signals_for(DEFAULT, "inboundcall")
    assert [(s.signal, s.max_value) for s in signals] == [("outcomeFailureRatio", 0.05)] and floored
    assert signals_for(DEFAULT, "inqueuecall") == ([], True), "in-queue: the entries floor alone"
    assert signals_for(CHECKS_ONLY, "inboundcall") == ([], False), "analytics: [] judges no analytics"
    assert [s.signal for s in signals_for(RATIOS, "inqueuecall")[0]] == [
        "outcomeFailureRatio",
        "disconnectRatio",
    ]


class SignalCase(NamedTuple):
    case: str
    stage: VerifyStage
    flow_type: str
    sample: VersionSample
    expected: list[tuple[str, str, float | None, int, str]]  # (signal, state, value, samples, message)
    reason: str


E = "entries (nFlow)"
SIGNALS = [
    SignalCase(
        "default-healthy",
        DEFAULT,
        "inboundcall",
        HEALTHY,
        [
            ("minSamples", "healthy", 120.0, 120, "120 entries in 600 s (minSamples 10)"),
            (
                "outcomeFailureRatio",
                "healthy",
                2 / 110,
                110,
                "outcomeFailureRatio 0.018 ≤ 0.05 (2 of 110 flow outcomes)",
            ),
        ],
        "the default signal on an instrumented flow",
    ),
    SignalCase(
        "zero-samples",
        DEFAULT,
        "inboundcall",
        NOTHING,
        [
            (
                "minSamples",
                "insufficient",
                0.0,
                0,
                "not judged: 0 entries in 600 s, fewer than minSamples 10",
            ),
            (
                "outcomeFailureRatio",
                "insufficient",
                None,
                0,
                "outcomeFailureRatio not judged: too few entries",
            ),
        ],
        "never healthy on zero samples",
    ),
    SignalCase(
        "min-samples-zero-counts-as-one",
        stage(minSamples=0),
        "inboundcall",
        NOTHING,
        [
            ("minSamples", "insufficient", 0.0, 0, "not judged: 0 entries in 600 s, fewer than minSamples 1"),
            (
                "outcomeFailureRatio",
                "insufficient",
                None,
                0,
                "outcomeFailureRatio not judged: too few entries",
            ),
        ],
        "minSamples 0 still needs an entry",
    ),
    SignalCase(
        "no-outcome-actions",
        DEFAULT,
        "inboundcall",
        NO_OUTCOMES,
        [
            ("minSamples", "healthy", 120.0, 120, "120 entries in 600 s (minSamples 10)"),
            (
                "outcomeFailureRatio",
                "insufficient",
                None,
                0,
                "outcomeFailureRatio not judged: 0 flow outcomes among 120 entries — version 3.0 sets no "
                "flow outcomes (Initialize/Set Flow Outcome actions); judge it with disconnectRatio, "
                "entries or checks",
            ),
        ],
        "a flow without outcome actions is never called healthy on outcome data",
    ),
    SignalCase(
        "in-queue-default",
        DEFAULT,
        "inqueuecall",
        NO_OUTCOMES,
        [
            ("minSamples", "healthy", 120.0, 120, "120 entries in 600 s (minSamples 10)"),
        ],
        "in-queue flows: judged on being reached, nothing about outcomes is claimed",
    ),
    SignalCase(
        "both-ratios-breached",
        RATIOS,
        "inboundcall",
        FAILING,
        [
            ("minSamples", "healthy", 120.0, 120, "120 entries in 600 s (minSamples 20)"),
            (
                "outcomeFailureRatio",
                "breached",
                40 / 110,
                110,
                "outcomeFailureRatio 0.364 > 0.05: 40 of 110 flow outcomes failed",
            ),
            (
                "disconnectRatio",
                "breached",
                40 / 110,
                110,
                "disconnectRatio 0.364 > 0.2: 40 of 110 ended interactions disconnected",
            ),
        ],
        "the version's own counts over its own window",
    ),
    SignalCase(
        "quiet",
        RATIOS,
        "inboundcall",
        QUIET,
        [
            (
                "minSamples",
                "insufficient",
                3.0,
                3,
                "not judged: 3 entries in 600 s, fewer than minSamples 20",
            ),
            (
                "outcomeFailureRatio",
                "insufficient",
                None,
                3,
                "outcomeFailureRatio not judged: too few entries",
            ),
            ("disconnectRatio", "insufficient", None, 3, "disconnectRatio not judged: too few entries"),
        ],
        "too few entries: no ratio is judged",
    ),
    SignalCase(
        "signal-own-min-samples",
        OWN_MIN,
        "inboundcall",
        HEALTHY,
        [
            ("minSamples", "healthy", 120.0, 120, "120 entries in 600 s (minSamples 10)"),
            (
                "outcomeFailureRatio",
                "healthy",
                2 / 110,
                110,
                "outcomeFailureRatio 0.018 ≤ 0.1 (2 of 110 flow outcomes)",
            ),
        ],
        "110 outcomes ≥ the signal's own 50",
    ),
    SignalCase(
        "signal-own-min-samples-short",
        OWN_MIN,
        "inboundcall",
        VersionSample(entries=40, outcomes=40, failed_outcomes=30),
        [
            ("minSamples", "healthy", 40.0, 40, "40 entries in 600 s (minSamples 10)"),
            (
                "outcomeFailureRatio",
                "insufficient",
                None,
                40,
                "outcomeFailureRatio not judged: 40 flow outcomes, fewer than minSamples 50",
            ),
        ],
        "a bad ratio on fewer outcomes than the signal needs is not judged",
    ),
    SignalCase(
        "entries-floor-breach",
        FLOORED,
        "inqueuecall",
        VersionSample(entries=12),
        [
            ("minSamples", "healthy", 12.0, 12, "12 entries in 600 s (minSamples 10)"),
            ("entries", "breached", 12.0, 12, "entries 12 < 30 in 600 s: the version is not reached"),
        ],
        "the entries signal breaches below its min (the flow is not reached)",
    ),
    SignalCase(
        "entries-floor-below-min-samples",
        FLOORED,
        "inqueuecall",
        NOTHING,
        [
            (
                "minSamples",
                "insufficient",
                0.0,
                0,
                "not judged: 0 entries in 600 s, fewer than minSamples 10",
            ),
            ("entries", "breached", 0.0, 0, "entries 0 < 30 in 600 s: the version is not reached"),
        ],
        "not reached at all is a breach, not a lack of data",
    ),
]


@pytest.mark.parametrize("case", SIGNALS, ids=[c.case for c in SIGNALS])
def test_each_signal_verdict(case: SignalCase) -> None:
    verdicts = judge_signals(case.stage, case.flow_type, "3.0", case.sample, 600.0)
    assert [(v.signal, v.state, v.value, v.samples, v.message) for v in verdicts] == case.expected, (
        case.reason
    )


def check(passed: bool) -> CheckVerdict:
    word = "passed" if passed else "failed"
    return CheckVerdict(
        "c", "http", passed, "GET https://m.example.com/", None, "status 2xx", f"check 'c' {word}"
    )


class StageCase(NamedTuple):
    case: str
    stage: VerifyStage
    sample: VersionSample
    checks: list[CheckVerdict]
    window: float
    state: str
    decision: StageDecision
    reason: str


P = "stage 'bake', version 3.0: "
FLOOR_SHORT = "not judged: 3 entries in 600 s, fewer than minSamples 10; " + (
    "outcomeFailureRatio not judged: too few entries"
)
OK = "120 entries in 600 s (minSamples 10); outcomeFailureRatio 0.018 ≤ 0.05 (2 of 110 flow outcomes)"
STAGES = [
    StageCase(
        "healthy",
        DEFAULT,
        HEALTHY,
        [check(True)],
        600,
        "healthy",
        StageDecision("pass", "StagePassed", P + OK + "; check 'c' passed"),
        "all signals and checks pass",
    ),
    StageCase(
        "check-fails-healthy-traffic",
        DEFAULT,
        HEALTHY,
        [check(False)],
        600,
        "breached",
        StageDecision("fail", "CheckFailed", P + "check 'c' failed"),
        "all checks must pass",
    ),
    StageCase(
        "breach-beats-quiet",
        RATIOS,
        FAILING,
        [],
        600,
        "breached",
        StageDecision(
            "fail",
            "HealthBreach",
            P + "outcomeFailureRatio 0.364 > 0.05: 40 of 110 flow outcomes "
            "failed; disconnectRatio 0.364 > 0.2: 40 of 110 ended interactions disconnected",
        ),
        "a breach fails at once",
    ),
    StageCase(
        "quiet-extends",
        DEFAULT,
        QUIET,
        [],
        600,
        "insufficient",
        StageDecision(
            "extend",
            "Extended",
            P + FLOOR_SHORT + "; baking 600 s longer (up to maxBakeSeconds 1800)",
            extend_seconds=600,
        ),
        "Extend (the default) bakes on",
    ),
    StageCase(
        "quiet-extends-to-the-limit",
        stage(maxBakeSeconds=1000),
        QUIET,
        [],
        600,
        "insufficient",
        StageDecision(
            "extend",
            "Extended",
            P + FLOOR_SHORT + "; baking 400 s longer (up to maxBakeSeconds 1000)",
            extend_seconds=400,
        ),
        "never past maxBakeSeconds",
    ),
    StageCase(
        "quiet-at-the-limit-fails",
        DEFAULT,
        QUIET,
        [],
        1800,
        "insufficient",
        StageDecision("fail", "InsufficientData", P + FLOOR_SHORT + " (maxBakeSeconds reached)"),
        "still quiet at maxBakeSeconds: not verified, so it fails",
    ),
    StageCase(
        "quiet-fail-policy",
        stage(onInsufficientData="Fail"),
        QUIET,
        [],
        600,
        "insufficient",
        StageDecision("fail", "InsufficientData", P + FLOOR_SHORT + " (onInsufficientData: Fail)"),
        "Fail fails at once",
    ),
    StageCase(
        "quiet-pass-policy",
        stage(onInsufficientData="Pass"),
        QUIET,
        [check(True)],
        600,
        "insufficient",
        StageDecision(
            "passUnjudged", "NotJudged", P + FLOOR_SHORT + " (onInsufficientData: Pass: passed, not judged)"
        ),
        "Pass passes, saying it was not judged",
    ),
    StageCase(
        "checks-only",
        CHECKS_ONLY,
        NOTHING,
        [check(True)],
        600,
        "healthy",
        StageDecision("pass", "StagePassed", P + "check 'c' passed"),
        "analytics: [] judges the checks alone",
    ),
]


@pytest.mark.parametrize("case", STAGES, ids=[c.case for c in STAGES])
def test_the_stage_state_and_what_it_does_next(case: StageCase) -> None:
    judgement = judge_stage(case.stage, "inboundcall", "3.0", case.sample, 600.0, case.checks)
    assert isinstance(judgement, StageJudgement) and judgement.state == case.state
    assert decide_stage(case.stage, judgement, case.window) == case.decision, case.reason
