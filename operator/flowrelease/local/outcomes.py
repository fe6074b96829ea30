"""What one release ended as, in the words of the final table, the JSON summary and the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase


class ResultKind(StrEnum):
    READY = "ready"
    SUSPENDED = "suspended"
    STALLED = "stalled"
    TIMED_OUT = "timedOut"
    ERROR = "error"


OK_RESULTS = frozenset({ResultKind.READY, ResultKind.SUSPENDED})
"""Not failures: exit 0. A suspended release did nothing because its spec says so; it is not Ready and is
counted apart (`summary_counts`)."""


@dataclass(frozen=True)
class ReleaseResult:
    release: str
    flow: str
    desired: str
    published: str
    phase: str
    kind: ResultKind
    message: str
    verification: str = ""
    """What verification found, in a few words (`verification_summary`)."""

    @property
    def ok(self) -> bool:
        return self.kind in OK_RESULTS

    def to_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "flow": self.flow,
            "desiredVersion": self.desired,
            "publishedVersion": self.published,
            "phase": self.phase,
            "result": self.kind.value,
            "ok": self.ok,
            "message": self.message,
            "verification": self.verification,
        }


def status_message(status: FlowReleaseStatus) -> str:
    """The most telling condition message: Stalled, then Ready, then Reconciling."""
    by_type = {condition.type: condition for condition in status.conditions}
    for kind, wanted in (("Stalled", "True"), ("Ready", "True"), ("Reconciling", "True"), ("Ready", "False")):
        condition = by_type.get(kind)
        if condition is not None and condition.status == wanted and condition.message:
            return condition.message
    return ""


STAGE_WORDS = {
    "passed": "passed",
    "passedNotJudged": "passed NOT judged",
    "breached": "breached",
    "checkFailed": "failed a check",
    "insufficientData": "had too few samples",
}


def verification_summary(status: FlowReleaseStatus) -> str:
    """The Verified condition in a few words: each judged stage with its verdict and samples."""
    verified = next((c for c in status.conditions if c.type == C.VERIFIED), None)
    if verified is None:
        return ""
    stages = status.verification.stages if status.verification else []
    judged = ", ".join(
        f"{s.name} {STAGE_WORDS.get(s.verdict, s.verdict)} on {s.entries} entries"
        + (f" + {len(s.checks)} check(s)" if s.checks else "")
        for s in stages
    )
    if verified.status == "True":
        return f"verified: {judged}" if judged else "verified"
    if verified.status == "Unknown":
        return f"verifying: {judged}" if judged else "verifying"
    if verified.reason == C.NOT_JUDGED and not stages:
        return "not verified: no verify stages"
    return f"not verified ({verified.reason}): {judged}" if judged else f"not verified ({verified.reason})"


def result_from(
    release: str, fallback_flow: str, status: FlowReleaseStatus, kind: ResultKind, message: str
) -> ReleaseResult:
    return ReleaseResult(
        release=release,
        flow=status.flow.name if status.flow and status.flow.name else fallback_flow,
        desired=status.desired_version,
        published=status.published_version,
        phase=status.phase.value if isinstance(status.phase, Phase) else str(status.phase),
        kind=kind,
        message=message or status_message(status),
        verification=verification_summary(status),
    )


def exit_code(results: list[ReleaseResult]) -> int:
    """0 when every release is Ready or deliberately suspended, 1 otherwise."""
    return 0 if all(result.ok for result in results) else 1


PLAN_NOTHING_TO_DO = 0
PLAN_BLOCKED = 1
PLAN_CHANGES_PENDING = 3
SETTLED_PLAN_ACTIONS = frozenset({"nothing", "suspended"})
BLOCKED_PLAN_ACTIONS = frozenset({"blocked", "error"})


def plan_exit_code(actions: list[str]) -> int:
    """`flowrelease plan`: 1 when any release is blocked or cannot be observed (sync would end failed), else
    3 when any would change something (publish, import, resume, verify, export, roll back, wait, report
    drift), else 0 (nothing to do: every release settled or suspended). Bad input (2) is decided earlier."""
    if any(action in BLOCKED_PLAN_ACTIONS for action in actions):
        return PLAN_BLOCKED
    if all(action in SETTLED_PLAN_ACTIONS for action in actions):
        return PLAN_NOTHING_TO_DO
    return PLAN_CHANGES_PENDING


def summary_counts(results: list[ReleaseResult]) -> dict[str, int]:
    """How many releases are ready, suspended and neither (failed, stalled, timed out, errors)."""
    ready = sum(1 for result in results if result.kind is ResultKind.READY)
    suspended = sum(1 for result in results if result.kind is ResultKind.SUSPENDED)
    return {"ready": ready, "suspended": suspended, "failed": len(results) - ready - suspended}


def overall_result(results: list[ReleaseResult]) -> str:
    """`ready` (all Ready), `suspended` (none failed, some suspended) or `failed`."""
    counts = summary_counts(results)
    if counts["failed"]:
        return "failed"
    return "suspended" if counts["suspended"] else "ready"
