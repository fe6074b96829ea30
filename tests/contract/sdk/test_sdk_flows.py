"""The official SDK walks flows, versions and actions against the emulator and understands every answer."""

from __future__ import annotations

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from tests.contract.sdk.conftest import assert_known_enums
from tests.support.emulator import EmulatorHandle

IVR_CONFIGURATION = {
    "inboundCall": {
        "name": "Contract IVR",
        "startUpRef": "/inboundCall/tasks/task[Main_1]",
        "tasks": [
            {
                "task": {
                    "name": "Main",
                    "refId": "Main_1",
                    "actions": [
                        {"transferToAcd": {"name": "To Support", "targetQueue": {"lit": {"name": "Support"}}}}
                    ],
                }
            }
        ],
    }
}


def new_flow(name: str, flow_type: str) -> sdk.Flow:
    flow = sdk.Flow()
    flow.name, flow.type = name, flow_type
    return flow


def wait_for_operation(architect: sdk.ArchitectApi, flow_id: str, polls: int = 10) -> sdk.Flow:
    for _ in range(polls):
        flow = architect.get_flow(flow_id)
        assert_known_enums(flow)
        if flow.current_operation is not None and flow.current_operation.complete:
            return flow
    raise AssertionError(f"operation on {flow_id} did not complete in {polls} polls")


def test_lists_demo_flows_filtered_by_lower_case_type(architect: sdk.ArchitectApi) -> None:
    listing = architect.get_flows(type=["inboundcall"])
    assert_known_enums(listing)
    assert sorted(f.name for f in listing.entities) == ["Billing IVR", "Support IVR"]
    assert {f.type for f in listing.entities} == {"INBOUNDCALL"}
    both = architect.get_flows(type=["inboundcall", "inqueuecall"])
    assert both.total == 3


def test_accepts_repeated_type_keys_like_cx_as_code(http: httpx.Client) -> None:
    body = http.get("/api/v2/flows?type=inboundcall&type=inqueuecall").json()
    assert body["total"] == 3


def test_name_filter_is_a_search_not_an_exact_match(architect: sdk.ArchitectApi) -> None:
    listing = architect.get_flows(name="support")
    assert sorted(f.name for f in listing.entities) == ["Support IVR", "Support In-Queue"]


def test_paginates_with_every_listing_field(architect: sdk.ArchitectApi) -> None:
    first = architect.get_flows(page_size=2, page_number=1, sort_by="name")
    assert_known_enums(first)
    assert (first.total, first.page_count, first.page_size, first.page_number) == (3, 2, 2, 1)
    assert first.next_uri and first.first_uri and first.last_uri and first.self_uri
    assert first.previous_uri is None
    second = architect.get_flows(page_size=2, page_number=2, sort_by="name")
    assert [f.name for f in first.entities + second.entities] == [
        "Billing IVR",
        "Support In-Queue",
        "Support IVR",
    ]
    assert second.previous_uri and second.next_uri is None


def test_seeded_flow_reports_published_and_checked_in_versions(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow = architect.get_flow(emulator.flow_id("Support IVR"))
    assert_known_enums(flow)
    assert flow.published_version.id == "2.0"
    assert flow.published_version.type == "PUBLISH"
    assert flow.checked_in_version.id == "3.0"
    assert isinstance(flow.published_version.date_created, int)
    assert flow.published_version.date_published is not None
    versions = architect.get_flow_versions(flow.id)
    assert_known_enums(versions)
    assert [v.id for v in versions.entities] == ["1.0", "2.0", "3.0"]


def test_create_version_checkin_and_publish_a_chosen_version(architect: sdk.ArchitectApi) -> None:
    created = architect.post_flows(new_flow("Contract IVR", "INBOUNDCALL"))
    assert_known_enums(created)
    assert created.locked_client is not None
    draft = architect.post_flow_versions(created.id, IVR_CONFIGURATION)
    assert_known_enums(draft)
    assert (draft.id, draft.type) == ("1.0", "SAVE")
    assert architect.get_flow(created.id).saved_version.id == "1.0"

    checkin = architect.post_flows_actions_checkin(created.id)
    assert_known_enums(checkin)
    assert (checkin.action_name, checkin.action_status, checkin.complete) == ("CHECKIN", "STARTED", False)
    flow = wait_for_operation(architect, created.id)
    assert flow.current_operation.action_status == "SUCCESS"
    assert flow.checked_in_version.id == "1.0" and flow.saved_version is None and flow.locked_client is None

    architect.post_flow_versions(created.id, IVR_CONFIGURATION)
    architect.post_flows_actions_checkin(created.id)
    wait_for_operation(architect, created.id)

    publish = architect.post_flows_actions_publish(created.id, version="1.0")
    assert_known_enums(publish)
    assert (publish.action_name, publish.complete) == ("PUBLISH", False)
    flow = wait_for_operation(architect, created.id)
    assert flow.current_operation.id == publish.id
    assert flow.current_operation.action_status == "SUCCESS"
    assert flow.published_version.id == "1.0"
    assert flow.checked_in_version.id == "2.0"
    assert architect.get_flow_version(created.id, "1.0").type == "PUBLISH"
    assert architect.get_flow_version_configuration(created.id, "1.0") == IVR_CONFIGURATION
    assert architect.get_flow_latestconfiguration(created.id) == IVR_CONFIGURATION


def test_publish_waits_the_configured_number_of_polls(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    emulator.control.set_transition_mode("polls", polls=3)
    flow_id = emulator.flow_id("Support IVR")
    architect.post_flows_actions_publish(flow_id, version="3.0")
    seen = [architect.get_flow(flow_id) for _ in range(3)]
    assert [f.current_operation.complete for f in seen] == [False, False, True]
    statuses = [f.current_operation.action_status for f in seen]
    assert statuses == ["PENDING_GENERATION", "PENDING_BACKEND_NOTIFICATION", "SUCCESS"]
    assert [f.published_version.id for f in seen] == ["2.0", "2.0", "3.0"]


def test_injected_publish_failure_shows_on_current_operation(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.fail_operation(flow_id, version="3.0", error_message="Queue Sales is not ready")
    architect.post_flows_actions_publish(flow_id, version="3.0")
    flow = wait_for_operation(architect, flow_id)
    operation = flow.current_operation
    assert (operation.action_status, operation.error_message) == ("FAILURE", "Queue Sales is not ready")
    assert operation.error_code and operation.error_details
    assert flow.published_version.id == "2.0"


def test_refusing_older_publish_is_a_400_the_client_can_fall_back_from(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    emulator.control.refuse_older_publish()
    flow_id = emulator.flow_id("Support IVR")
    with pytest.raises(ApiException) as refused:
        architect.post_flows_actions_publish(flow_id, version="1.0")
    assert refused.value.status == 400
    configuration = architect.get_flow_version_configuration(flow_id, "1.0")
    restored = architect.post_flow_versions(flow_id, configuration)
    assert restored.id == "4.0"
    architect.post_flows_actions_checkin(flow_id)
    wait_for_operation(architect, flow_id)
    architect.post_flows_actions_publish(flow_id, version="4.0")
    assert wait_for_operation(architect, flow_id).published_version.id == "4.0"


def test_a_flow_locked_by_another_client_refuses_changes_with_409(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.lock_flow(flow_id, client_id="someone-else", client_name="Jane in Architect")
    flow = architect.get_flow(flow_id)
    assert flow.locked_client.id == "someone-else"
    for action in (
        lambda: architect.post_flows_actions_checkout(flow_id),
        lambda: architect.post_flows_actions_publish(flow_id, version="3.0"),
        lambda: architect.post_flow_versions(flow_id, {"inboundCall": {"name": "x"}}),
    ):
        with pytest.raises(ApiException) as locked:
            action()
        assert locked.value.status == 409
        assert "Jane in Architect" in locked.value.body
    unlocked = architect.post_flows_actions_unlock(flow_id)
    assert unlocked.locked_client is None


def test_checkout_revert_deactivate_update_and_delete(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Billing IVR")
    checked_out = architect.post_flows_actions_checkout(flow_id)
    assert_known_enums(checked_out)
    assert checked_out.locked_client.id == emulator.client_id
    assert checked_out.current_operation.action_name == "CHECKOUT"
    architect.post_flow_versions(flow_id, {"inboundCall": {"name": "Billing IVR"}})
    reverted = architect.post_flows_actions_revert(flow_id)
    assert reverted.saved_version is None and reverted.locked_client is None
    deactivated = architect.post_flows_actions_deactivate(flow_id)
    assert deactivated.active is False
    renamed = architect.put_flow(flow_id, new_flow("Billing IVR 2", "INBOUNDCALL"))
    assert renamed.name == "Billing IVR 2"
    architect.delete_flow(flow_id)
    with pytest.raises(ApiException) as gone:
        architect.get_flow(flow_id)
    assert gone.value.status == 404
    assert architect.get_flow(flow_id, deleted=True).deleted is True


def test_lookup_and_batch_delete(architect: sdk.ArchitectApi, emulator: EmulatorHandle) -> None:
    ids = [emulator.flow_id("Support IVR"), emulator.flow_id("Billing IVR")]
    found = architect.get_flows_lookup(ids)
    assert_known_enums(found)
    assert sorted(f.name for f in found.entities) == ["Billing IVR", "Support IVR"]
    operation = architect.delete_flows(ids)
    assert_known_enums(operation)
    assert (operation.action_name, operation.complete) == ("DELETE", True)
    assert architect.get_flows().total == 1
