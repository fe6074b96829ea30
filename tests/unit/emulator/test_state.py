"""Org state transitions with a manual clock: locks, versions, asynchronous publish and check-in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.faults import OperationFault
from flowrelease.emulator.model import Client
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org
from flowrelease.emulator.transitions import TransitionMode, TransitionSettings
from flowrelease.emulator.wire import ApiError

CONFIG = {"inboundCall": {"name": "New", "tasks": []}}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def org(clock: ManualClock) -> Org:
    org = Org(clock)
    apply_seed(org, demo_seed())
    org.add_client(Client("other", "x", "Other team"))
    return org


def support(org: Org) -> str:
    return org.flows_named("Support IVR")[0].id


def test_create_save_checkin_publish_with_poll_transitions(org: Org) -> None:
    flow = org.create_flow("New", "INBOUNDCALL", "flowrelease-demo")
    assert flow.lock is not None and flow.lock.client_id == "flowrelease-demo"
    draft = org.save_version(flow.id, CONFIG, "flowrelease-demo")
    assert (draft.id, draft.type, flow.saved_version_id) == ("1.0", "SAVE", "1.0")
    operation = org.checkin(flow.id, "flowrelease-demo")
    assert (operation.complete, operation.action_status) == (False, "STARTED")
    org.observe_flow(flow)
    assert flow.current_operation is not None and flow.current_operation.action_status == "SUCCESS"
    assert (flow.checked_in_version_id, flow.saved_version_id, flow.lock) == ("1.0", "", None)
    org.publish(flow.id, "flowrelease-demo", None)
    org.observe_flow(flow)
    assert flow.published_version_id == "1.0" and flow.versions["1.0"].type == "PUBLISH"


def test_seconds_transition_completes_on_settle_after_the_clock_moves(org: Org, clock: ManualClock) -> None:
    org.transitions = TransitionSettings(default=TransitionMode("seconds", seconds=30))
    flow_id = support(org)
    org.publish(flow_id, "flowrelease-demo", "3.0")
    clock.advance(29)
    org.settle()
    assert org.flows[flow_id].published_version_id == "2.0"
    clock.advance(1)
    org.settle()
    flow = org.flows[flow_id]
    assert flow.published_version_id == "3.0"
    assert flow.versions["2.0"].date_published_end == clock.now()
    assert flow.versions["3.0"].date_published == clock.now()


def test_a_second_operation_while_one_is_in_flight_is_409(org: Org) -> None:
    flow_id = support(org)
    org.publish(flow_id, "flowrelease-demo", "3.0")
    with pytest.raises(ApiError) as busy:
        org.publish(flow_id, "flowrelease-demo", "1.0")
    assert busy.value.status == 409


def test_lock_held_by_another_client_blocks_every_change(org: Org) -> None:
    flow_id = support(org)
    org.checkout(flow_id, "other")
    for change in (
        lambda: org.checkout(flow_id, "flowrelease-demo"),
        lambda: org.publish(flow_id, "flowrelease-demo", "3.0"),
        lambda: org.save_version(flow_id, CONFIG, "flowrelease-demo"),
        lambda: org.revert(flow_id, "flowrelease-demo"),
        lambda: org.delete_flow(flow_id, "flowrelease-demo"),
    ):
        with pytest.raises(ApiError) as locked:
            change()
        assert locked.value.status == 409 and "Other team" in locked.value.message
    assert org.unlock(flow_id, "flowrelease-demo").lock is None


def test_checkin_needs_a_lock_and_a_draft(org: Org) -> None:
    flow_id = support(org)
    with pytest.raises(ApiError) as unlocked:
        org.checkin(flow_id, "flowrelease-demo")
    assert unlocked.value.status == 409
    org.checkout(flow_id, "flowrelease-demo")
    with pytest.raises(ApiError) as no_draft:
        org.checkin(flow_id, "flowrelease-demo")
    assert no_draft.value.status == 400


def test_drafts_cannot_be_published_and_keep_their_number(org: Org) -> None:
    flow_id = support(org)
    draft = org.save_version(flow_id, CONFIG, "flowrelease-demo")
    assert draft.id == "4.0"
    again = org.save_version(flow_id, {"inboundCall": {"name": "v2"}}, "flowrelease-demo")
    assert again.id == "4.0"
    with pytest.raises(ApiError) as refused:
        org.publish(flow_id, "flowrelease-demo", "4.0")
    assert refused.value.status == 400


def test_configuration_of_another_flow_type_is_refused(org: Org) -> None:
    with pytest.raises(ApiError) as wrong:
        org.save_version(support(org), {"workflow": {"name": "x"}}, "flowrelease-demo")
    assert wrong.value.status == 400 and "inboundCall" in wrong.value.message


def test_operation_fault_fails_the_publish_and_keeps_the_published_version(org: Org) -> None:
    flow_id = support(org)
    org.faults.operations.append(OperationFault(id="f", flow_id=flow_id, error_message="boom"))
    org.publish(flow_id, "flowrelease-demo", "3.0")
    flow = org.flows[flow_id]
    org.observe_flow(flow)
    assert flow.current_operation is not None
    assert (flow.current_operation.action_status, flow.current_operation.error_message) == ("FAILURE", "boom")
    assert flow.published_version_id == "2.0"


def test_refusing_older_publishes_only_refuses_older_versions(org: Org) -> None:
    org.behaviour = replace(org.behaviour, older_version_publish="refuse")
    flow_id = support(org)
    with pytest.raises(ApiError) as older:
        org.publish(flow_id, "flowrelease-demo", "1.0")
    assert older.value.code == "architect.flow.publish.version.older"
    org.publish(flow_id, "flowrelease-demo", "3.0")


def test_seeded_versions_resolve_their_references(org: Org) -> None:
    flow = org.flows[support(org)]
    names = sorted(r.reference.name for r in flow.versions["3.0"].references)
    assert names == ["Billing", "Lookup Account", "Sales", "Support"]
    assert all(r.resource_id for r in flow.versions["3.0"].references)
