"""The FlowRelease health table of docs/kubernetes.md, as tests read it.

The table (between the `health-table` markers) is the contract: one row per case, the first case that applies
decides, with the verdict kstatus computes and the one deploy/argocd/health.lua gives in Argo CD. `case_of`
says which row an object falls in (a test checks it against the tool on every status the engine writes);
`EXAMPLES` holds one object per row (a test checks the table against the tool on them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_DOC = REPO_ROOT / "docs" / "kubernetes.md"
START, END = "<!-- health-table:start -->", "<!-- health-table:end -->"
FAILURE_PHASES = {"RolledBack", "Failed", "ValidationFailed"}


@dataclass(frozen=True)
class Row:
    case: str
    when: str
    kstatus: str
    argocd: str


def documented_rows(doc: Path = KUBERNETES_DOC) -> list[Row]:
    text = doc.read_text()
    table = text[text.index(START) + len(START) : text.index(END)]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        case, when, kstatus, argocd = cells
        rows.append(Row(case.strip("`"), when, kstatus.strip("*"), argocd.strip("*")))
    return rows


def _conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("status") or {}).get("conditions") or [])


def case_of(obj: dict[str, Any]) -> str:
    """The table row that decides `obj`'s health (the first that applies)."""
    meta = obj.get("metadata") or {}
    status = obj.get("status")
    if meta.get("deletionTimestamp"):
        return "deleting"
    if status is None:
        return "no-status"
    observed = status.get("observedGeneration")
    if meta.get("generation") is not None and observed is not None and observed != meta["generation"]:
        return "generation-behind"
    ready = None
    for condition in _conditions(obj):
        if condition.get("type") == "Reconciling" and condition.get("status") == "True":
            return "reconciling"
        if condition.get("type") == "Stalled" and condition.get("status") == "True":
            return "stalled"
        if condition.get("type") == "Ready" and ready is None:
            ready = condition
    suspended = (obj.get("spec") or {}).get("suspend") is True
    if suspended:
        if ready is None:
            return "suspended"
        return "suspended-ready" if ready.get("status") == "True" else "suspended-not-ready"
    if ready is not None:
        return "ready" if ready.get("status") == "True" else "not-ready"
    phase = status.get("phase") or ""
    if phase == "Ready":
        return "no-conditions-ready-phase"
    if phase in FAILURE_PHASES:
        return "no-conditions-failed-phase"
    return "no-conditions"


def release_object(
    status: dict[str, Any] | None,
    *,
    generation: int = 2,
    suspend: bool = False,
    deleting: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": "support-ivr",
        "namespace": "contact-center",
        "generation": generation,
    }
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-27T11:00:00Z"
    obj: dict[str, Any] = {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": metadata,
        "spec": {
            "genesys": {"environment": "mypurecloud.com"},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "version": "3.0",
            "suspend": suspend,
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def _condition(type_: str, status: str, reason: str = "R", message: str = "") -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message or f"{type_} {status}"}


def _status(phase: str, *conditions: dict[str, Any], observed: int | None = 2) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "conditions": list(conditions), "publishedVersion": "3.0"}
    if observed is not None:
        status["observedGeneration"] = observed
    return status


EXAMPLES: dict[str, dict[str, Any]] = {
    "deleting": release_object(_status("Ready", _condition("Ready", "True")), deleting=True),
    "no-status": release_object(None),
    "generation-behind": release_object(_status("Ready", _condition("Ready", "True"), observed=1)),
    "reconciling": release_object(
        _status("RolledBack", _condition("Reconciling", "True"), _condition("Stalled", "True"))
    ),
    "stalled": release_object(
        _status("RolledBack", _condition("Stalled", "True"), _condition("Reconciling", "True"), observed=None)
    ),
    "suspended-ready": release_object(_status("Suspended", _condition("Ready", "True")), suspend=True),
    "suspended-not-ready": release_object(_status("Suspended", _condition("Ready", "False")), suspend=True),
    "suspended": release_object(_status("Suspended", observed=None), suspend=True),
    "ready": release_object(_status("Ready", _condition("Ready", "True"))),
    "not-ready": release_object(_status("Exporting", _condition("Ready", "Unknown"))),
    "no-conditions-ready-phase": release_object(_status("Ready")),
    "no-conditions-failed-phase": release_object(_status("RolledBack")),
    "no-conditions": release_object(_status("Pending", observed=None)),
}


def markdown_cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
