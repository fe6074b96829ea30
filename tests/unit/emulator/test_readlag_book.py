"""`ReadLagBook` (R1): a snapshot is served until BOTH enough stale reads AND enough seconds — a table."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from flowrelease.emulator.behaviour import ReadLag
from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.readlag import FlowView, ReadLagBook, live_view, snapshot
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org, stable_id


class Case(NamedTuple):
    case: str
    lag: ReadLag
    read_times: list[float]  # seconds after the action at which each read happens
    expected: list[bool]  # whether each read is served stale
    reason: str


CASES = [
    Case("off", ReadLag(0, 0.0), [0, 0], [False, False], "both parts 0: never stale"),
    Case("reads", ReadLag(2, 0.0), [0, 0, 0, 0], [True, True, False, False], "two stale reads, then fresh"),
    Case("seconds", ReadLag(0, 1.5), [0, 1.0, 1.49, 1.5], [True, True, True, False], "stale until 1.5 s"),
    Case("both-time-first", ReadLag(2, 1.5), [2, 2, 2], [True, True, False], "time passed: still 2 reads"),
    Case("both-reads-first", ReadLag(2, 1.5), [0, 0, 0, 1.0, 1.5], [True, True, True, True, False],
         "2 reads done: still until 1.5 s"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.case for c in CASES])
def test_stale_reads(case: Case) -> None:
    book = ReadLagBook()
    before = FlowView(exists=True)
    book.begin("flow", before, case.lag, now=100.0)
    served = [book.read("flow", 100.0 + at) is before for at in case.read_times]
    assert served == case.expected, case.reason


def test_a_later_action_replaces_the_snapshot_and_restarts_the_count() -> None:
    book = ReadLagBook()
    first, second = FlowView(exists=False), FlowView(exists=True)
    book.begin("flow", first, ReadLag(2, 0.0), now=0.0)
    assert book.read("flow", 0.0) is first
    book.begin("flow", second, ReadLag(2, 0.0), now=0.0)
    assert [book.read("flow", 0.0) for _ in range(3)] == [second, second, None]


def test_an_action_with_the_lag_off_drops_an_earlier_snapshot() -> None:
    book = ReadLagBook()
    book.begin("flow", FlowView(exists=True), ReadLag(5, 0.0), now=0.0)
    book.begin("flow", FlowView(exists=True), ReadLag(0, 0.0), now=0.0)
    assert book.read("flow", 0.0) is None


def test_a_snapshot_is_a_frozen_copy_and_a_missing_flow_is_not_visible() -> None:
    org = Org(ManualClock())
    apply_seed(org, demo_seed())
    flow = org.flows[stable_id("flow", "INBOUNDCALL", "Support IVR")]
    taken = snapshot(flow)
    org.publish(flow.id, "flowrelease-demo", "3.0")
    org.observe_flow(flow)
    assert (flow.published_version_id, flow.versions["3.0"].type) == ("3.0", "PUBLISH")
    assert taken.published is not None and taken.checked_in is not None
    assert (taken.published.id, taken.checked_in.id, taken.checked_in.type) == ("2.0", "3.0", "CHECKIN")
    assert taken.current_operation is None and taken.exists
    assert live_view(flow).current_operation is flow.current_operation
    assert snapshot(None) == FlowView(exists=False)
