"""The official SDK walks flows, versions and actions against the emulator and understands every answer.

Each test runs on both profiles (see conftest); where the profiles differ by design (draft ids, the POST's
operation id, a deleted flow's status), the test states what each profile answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from tests.contract.sdk.conftest import (
    SECONDS_BETWEEN_POLLS,
    assert_known_enums,
    operation_done,
    wait_for_flow,
)
from tests.support.emulator import EmulatorHandle

DRAFT_ID = re.compile(r"^saved_version_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")

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


def checked_in(version: str) -> Callable[[sdk.Flow], bool]:
    def done(flow: sdk.Flow) -> bool:
        return operation_done("CHECKIN")(flow) and flow.checked_in_version.id == version

    return done


def published(version: str) -> Callable[[sdk.Flow], bool]:
    def done(flow: sdk.Flow) -> bool:
        return operation_done("PUBLISH")(flow) and flow.published_version.id == version

    return done


def assert_draft_id(emulator: EmulatorHandle, draft: sdk.FlowVersion, numbered: str) -> None:
    """A new draft is `numbered` on the ideal profile and `saved_version_<uuid>` on the realistic one."""
    assert draft.type == "SAVE"
    if emulator.profile == "ideal":
        assert draft.id == numbered
    else:
        assert DRAFT_ID.match(draft.id), draft.id


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


def test_create_version_checkin_and_publish_a_chosen_version(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    created = architect.post_flows(new_flow("Contract IVR", "INBOUNDCALL"))
    assert_known_enums(created)
    assert created.locked_client is not None
    draft = architect.post_flow_versions(created.id, IVR_CONFIGURATION)
    assert_known_enums(draft)
    assert_draft_id(emulator, draft, "1.0")
    assert architect.get_flow(created.id).saved_version.id == draft.id

    checkin = architect.post_flows_actions_checkin(created.id)
    assert_known_enums(checkin)
    assert (checkin.action_name, checkin.action_status, checkin.complete) == ("CHECKIN", "STARTED", False)
    flow = wait_for_flow(architect, emulator, created.id, checked_in("1.0"))
    assert flow.current_operation.action_status == "SUCCESS"
    assert flow.saved_version is None and flow.locked_client is None

    architect.post_flow_versions(created.id, IVR_CONFIGURATION)
    architect.post_flows_actions_checkin(created.id)
    wait_for_flow(architect, emulator, created.id, checked_in("2.0"))

    publish = architect.post_flows_actions_publish(created.id, version="1.0")
    assert_known_enums(publish)
    assert (publish.action_name, publish.complete) == ("PUBLISH", False)
    flow = wait_for_flow(architect, emulator, created.id, published("1.0"))
    same_id = flow.current_operation.id == publish.id
    assert same_id is (emulator.profile == "ideal"), "realistic: the flow shows another operation id (R2)"
    assert flow.current_operation.client.id == emulator.client_id, "ownership is checkable by client"
    assert flow.current_operation.action_status == "SUCCESS"
    assert flow.checked_in_version.id == "2.0"
    assert architect.get_flow_version(created.id, "1.0").type == "PUBLISH"
    assert architect.get_flow_version_configuration(created.id, "1.0") == IVR_CONFIGURATION
    assert architect.get_flow_latestconfiguration(created.id) == IVR_CONFIGURATION


def test_check_in_keeps_a_numbered_draft_id_and_renumbers_a_saved_version_one(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Billing IVR")
    draft = architect.post_flow_versions(flow_id, IVR_CONFIGURATION)
    architect.post_flows_actions_checkin(flow_id)
    flow = wait_for_flow(architect, emulator, flow_id, checked_in("3.0"))
    assert flow.saved_version is None
    if emulator.profile == "ideal":
        assert architect.get_flow_version(flow_id, draft.id).id == "3.0"
    else:
        with pytest.raises(ApiException) as gone:
            architect.get_flow_version(flow_id, draft.id)
        assert gone.value.status == 404
    assert [v.id for v in architect.get_flow_versions(flow_id).entities] == ["1.0", "2.0", "3.0"]


def test_publish_waits_the_configured_number_of_polls(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    """A publish rule of 3 polls wins over the realistic timing; there, the first two reads are stale."""
    emulator.control.set_transition_mode("polls", rules=[{"kind": "publish", "mode": "polls", "polls": 3}])
    flow_id = emulator.flow_id("Support IVR")
    architect.post_flows_actions_publish(flow_id, version="3.0")
    seen = []
    for _ in range(3):
        seen.append(architect.get_flow(flow_id))
        emulator.control.advance_clock(SECONDS_BETWEEN_POLLS)
    statuses = [f.current_operation.action_status if f.current_operation else None for f in seen]
    assert (
        statuses
        == {
            "ideal": ["PENDING_GENERATION", "PENDING_BACKEND_NOTIFICATION", "SUCCESS"],
            "realistic": [
                None,
                None,
                "SUCCESS",
            ],  # the seeded flow had no operation yet: a stale read shows none
        }[emulator.profile]
    )
    assert [f.published_version.id for f in seen] == ["2.0", "2.0", "3.0"]


def test_injected_publish_failure_shows_on_current_operation(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.fail_operation(flow_id, version="3.0", error_message="Queue Sales is not ready")
    architect.post_flows_actions_publish(flow_id, version="3.0")
    flow = wait_for_flow(architect, emulator, flow_id, operation_done("PUBLISH"))
    operation = flow.current_operation
    assert (operation.action_status, operation.error_message) == ("FAILURE", "Queue Sales is not ready")
    assert operation.error_code and operation.error_details
    assert flow.published_version.id == "2.0"


def test_someone_elses_failed_publish_shows_their_client(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.publish_as(flow_id, client_id="architect-ui", version="3.0", result="FAILURE")
    flow = wait_for_flow(architect, emulator, flow_id, operation_done("PUBLISH"))
    operation = flow.current_operation
    assert (operation.action_status, operation.client.id) == ("FAILURE", "architect-ui")
    assert operation.client.id != emulator.client_id and flow.published_version.id == "2.0"


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
    assert_draft_id(emulator, restored, "4.0")
    architect.post_flows_actions_checkin(flow_id)
    wait_for_flow(architect, emulator, flow_id, checked_in("4.0"))
    architect.post_flows_actions_publish(flow_id, version="4.0")
    assert wait_for_flow(architect, emulator, flow_id, published("4.0")).published_version.id == "4.0"


@pytest.mark.parametrize("older", ["accept", "ignore"])
def test_an_older_publish_the_org_accepts_or_ignores_answers_an_operation(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle, older: str
) -> None:
    emulator.control.set_behaviour(older_version_publish=older)
    flow_id = emulator.flow_id("Support IVR")
    operation = architect.post_flows_actions_publish(flow_id, version="1.0")
    assert_known_enums(operation)
    assert (operation.action_name, operation.action_status, operation.complete) == (
        "PUBLISH",
        "STARTED",
        False,
    )
    if older == "accept":
        assert wait_for_flow(architect, emulator, flow_id, published("1.0")).published_version.id == "1.0"
    else:
        for _ in range(10):
            emulator.control.advance_clock(SECONDS_BETWEEN_POLLS)
            flow = architect.get_flow(flow_id)
            assert (flow.current_operation, flow.published_version.id) == (None, "2.0")


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
    assert gone.value.status == {"ideal": 404, "realistic": 410}[emulator.profile]
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
