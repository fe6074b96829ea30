"""What the engine reads again between the steps of one pass (pure table)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.engine import steps as S
from flowrelease.engine.observing import FLOW_READ_FRESH_SECONDS, Reread, reread_after

VALIDATE = S.Validate("3.0", "validating")
PUBLISH = S.StartPublish("3.0", "2.0", "publishing")


@dataclass(frozen=True)
class RereadCase:
    id: str
    reason: str
    step: S.Step | None
    stale: bool
    flow_read_seconds_ago: float
    want: Reread


CASES = [
    RereadCase(
        "not-stale",
        "the fold says nothing changed: plan again on the same reads",
        VALIDATE,
        False,
        1,
        Reread.NOTHING,
    ),
    RereadCase(
        "validate-fresh",
        "a validate job registered: it does not touch the flow, so only the job is read; the flow read of "
        "this pass decides the publish",
        VALIDATE,
        True,
        1.0,
        Reread.JOBS,
    ),
    RereadCase(
        "validate-old-read",
        "the pass's flow read is too old to decide a publish on (a saturated rate limit): read it again",
        VALIDATE,
        True,
        FLOW_READ_FRESH_SECONDS,
        Reread.EVERYTHING,
    ),
    RereadCase(
        "clock-backwards",
        "a read 'from the future' (clock moved back) is not trusted",
        VALIDATE,
        True,
        -1.0,
        Reread.EVERYTHING,
    ),
    RereadCase("publish", "a POST acted on the flow: read everything", PUBLISH, True, 0.1, Reread.EVERYTHING),
    RereadCase("no-step", "an error before any step: read everything", None, True, 0.1, Reread.EVERYTHING),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reread_after(case: RereadCase) -> None:
    assert reread_after(case.step, case.stale, case.flow_read_seconds_ago) is case.want, case.reason
