"""The promotion gate: PURE. May this release publish its change, given what its upstream releases did?

A release with `spec.promotion.requires` publishes a change only when every upstream FlowRelease carries the
very same change (`status.promotion.change`), has verified it (`Healthy=True`, phase Exporting or Ready) and
has stayed so for `soakSeconds` (counted from the Healthy condition's lastTransitionTime). An upstream that
rolled back or failed that change blocks the release (Stalled, `PromotionBlocked`, naming it); anything else
is waited for, with a message naming what is missing. Only the publish (or import) is gated: validation runs
ahead, and a version already live is not published again whatever the gate says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowRelease, FlowReleaseSpec, FlowReleaseStatus, Phase
from flowrelease.engine.archy_source import source_digest
from flowrelease.engine.evidence import seconds_since
from flowrelease.engine.ports import Change, ReleaseDirectory, UpstreamRelease
from flowrelease.engine.steps import (
    HoldForPromotion,
    Observation,
    RecordChange,
    StartImport,
    StartPublish,
    Step,
)

PROMOTION_RECHECK_SECONDS = 30.0
"""How long a waiting gate waits before looking again when nothing wakes it earlier (both shells wake a
downstream release when an upstream's status changes)."""

VERIFIED_PHASES = frozenset({Phase.EXPORTING, Phase.READY})
FAILED_PHASES = frozenset({Phase.ROLLED_BACK, Phase.VALIDATION_FAILED, Phase.FAILED})


@dataclass(frozen=True)
class GateOpen:
    message: str


@dataclass(frozen=True)
class GateWaiting:
    message: str
    after: float = PROMOTION_RECHECK_SECONDS


@dataclass(frozen=True)
class GateBlocked:
    message: str


Gate = GateOpen | GateWaiting | GateBlocked


# ------------------------------------------------------------------------------------------ identity


def change_of(spec: FlowReleaseSpec, source_yaml: str | None) -> Change | None:
    """The change a release carries: source mode, the Archy YAML as written (before substitution, so every
    environment computes the same digest); promote mode, the release label. None when it has none."""
    if spec.source is not None:
        return Change("source", source_digest(source_yaml)) if source_yaml is not None else None
    if spec.release.label:
        return Change("label", spec.release.label)
    return None


def recorded_change(status: FlowReleaseStatus | None) -> Change | None:
    record = status.promotion if status is not None else None
    if record is None or record.change_kind is None or not record.change:
        return None
    return Change(record.change_kind, record.change)


def upstream_keys(spec: FlowReleaseSpec, namespace: str) -> tuple[tuple[str, str], ...]:
    """(namespace, name) of each required upstream; a requirement without namespace is in this one's."""
    if spec.promotion is None:
        return ()
    return tuple((need.namespace or namespace, need.name) for need in spec.promotion.requires)


async def read_upstreams(
    directory: ReleaseDirectory | None, spec: FlowReleaseSpec, namespace: str
) -> tuple[UpstreamRelease, ...]:
    """Every required upstream as the directory shows it now; () without a directory (the gate then waits)."""
    if directory is None:
        return ()
    found = []
    for ns, name in upstream_keys(spec, namespace):
        found.append(UpstreamRelease(f"{ns}/{name}", await directory.find_release(ns, name)))
    return tuple(found)


# ---------------------------------------------------------------------------------------- the gate


def judge_gate(
    change: Change | None, upstreams: Sequence[UpstreamRelease], *, soak_seconds: int, now: datetime
) -> Gate:
    """Open when every upstream verified `change` and soaked; Blocked when one rolled it back or failed it;
    otherwise Waiting, naming every upstream that is not there yet."""
    if change is None:
        return GateBlocked(
            "this release has no change identity to compare (no source YAML, or no spec.release.label)"
        )
    if not upstreams:
        return GateOpen("no upstream release is required")
    verdicts = [_judge_one(change, upstream, soak_seconds, now) for upstream in upstreams]
    blocked = [v.message for v in verdicts if isinstance(v, GateBlocked)]
    if blocked:
        return GateBlocked("; ".join(blocked))
    waiting = [v for v in verdicts if isinstance(v, GateWaiting)]
    if waiting:
        return GateWaiting("; ".join(v.message for v in waiting), min(v.after for v in waiting))
    return GateOpen("; ".join(v.message for v in verdicts))


def _judge_one(change: Change, upstream: UpstreamRelease, soak: int, now: datetime) -> Gate:
    key = upstream.key
    release = upstream.release
    if release is None:
        return GateWaiting(f"{key} does not exist; create it or fix spec.promotion.requires")
    status = release.status or FlowReleaseStatus()
    phase = status.phase.value
    theirs = recorded_change(status)
    if theirs is None:
        return GateWaiting(f"{key} has not released {change} yet; it is {phase} and carries no change")
    if theirs != change:
        return GateWaiting(f"{key} has not released {change} yet; it is on {theirs} ({phase})")
    if status.phase in FAILED_PHASES:
        stalled = _condition_message(status, C.STALLED)
        what = "rolled back" if status.phase is Phase.ROLLED_BACK else f"failed ({phase})"
        return GateBlocked(f"{key} {what} {change}" + (f": {stalled}" if stalled else ""))
    healthy = next((c for c in status.conditions if c.type == C.HEALTHY), None)
    if status.phase in VERIFIED_PHASES and healthy is not None and healthy.status == "True":
        soaked = seconds_since(healthy.last_transition_time, now) if healthy.last_transition_time else 0.0
        if soaked >= soak:
            return GateOpen(
                f"{key} verified {change}" + (f" and stayed healthy for {soak} s" if soak else "")
            )
        return GateWaiting(
            f"{key} verified {change}; it has been healthy {soaked:.0f} s of {soak} s",
            max(soak - soaked, 0.1),
        )
    return GateWaiting(f"{key} has not verified {change} yet; it is {phase}{_progress(release, now)}")


def _progress(release: FlowRelease, now: datetime) -> str:
    """`, 120 s of 600 s` while the upstream bakes: time baked over all its stages."""
    status = release.status
    progress = status.verification if status is not None else None
    stages = release.spec.verify.stages
    if status is None or status.phase is not Phase.VERIFYING or progress is None or not progress.started_at:
        return ""
    names = [stage.name for stage in stages]
    if progress.stage not in names:
        return ""
    index = names.index(progress.stage)
    done = sum(stage.bake_seconds for stage in stages[:index])
    current = min(seconds_since(progress.started_at, now), float(stages[index].bake_seconds))
    total = sum(stage.bake_seconds for stage in stages)
    return f", {done + current:.0f} s of {total} s"


def _condition_message(status: FlowReleaseStatus, type_: str) -> str:
    found = next((c for c in status.conditions if c.type == type_ and c.status == "True"), None)
    return found.message if found is not None else ""


# ------------------------------------------------------------------------------- the planner's hooks


def record_change(status: FlowReleaseStatus, observation: Observation) -> RecordChange | None:
    """The change of this attempt, when the status does not show it yet (called once an attempt began, so a
    downstream never reads a new change next to the previous attempt's Healthy)."""
    change = observation.change
    if change is None or recorded_change(status) == change:
        return None
    return RecordChange(change)


def hold_for_promotion(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, observation: Observation, now: datetime, step: Step
) -> Step:
    """`step` itself unless it would publish (StartPublish, StartImport) and the gate says otherwise; an Open
    gate is recorded once before the publish."""
    if spec.promotion is None or not spec.promotion.requires:
        return step
    if not isinstance(step, StartPublish | StartImport):
        return step
    if len(observation.upstreams) != len(spec.promotion.requires):
        gate: Gate = GateWaiting("the upstream releases of spec.promotion.requires have not been read")
    else:
        gate = judge_gate(
            observation.change, observation.upstreams, soak_seconds=spec.promotion.soak_seconds, now=now
        )
    record = status.promotion
    match gate:
        case GateOpen():
            if record is not None and record.gate == "Open":
                return step
            return HoldForPromotion("Open", gate.message)
        case GateWaiting():
            return HoldForPromotion("Waiting", gate.message, gate.after)
        case GateBlocked():
            return HoldForPromotion("Blocked", gate.message)
