"""Planner invariants over generated situations: it is pure, never publishes what is live, never starts a
second publish while one is recorded, never sends a side effect twice without an observation and a wait,
never takes an operation that is not demonstrably ours as a failure, never retries a settled failure on its
own, never publishes over someone else's lock."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    FlowReleaseStatus,
    OperationRecord,
    OperationSnapshot,
    Phase,
    RollbackRecord,
)
from flowrelease.engine import steps as S
from flowrelease.engine.bounds import VISIBILITY_GRACE_SECONDS
from flowrelease.engine.evidence import parse_time
from flowrelease.engine.planner import SETTLED_FAILURES, plan
from tests.unit.engine.builders import IDENTITY, NOW, ago, current, flow, locked_by, reconciling, spec

VERSIONS = st.sampled_from(["1.0", "2.0", "3.0", None])
POLICIES = st.sampled_from(["Fail", "Wait", "ForceUnlock"])


@st.composite
def operations(draw: st.DrawFn) -> OperationRecord | None:
    if draw(st.booleans()):
        return None
    kind = draw(st.sampled_from(["publish", "rollback", "restore", "checkin"]))
    started = draw(st.integers(min_value=0, max_value=2000))
    posted = draw(st.sampled_from([None, 0, 5, 29, 31, 200]))
    return OperationRecord(
        kind=kind,
        id=draw(st.sampled_from(["", "op-1"])),
        version=draw(st.sampled_from(["2.0", "3.0", "saved_version_x"])),
        started_at=ago(started),
        posted_at=ago(min(posted, started)) if posted is not None else "",
        prior_operation=draw(
            st.sampled_from([None, OperationSnapshot(id="op-0", action="PUBLISH", status="FAILURE")])
        ),
        prior_version=draw(st.sampled_from(["", "2.0", "3.0"])),
    )


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    operation = draw(operations())
    running = draw(st.sampled_from([None, "running", "success", "failure"]))
    current_op = None
    if running is not None:
        current_op = current(
            id=draw(st.sampled_from(["op-0", "op-1", "op-9"])),
            action=draw(st.sampled_from(["PUBLISH", "CHECKIN"])),
            status={"running": "STARTED", "success": "SUCCESS", "failure": "FAILURE"}[running],
            complete=running != "running",
            mine=draw(st.booleans()),
        )
    lock = draw(st.sampled_from([None, locked_by(), locked_by(is_self=True)]))
    observed = flow(
        published=draw(VERSIONS),
        saved_version=draw(st.sampled_from([None, "4.0"])),
        checked_in_version=draw(st.sampled_from(["3.0", "4.0"])),
        lock=lock,
        current_operation=current_op,
    )
    status = FlowReleaseStatus(
        observed_generation=draw(st.sampled_from([None, 1])),
        phase=draw(st.sampled_from(list(Phase))),
        flow=IDENTITY,
        desired_version=draw(st.sampled_from(["", "3.0"])),
        published_version=draw(st.sampled_from(["", "2.0", "3.0"])),
        last_good_version=draw(st.sampled_from(["", "2.0"])),
        failed_version=draw(st.sampled_from(["", "3.0"])),
        operation=operation,
        rollback=draw(
            st.sampled_from(
                [None, RollbackRecord(route="republish", target_version="2.0", route_started_at=ago(40))]
            )
        ),
        conditions=[reconciling(draw(st.integers(min_value=0, max_value=2000)))],
        last_handled_reconcile_at=draw(st.sampled_from(["", "t1"])),
    )
    return {
        "spec": spec(publish={"lockPolicy": draw(POLICIES), "timeoutSeconds": 900}),
        "status": status,
        "observation": S.Observation(flow=observed),
        "requested_at": draw(st.sampled_from(["", "t1", "t2"])),
    }


def decide(case: dict[str, Any]) -> S.Step:
    return plan(
        case["spec"],
        case["status"],
        case["observation"],
        now=NOW,
        generation=1,
        requested_at=case["requested_at"],
    )


@settings(max_examples=150, deadline=None)
@given(situations())
def test_the_planner_is_pure(case: dict[str, Any]) -> None:
    assert decide(case) == decide(case)


@settings(max_examples=150, deadline=None)
@given(situations())
def test_a_live_desired_version_is_never_published_again(case: dict[str, Any]) -> None:
    observed = case["observation"].flow
    step = decide(case)
    if case["status"].operation is None and observed.published_version == "3.0":
        assert not isinstance(step, (S.StartPublish, S.StartImport)), step


@settings(max_examples=150, deadline=None)
@given(situations())
def test_no_new_publish_intent_while_an_operation_is_recorded(case: dict[str, Any]) -> None:
    if case["status"].operation is not None:
        new_intents = (
            S.StartPublish,
            S.StartImport,
            S.BeginAttempt,
            S.StartRollbackPublish,
            S.StartRestore,
            S.StartCheckin,
        )
        assert not isinstance(decide(case), new_intents)


def _age(moment: str) -> float:
    return (NOW - parse_time(moment)).total_seconds()


@settings(max_examples=300, deadline=None)
@given(situations())
def test_never_sends_again_without_an_observation_and_a_wait(case: dict[str, Any]) -> None:
    """An acknowledged side effect is never sent again; an unacknowledged one only after the grace."""
    op = case["status"].operation
    step = decide(case)
    if op is None or not isinstance(step, S.ResendOperation):
        return
    refused = op.refused is not None
    assert op.kind == "publish", "a rollback side effect is never sent twice: its route is left instead"
    assert refused or not op.posted_at, "an acknowledged POST is never sent again"
    assert refused or _age(op.started_at) >= VISIBILITY_GRACE_SECONDS, "sent again before the grace was over"


@settings(max_examples=300, deadline=None)
@given(situations())
def test_only_an_operation_that_is_demonstrably_ours_fails_a_publish(case: dict[str, Any]) -> None:
    status: FlowReleaseStatus = case["status"]
    op = status.operation
    step = decide(case)
    failed = (
        isinstance(step, (S.StartRollback, S.NoRollback)) and step.failure_reason == C.PUBLISH_FAILED
    ) or (isinstance(step, S.LeaveRoute) and step.result == "failed")
    if op is None or not failed or op.kind not in ("publish", "rollback", "checkin"):
        return
    seen = case["observation"].flow.current_operation
    assert seen is not None and seen.action_status == "FAILURE"
    prior = op.prior_operation
    assert (op.id and seen.id == op.id) or (seen.is_self and (prior is None or seen.id != prior.id)), step


@settings(max_examples=150, deadline=None)
@given(situations())
def test_a_settled_failure_is_not_retried_on_its_own(case: dict[str, Any]) -> None:
    status: FlowReleaseStatus = case["status"]
    handled = (
        status.attempt_generation if status.attempt_generation is not None else status.observed_generation
    )
    unchanged = handled == 1 and status.desired_version == "3.0"
    not_requested = case["requested_at"] in ("", status.last_handled_reconcile_at)
    if status.phase in SETTLED_FAILURES and unchanged and not_requested:
        assert isinstance(decide(case), S.Stall)


@settings(max_examples=150, deadline=None)
@given(situations())
def test_never_publishes_over_another_users_lock_unless_told_to_break_it(case: dict[str, Any]) -> None:
    observed = case["observation"].flow
    step = decide(case)
    if observed.lock is not None and not observed.lock.is_self and case["status"].operation is None:
        assert not isinstance(step, S.StartPublish)
