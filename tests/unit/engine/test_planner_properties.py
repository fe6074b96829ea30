"""Planner invariants over generated situations: it is pure, never publishes what is live, never starts a
second publish while one is recorded, never retries a settled failure on its own, never publishes over
someone else's lock."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowrelease.api.models import FlowReleaseStatus, OperationRecord, Phase
from flowrelease.engine import steps as S
from flowrelease.engine.planner import SETTLED_FAILURES, plan
from tests.unit.engine.builders import IDENTITY, NOW, ago, current, flow, locked_by, reconciling, spec

VERSIONS = st.sampled_from(["1.0", "2.0", "3.0", None])
POLICIES = st.sampled_from(["Fail", "Wait", "ForceUnlock"])


@st.composite
def operations(draw: st.DrawFn) -> OperationRecord | None:
    if draw(st.booleans()):
        return None
    kind = draw(st.sampled_from(["publish", "rollback", "restore"]))
    return OperationRecord(
        kind=kind,
        id=draw(st.sampled_from(["", "op-1"])),
        version=draw(st.sampled_from(["2.0", "3.0"])),
        started_at=ago(draw(st.integers(min_value=0, max_value=2000))),
        polls=draw(st.integers(min_value=0, max_value=40)),
        restored_version=draw(st.sampled_from(["", "4.0"])) if kind == "restore" else "",
    )


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    operation = draw(operations())
    running = draw(st.sampled_from([None, "running", "success", "failure"]))
    current_op = None
    if running is not None:
        current_op = current(
            id=draw(st.sampled_from(["op-1", "op-9"])),
            status={"running": "STARTED", "success": "SUCCESS", "failure": "FAILURE"}[running],
            complete=running != "running",
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
        assert not isinstance(step, (S.StartPublish, S.PostPublish, S.StartImport)), step


@settings(max_examples=150, deadline=None)
@given(situations())
def test_no_new_publish_intent_while_an_operation_is_recorded(case: dict[str, Any]) -> None:
    if case["status"].operation is not None:
        assert not isinstance(decide(case), (S.StartPublish, S.StartImport, S.BeginAttempt))


@settings(max_examples=150, deadline=None)
@given(situations())
def test_a_settled_failure_is_not_retried_on_its_own(case: dict[str, Any]) -> None:
    status: FlowReleaseStatus = case["status"]
    unchanged = status.observed_generation == 1 and status.desired_version == "3.0"
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
