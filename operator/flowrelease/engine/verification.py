"""PURE judgement of a verify stage: each signal on the released version's own flow aggregates, the external
checks, and what the stage does next (pass, pass not judged, fail, or keep baking).

Samples are counted honestly: a stage is never healthy on zero samples. `minSamples` counts entries into
the released version (`nFlow`); a ratio is judged only on enough of its own denominator. Too few samples is
"insufficient data", which `onInsufficientData` turns into Fail, Pass (not judged) or Extend (the window
grows, up to `maxBakeSeconds`, then Fail). A breached signal or a failed check fails the stage at once.

Which signals a stage judges (`signals_for`): its `analytics`, or by default `outcomeFailureRatio` ≤
`maxFailureRatio` — except for in-queue flows, which cannot set flow outcomes and are judged on the entries
floor alone. Every verdict says in words what was measured, the value, the threshold and the samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from flowrelease.api.models import IN_QUEUE_FLOW_TYPES, AnalyticsSignal, VerifyStage
from flowrelease.engine.checks import CheckVerdict

State = Literal["healthy", "breached", "insufficient"]
Action = Literal["pass", "passUnjudged", "fail", "extend"]
FLOOR = "minSamples"
"""The name of the entries-floor verdict every stage with analytics has."""


@dataclass(frozen=True)
class VersionSample:
    """Flow aggregates of one version of one flow over a window (`flowId` AND `flowVersion` predicates)."""

    entries: int = 0
    """nFlow: entries into the version."""
    outcomes: int = 0
    """nFlowOutcome."""
    failed_outcomes: int = 0
    """nFlowOutcomeFailed."""
    exits: int = 0
    """tFlowExit count: interactions that left the flow to a queue, flow, … ."""
    disconnects: int = 0
    """tFlowDisconnect count: interactions that ended in a disconnect inside the flow."""


@dataclass(frozen=True)
class SignalVerdict:
    signal: str
    measured: str
    value: float | None
    threshold: str
    samples: int
    state: State
    message: str


@dataclass(frozen=True)
class StageJudgement:
    state: State
    signals: tuple[SignalVerdict, ...]
    checks: tuple[CheckVerdict, ...]
    message: str


@dataclass(frozen=True)
class StageDecision:
    action: Action
    reason: str
    """A condition reason: StagePassed, NotJudged, HealthBreach, CheckFailed, InsufficientData, Extended."""
    message: str
    extend_seconds: int = 0
    """With `extend`: how much longer the window grows."""


def is_in_queue(flow_type: str) -> bool:
    return flow_type.lower() in IN_QUEUE_FLOW_TYPES


def signals_for(stage: VerifyStage, flow_type: str) -> tuple[list[AnalyticsSignal], bool]:
    """(the signals judged, whether the entries floor applies) for `stage` on a flow of `flow_type`."""
    if stage.analytics is not None:
        return list(stage.analytics), bool(stage.analytics)
    if is_in_queue(flow_type):
        return [], True
    return [AnalyticsSignal(signal="outcomeFailureRatio", max_value=stage.max_failure_ratio)], True


def _needed(stage: VerifyStage) -> int:
    return max(stage.min_samples, 1)


def _floor(stage: VerifyStage, version: str, sample: VersionSample, window: int) -> SignalVerdict:
    needed = _needed(stage)
    measured = f"entries (nFlow) of version {version} in {window} s"
    if sample.entries >= needed:
        state: State = "healthy"
        message = f"{sample.entries} entries in {window} s (minSamples {needed})"
    else:
        state = "insufficient"
        message = f"not judged: {sample.entries} entries in {window} s, fewer than minSamples {needed}"
    return SignalVerdict(
        FLOOR, measured, float(sample.entries), f"≥ {needed}", sample.entries, state, message
    )


def _ratio(
    signal: AnalyticsSignal,
    stage: VerifyStage,
    version: str,
    sample: VersionSample,
    floor_met: bool,
) -> SignalVerdict:
    limit = signal.max_value if signal.max_value is not None else 0.0
    needed = signal.min_samples or _needed(stage)
    if signal.signal == "outcomeFailureRatio":
        part, whole = sample.failed_outcomes, sample.outcomes
        measured = f"nFlowOutcomeFailed / nFlowOutcome of version {version}"
        unit, parts = "flow outcomes", "failed"
    else:
        part, whole = sample.disconnects, sample.exits + sample.disconnects
        measured = f"tFlowDisconnect / (tFlowExit + tFlowDisconnect) of version {version}"
        unit, parts = "ended interactions", "disconnected"
    threshold = f"≤ {limit:g}"

    def verdict(state: State, value: float | None, message: str) -> SignalVerdict:
        return SignalVerdict(signal.signal, measured, value, threshold, whole, state, message)

    if not floor_met:
        return verdict("insufficient", None, f"{signal.signal} not judged: too few entries")
    if whole == 0 and signal.signal == "outcomeFailureRatio":
        return verdict(
            "insufficient",
            None,
            f"outcomeFailureRatio not judged: 0 flow outcomes among {sample.entries} entries — version "
            f"{version} sets no flow outcomes (Initialize/Set Flow Outcome actions); judge it with "
            "disconnectRatio, entries or checks",
        )
    if whole < needed:
        return verdict(
            "insufficient",
            None,
            f"{signal.signal} not judged: {whole} {unit}, fewer than minSamples {needed}",
        )
    ratio = part / whole
    if ratio > limit:
        return verdict(
            "breached", ratio, f"{signal.signal} {ratio:.3f} > {limit:g}: {part} of {whole} {unit} {parts}"
        )
    return verdict("healthy", ratio, f"{signal.signal} {ratio:.3f} ≤ {limit:g} ({part} of {whole} {unit})")


def _entries(signal: AnalyticsSignal, version: str, sample: VersionSample, window: int) -> SignalVerdict:
    floor = signal.min_value or 1
    measured = f"entries (nFlow) of version {version} in {window} s"
    if sample.entries < floor:
        state: State = "breached"
        message = f"entries {sample.entries} < {floor} in {window} s: the version is not reached"
    else:
        state = "healthy"
        message = f"entries {sample.entries} ≥ {floor} in {window} s"
    return SignalVerdict(
        "entries", measured, float(sample.entries), f"≥ {floor}", sample.entries, state, message
    )


def judge_signals(
    stage: VerifyStage, flow_type: str, version: str, sample: VersionSample, window_seconds: float
) -> tuple[SignalVerdict, ...]:
    """Every analytics verdict of the stage, the entries floor first (when it applies)."""
    window = round(window_seconds)
    signals, floored = signals_for(stage, flow_type)
    verdicts: list[SignalVerdict] = []
    floor_met = True
    if floored:
        floor = _floor(stage, version, sample, window)
        floor_met = floor.state == "healthy"
        verdicts.append(floor)
    for signal in signals:
        if signal.signal == "entries":
            verdicts.append(_entries(signal, version, sample, window))
        else:
            verdicts.append(_ratio(signal, stage, version, sample, floor_met))
    return tuple(verdicts)


def judge_stage(
    stage: VerifyStage,
    flow_type: str,
    version: str,
    sample: VersionSample,
    window_seconds: float,
    checks: Sequence[CheckVerdict] = (),
) -> StageJudgement:
    """The stage's state: breached when any signal breached or any check failed, insufficient when any
    signal lacks samples, healthy only when every signal and check passed."""
    signals = judge_signals(stage, flow_type, version, sample, window_seconds)
    failed = [c for c in checks if not c.passed]
    breached = [s for s in signals if s.state == "breached"]
    short = [s for s in signals if s.state == "insufficient"]
    if breached or failed:
        state: State = "breached"
        parts = [s.message for s in breached] + [c.message for c in failed]
    elif short:
        state = "insufficient"
        parts = [s.message for s in short]
    else:
        state = "healthy"
        parts = [s.message for s in signals] + [c.message for c in checks]
    message = f"stage '{stage.name}', version {version}: " + "; ".join(parts or ["nothing to judge"])
    return StageJudgement(state, signals, tuple(checks), message)


def decide_stage(stage: VerifyStage, judgement: StageJudgement, window_seconds: float) -> StageDecision:
    """What the stage does with its judgement after a window of `window_seconds`."""
    if judgement.state == "healthy":
        return StageDecision("pass", "StagePassed", judgement.message)
    if judgement.state == "breached":
        analytics = any(s.state == "breached" for s in judgement.signals)
        return StageDecision("fail", "HealthBreach" if analytics else "CheckFailed", judgement.message)
    policy = stage.on_insufficient_data
    if policy == "Pass":
        return StageDecision(
            "passUnjudged", "NotJudged", f"{judgement.message} (onInsufficientData: Pass: passed, not judged)"
        )
    limit = stage.bake_limit_seconds
    if policy == "Extend" and window_seconds < limit:
        grow = int(min(stage.bake_seconds, limit - window_seconds))
        return StageDecision(
            "extend",
            "Extended",
            f"{judgement.message}; baking {grow} s longer (up to maxBakeSeconds {limit})",
            extend_seconds=max(grow, 1),
        )
    why = "maxBakeSeconds reached" if policy == "Extend" else "onInsufficientData: Fail"
    return StageDecision("fail", "InsufficientData", f"{judgement.message} ({why})")
