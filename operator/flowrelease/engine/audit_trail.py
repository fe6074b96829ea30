"""How a step is named in the audit trail and the step-duration metric: its `action`, and a summary line.

The action vocabulary is fixed (dashboards and alert rules use it as a label value): observe, validate,
publish, poll, verify, rollback, restore, import, export, drift, ready, suspend.
"""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine import steps as S

_BY_KIND = {"publish": "publish", "import": "import", "rollback": "rollback"}
_WAIT_ACTIONS = {
    C.WAITING_FOR_LOCK: "validate",
    C.VALIDATING: "validate",
    C.BAKING: "verify",
    C.EXPORTING: "export",
    C.EXPORT_FAILED: "export",
}


def action_of(step: S.Step | None, status: FlowReleaseStatus) -> str:
    """The audit action of a step (observe, validate, publish, poll, verify, rollback, restore, …)."""
    op = status.operation
    match step:
        case None:
            return "observe"
        case S.Suspend():
            return "suspend"
        case S.Stall() | S.ResolveFlow() | S.BeginAttempt():
            return "observe"
        case S.Settled():
            return "drift"
        case S.Wait():
            return _WAIT_ACTIONS.get(step.reason, "poll")
        case S.FailValidation() | S.PassValidation() | S.Validate() | S.ForceUnlock() | S.CheckExportTarget():
            return "validate"
        case S.AdoptOperation() | S.ResendOperation():
            return _BY_KIND.get(op.kind, "restore") if op else "publish"
        case S.StartPublish() | S.SkipPublish() | S.PublishSucceeded():
            return "publish"
        case S.StartImport() | S.ImportJobSucceeded() | S.ImportSucceeded():
            return "import"
        case (
            S.StartVerifyStage()
            | S.SampleVerifyStage()
            | S.RunCheck()
            | S.PassVerifyStage()
            | S.ExtendVerifyStage()
            | S.VerificationPassed()
        ):
            return "verify"
        case (
            S.StartRollback()
            | S.NoRollback()
            | S.RollbackSucceeded()
            | S.ReleaseFailed()
            | S.LeaveRoute()
            | S.StartRollbackPublish()
        ):
            return "rollback"
        case S.StartRestore() | S.StartCheckin() | S.AdoptDraft() | S.CheckinSucceeded() | S.StartReimport():
            return "restore"
        case S.StartExportJob():
            return "restore" if status.phase is Phase.ROLLING_BACK else "export"
        case S.StoreArtifact() | S.ExportJobFailed() | S.StallExport():
            return "export"
        case S.MarkReady():
            return "ready"
        case S.ReportDrift():
            return "drift"
    return "observe"


def describe(step: S.Step) -> str:
    """A one-line summary of a step, for the Outcome message."""
    for name in ("message", "reason"):
        value = getattr(step, name, "")
        if isinstance(value, str) and value:
            return value
    return type(step).__name__
