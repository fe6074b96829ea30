# ruff: noqa: E501  (a table reads best one case per block)
"""What an error from Genesys does to the release, as a table: retry with backoff, wait, or stall."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource
from flowrelease.engine.error_fold import fold_error
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.ports import (
    AuthenticationFailed,
    Conflict,
    FlowApiError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Transient,
)
from flowrelease.engine.status_folding import Folder
from flowrelease.engine.step_fold import FoldContext
from tests.unit.engine.builders import NOW, op, spec, status

SOURCE = PreparedSource(digest="d", text="t", key="inboundCall", flow_type="inboundcall", name="Support IVR")


def context(**spec_overrides: Any) -> FoldContext:
    return FoldContext(folder=Folder(now=NOW, generation=1), spec=spec(**spec_overrides))


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    error: FlowApiError
    step: S.Step | None
    status: FlowReleaseStatus
    want: tuple[OutcomeKind, float | None, bool, str, str, bool]
    """(ends, after, jittered, Reconciling-or-Stalled reason, phase, operation kept)."""
    context: FoldContext = field(default_factory=context)
    streak: int = 1


PUBLISHING = status(Phase.PUBLISHING, operation=op(id="", posted=None))
POLLING = status(Phase.PUBLISHING, operation=op())

CASES = [
    Case("transient-backoff", "5xx after the client's retries: 2^n s, jittered; the intent is kept",
         Transient("boom", status=503), S.StartPublish("3.0", "2.0", "r"), PUBLISHING,
         (OutcomeKind.WAITING, 4.0, True, C.RETRYING, "Publishing", True), streak=2),
    Case("transient-capped", "the backoff stops at 60 s", Transient("boom"), None, POLLING,
         (OutcomeKind.WAITING, 60.0, True, C.RETRYING, "Publishing", True), streak=9),
    Case("retry-after", "a 429's Retry-After is taken as it is", RateLimited("slow", retry_after=7.0), None,
         POLLING, (OutcomeKind.WAITING, 7.0, False, C.RETRYING, "Publishing", True)),
    Case("auth-while-polling", "credentials revoked mid-poll: stalled, the in-flight operation kept to resume",
         AuthenticationFailed("revoked"), None, POLLING,
         (OutcomeKind.STALLED, None, False, C.AUTHENTICATION_FAILED, "Failed", True)),
    Case("permission-on-publish", "a publish refused for a missing permission was never in flight: dropped",
         PermissionDenied("no publish"), S.StartPublish("3.0", "2.0", "r"), PUBLISHING,
         (OutcomeKind.STALLED, None, False, C.PERMISSION_DENIED, "Failed", False)),
    Case("first-pass-auth", "wrong credentials on the very first pass: stalled", AuthenticationFailed("nope"), None,
         status(Phase.PENDING, observed_generation=None),
         (OutcomeKind.STALLED, None, False, C.AUTHENTICATION_FAILED, "Failed", False)),
    Case("import-conflict-waits", "409 registering an import under lockPolicy Wait: look again in 5 s",
         Conflict("locked"), S.StartImport(SOURCE, "2.0", "r"), status(Phase.VALIDATING),
         (OutcomeKind.WAITING, 5.0, False, C.CONFLICT, "Validating", False), context(publish={"lockPolicy": "Wait"})),
    Case("import-conflict-fails", "409 registering an import under lockPolicy Fail: stalled",
         Conflict("locked"), S.StartImport(SOURCE, "2.0", "r"), status(Phase.VALIDATING),
         (OutcomeKind.STALLED, None, False, C.CONFLICT, "Failed", False)),
    Case("ambiguous-name", "409 finding the flow (two flows, one name) needs a person", Conflict("two flows"), None,
         status(Phase.VALIDATING), (OutcomeKind.STALLED, None, False, C.CONFLICT, "Failed", False)),
    Case("not-found", "a 404 outside a side effect stalls naming it", NotFound("no job"), None, POLLING,
         (OutcomeKind.STALLED, None, False, C.NOT_FOUND, "Failed", True)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fold_error(case: Case) -> None:
    folded = fold_error(case.error, case.step, case.status, case.context, case.streak)
    status = folded.status
    kind = C.STALLED if folded.ends is OutcomeKind.STALLED else C.RECONCILING
    reason = next(c.reason for c in status.conditions if c.type == kind)
    got = (folded.ends, folded.after, folded.jitter, reason, status.phase.value, status.operation is not None)
    assert got == case.want, case.reason
    assert case.error.message in folded.summary


def test_a_transient_error_writes_the_same_status_whatever_the_delay() -> None:
    """The delay is in the Outcome, not the status: two retries of the same error fold identically."""
    first = fold_error(Transient("boom"), None, POLLING, context(), 1)
    second = fold_error(Transient("boom"), None, first.status, context(), 2)
    assert first.status == second.status and first.after != second.after
