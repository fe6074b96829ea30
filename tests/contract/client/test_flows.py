"""Reading flows and versions, and the flow actions (checkout, check-in, unlock), against the emulator."""

from __future__ import annotations

import pytest

from flowrelease.engine.ports import Conflict, LockHolder, NotFound
from flowrelease.genesys import GenesysConflict, GenesysNotFound
from tests.contract.client.conftest import Harness


async def test_find_flow_by_exact_name_and_type(harness: Harness) -> None:
    flow = await harness.client().find_flow(name="Support IVR", flow_type="inboundcall")
    assert flow is not None
    assert (flow.id, flow.name, flow.type) == (
        harness.emulator.flow_id("Support IVR"),
        "Support IVR",
        "INBOUNDCALL",
    )
    assert (flow.published_version, flow.checked_in_version) == ("2.0", "3.0")
    assert flow.lock is None


async def test_find_flow_does_not_take_a_partial_name_match(harness: Harness) -> None:
    client = harness.client()
    assert await client.find_flow(name="Support", flow_type="inboundcall") is None
    assert await client.find_flow(name="Support IVR", flow_type="inqueuecall") is None


async def test_find_flow_pages_through_many_similar_names(harness: Harness) -> None:
    harness.emulator.control.seed(
        {
            "flows": [
                {"name": f"Support IVR {n:03d}", "type": "INBOUNDCALL", "versions": [{}]} for n in range(230)
            ]
        }
    )
    flow = await harness.client().find_flow(name="Support IVR", flow_type="inboundcall")
    assert flow is not None and flow.id == harness.emulator.flow_id("Support IVR")
    assert harness.control_count(method="GET", path="/api/v2/flows") >= 3, "walked pages of 100"


async def test_find_flow_by_id_and_a_missing_id(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Billing IVR")
    found = await client.find_flow(flow_id=flow_id)
    assert found is not None and found.name == "Billing IVR"
    assert await client.find_flow(flow_id="00000000-0000-0000-0000-000000000000") is None


async def test_get_flow_of_a_missing_flow_is_not_found_with_a_hint(harness: Harness) -> None:
    with pytest.raises(GenesysNotFound) as caught:
        await harness.client().get_flow("no-such-flow")
    assert "check spec.flow.id" in str(caught.value)
    assert caught.value.correlation_id, "the emulator's ININ-Correlation-Id is carried"
    assert isinstance(caught.value, NotFound)


async def test_get_version_reads_type_and_returns_none_for_a_missing_version(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    version = await client.get_version(flow_id, "3.0")
    assert version is not None and version.id == "3.0" and version.type == "CHECKIN"
    assert isinstance(version.date_created_ms, int)
    assert await client.get_version(flow_id, "99.0") is None


async def test_checkout_save_a_version_and_check_in(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    locked = await client.checkout(flow_id)
    assert locked.lock == LockHolder(
        "client", harness.emulator.client_id, locked.lock.name if locked.lock else "", True
    )
    configuration = await client.version_configuration(flow_id, "1.0")
    assert configuration, "the configuration is a JSON object"
    saved = await client.create_version(flow_id, configuration)
    assert saved.type == "SAVE" and saved.id == "4.0"
    operation = await client.checkin(flow_id)
    assert operation.action_name == "CHECKIN" and operation.id
    flow = await client.get_flow(flow_id)
    assert flow.current_operation is not None and flow.current_operation.id == operation.id
    assert flow.current_operation.complete and flow.checked_in_version == "4.0"


async def test_a_flow_locked_by_someone_else_is_reported_and_checkout_conflicts(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.lock_flow(flow_id, client_id="architect-ui", client_name="Ada in Architect")
    flow = await client.get_flow(flow_id)
    assert flow.lock == LockHolder("client", "architect-ui", "Ada in Architect", is_self=False)
    with pytest.raises(GenesysConflict) as caught:
        await client.checkout(flow_id)
    assert isinstance(caught.value, Conflict)
    assert "spec.publish.lockPolicy" in str(caught.value) and "architect.flow.locked" in str(caught.value)
    await client.unlock(flow_id)
    assert (await client.get_flow(flow_id)).lock is None


async def test_version_configuration_of_a_missing_version_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound, match=r"has no version 42\.0"):
        await harness.client().version_configuration(harness.emulator.flow_id("Support IVR"), "42.0")
