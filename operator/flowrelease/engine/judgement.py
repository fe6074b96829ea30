"""PURE judgements on facts the orchestrator read: the mode A validation gate (verify stages: `verification`).

Each function takes what Genesys reported and returns a verdict with a message a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowSelector, ValidationMessage, ValidationSummary
from flowrelease.engine.dependency_hash import dependency_hash, dependency_lines
from flowrelease.engine.ports import DependencyReport, FlowState, JobState, VersionInfo

SHOWN = 8


@dataclass(frozen=True)
class Rejection:
    """Why validation refuses the version (a conditions reason and a message)."""

    reason: str
    message: str


def identity_mismatch(selector: FlowSelector, flow: FlowState) -> str | None:
    """A spec naming a flow by `flow.id` AND by a `flow.name`/`type` the id's flow does not have: the fix (the
    same words in `sync`'s preflight and the engine's `FlowIdentityMismatch`); None when they agree."""
    if not selector.id or not selector.name:
        return None
    named_type = (selector.type or "").upper()
    if flow.name == selector.name and not (flow.type and named_type and flow.type.upper() != named_type):
        return None
    return (
        f"flow id {selector.id} is the {flow.type.lower() or 'unknown-type'} flow '{flow.name}', but "
        f"spec.flow.name and spec.flow.type say the {selector.type} flow '{selector.name}'; keep only "
        "spec.flow.id, or correct the name and type to match it"
    )


def version_shown_by(flow: FlowState, version: str) -> VersionInfo | None:
    """What the flow read itself says about `version`, when that answers `check_version`: the flow's
    `checkedInVersion` and `publishedVersion` are checked-in versions by what they are, so neither needs
    `GET …/versions/{id}`. None: the version must be read (a draft, an older version, or a missing one)."""
    if version and version == flow.published_version:
        return VersionInfo(id=version, type="PUBLISH")
    if version and version == flow.checked_in_version:
        return VersionInfo(id=version, type="CHECKIN")
    return None


def check_version(flow_name: str, version: str, info: VersionInfo | None) -> Rejection | None:
    """The version exists and is checked in (CHECKIN or PUBLISH, not a SAVE draft)."""
    if info is None:
        return Rejection(
            C.VERSION_NOT_FOUND,
            f"spec.version: flow '{flow_name}' has no version '{version}'; list its versions and pick a "
            "checked-in one",
        )
    if info.type not in ("CHECKIN", "PUBLISH"):
        return Rejection(
            C.VERSION_NOT_CHECKED_IN,
            f"spec.version: version {version} of '{flow_name}' is a {info.type} draft; check it in before "
            "releasing it",
        )
    return None


def check_dependencies(report: DependencyReport, pinned: str) -> tuple[str, Rejection | None]:
    """The dependency hash, and a rejection when a consumed resource is gone or the pin does not match."""
    computed = dependency_hash(report.consumed)
    broken = [d for d in report.consumed if d.deleted or d.state_unknown]
    if broken:
        listed = ", ".join(
            f"{d.type} '{d.name or d.id}' ({'deleted' if d.deleted else 'state unknown'})"
            for d in broken[:SHOWN]
        )
        more = f" and {len(broken) - SHOWN} more" if len(broken) > SHOWN else ""
        return computed, Rejection(
            C.DEPENDENCY_MISSING,
            f"the version consumes resources that are missing: {listed}{more}; restore them or release a "
            "version that does not use them",
        )
    if pinned and pinned != computed:
        lines = dependency_lines(report.consumed)
        shown = "; ".join(lines[:SHOWN]) + (f"; … {len(lines) - SHOWN} more" if len(lines) > SHOWN else "")
        return computed, Rejection(
            C.DEPENDENCY_HASH_MISMATCH,
            f"spec.release.dependencyHash is {pinned} but the consumed resources hash to {computed} "
            f"({len(lines)} resource(s) now: {shown or 'none'}); review what changed, then update the pin",
        )
    return computed, None


def summarize_job(job: JobState) -> ValidationSummary:
    errors = sum(1 for m in job.messages if m.type == "Error")
    warnings = sum(1 for m in job.messages if m.type == "Warning")
    messages = [ValidationMessage(type=m.type, text=m.text) for m in job.messages]
    return ValidationSummary(errors=errors, warnings=warnings, messages=messages)


def check_job(job: JobState, summary: ValidationSummary, fail_on_warnings: bool) -> Rejection | None:
    """The Architect validate job reports no Error (and no Warning when failOnWarnings)."""
    errors = [m.text for m in job.messages if m.type == "Error"]
    if errors or (job.status == "Failure" and not errors):
        texts = errors or ["the validate job failed without messages"]
        return Rejection(
            C.VALIDATION_ERRORS, f"Architect validation reported {len(errors)} error(s): " + "; ".join(texts)
        )
    if fail_on_warnings and summary.warnings:
        texts = [m.text for m in job.messages if m.type == "Warning"]
        return Rejection(
            C.VALIDATION_WARNINGS,
            f"Architect validation reported {len(texts)} warning(s); spec.validation.failOnWarnings is on: "
            + "; ".join(texts),
        )
    return None
