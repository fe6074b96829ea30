"""Publishing a version and observing its completion, as Genesys reports it, against the emulator."""

from __future__ import annotations

import pytest

from flowrelease.engine.ports import Conflict, PermissionDenied, Transient
from flowrelease.genesys import GenesysServerError
from tests.contract.client.conftest import Harness


async def test_publish_returns_the_operation_and_the_flow_reports_it_complete(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=2)
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    operation = await client.publish_version(flow_id, "3.0")
    assert operation.action_name == "PUBLISH" and not operation.complete and operation.id

    first = await client.get_flow(flow_id)
    assert first.current_operation is not None and not first.current_operation.complete
    assert first.published_version == "2.0"
    second = await client.get_flow(flow_id)
    assert second.current_operation is not None and second.current_operation.id == operation.id
    assert (second.current_operation.complete, second.current_operation.action_status) == (True, "SUCCESS")
    assert second.published_version == "3.0"


async def test_a_failed_publish_is_observed_with_its_error_message(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.fail_operation(
        flow_id, version="3.0", error_message="Flow references a bad queue"
    )
    await client.publish_version(flow_id, "3.0")
    flow = await client.get_flow(flow_id)
    assert flow.current_operation is not None
    assert (flow.current_operation.complete, flow.current_operation.action_status) == (True, "FAILURE")
    assert "bad queue" in flow.current_operation.error_message
    assert flow.published_version == "2.0"


async def test_publishing_an_older_version_is_accepted(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    await client.publish_version(flow_id, "1.0")
    assert (await client.get_flow(flow_id)).published_version == "1.0"


async def test_403_on_publish_tells_which_permissions_to_add(harness: Harness) -> None:
    harness.emulator.control.add_fault(path="/api/v2/flows/actions/publish", status=403, count=1)
    with pytest.raises(PermissionDenied) as caught:
        await harness.client().publish_version(harness.emulator.flow_id("Support IVR"), "3.0")
    text = str(caught.value)
    assert "lacks permission architect:flow:publish (and architect:flow:unlock)" in text
    assert "add it to the client's role" in text and "missing.permissions" in text


async def test_publish_on_a_flow_locked_by_another_client_is_a_conflict(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.lock_flow(flow_id, client_id="someone-else")
    with pytest.raises(Conflict, match="locked"):
        await harness.client().publish_version(flow_id, "3.0")


async def test_publish_is_sent_once_when_genesys_answers_5xx(harness: Harness) -> None:
    harness.emulator.control.add_fault(path="/api/v2/flows/actions/publish", status=502, count=1)
    with pytest.raises(GenesysServerError) as caught:
        await harness.client().publish_version(harness.emulator.flow_id("Support IVR"), "3.0")
    assert isinstance(caught.value, Transient)
    assert harness.control_count(method="POST", path="/api/v2/flows/actions/publish") == 1, "never replayed"


async def test_publish_is_retried_after_a_429_and_lands_once(harness: Harness) -> None:
    harness.emulator.control.add_fault(
        path="/api/v2/flows/actions/publish", status=429, count=2, retry_after_seconds=3
    )
    flow_id = harness.emulator.flow_id("Support IVR")
    operation = await harness.client().publish_version(flow_id, "3.0")
    assert operation.action_name == "PUBLISH"
    assert harness.time.sleeps == [3.0, 3.0]
    assert harness.control_count(method="POST", path="/api/v2/flows/actions/publish", status=200) == 1


async def test_a_later_operation_replaces_the_publish_but_the_published_version_stays(
    harness: Harness,
) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    await client.publish_version(flow_id, "3.0")
    await client.get_flow(flow_id)
    await client.checkout(flow_id)
    flow = await client.get_flow(flow_id)
    assert flow.current_operation is not None and flow.current_operation.action_name == "CHECKOUT"
    assert flow.published_version == "3.0", "both signals are reported as Genesys gives them"
