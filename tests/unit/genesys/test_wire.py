from __future__ import annotations

from flowrelease.engine.ports import Dependency, JobMessage, LockHolder, OperationState
from flowrelease.genesys import wire
from flowrelease.genesys.jobs import archy_throttled

FLOW = {
    "id": "f-1",
    "name": "Support IVR",
    "type": "INBOUNDCALL",
    "division": {"id": "d", "name": "Home"},
    "publishedVersion": {"id": "2.0", "name": "2.0", "somethingNew": True},
    "checkedInVersion": {"id": "3.0"},
    "savedVersion": {"id": "3.0"},
    "lockedClient": {"id": "my-client", "name": "flowrelease"},
    "currentOperation": {
        "id": "op-1",
        "actionName": "PUBLISH",
        "actionStatus": "SUCCESS",
        "complete": True,
        "client": {"id": "my-client"},
    },
    "fieldFromTheFuture": {"nested": [1, 2]},
}


def test_flow_state_reads_versions_lock_and_operation_and_ignores_unknown_fields() -> None:
    flow = wire.flow_state(FLOW, own_client_id="my-client")
    assert flow.id == "f-1" and flow.name == "Support IVR" and flow.type == "INBOUNDCALL"
    assert (flow.published_version, flow.checked_in_version, flow.saved_version) == ("2.0", "3.0", "3.0")
    assert flow.lock == LockHolder("client", "my-client", "flowrelease", is_self=True)
    assert flow.current_operation == OperationState(
        "op-1", "PUBLISH", "SUCCESS", True, client_id="my-client", is_self=True
    )
    assert flow.deleted is False


def test_a_user_lock_and_another_clients_lock_are_not_ours() -> None:
    user = wire.flow_state({"id": "f", "lockedUser": {"id": "u-7", "name": "Ada"}}, own_client_id="mine")
    other = wire.flow_state({"id": "f", "lockedClient": {"id": "theirs"}}, own_client_id="mine")
    assert user.lock == LockHolder("user", "u-7", "Ada", is_self=False)
    assert other.lock == LockHolder("client", "theirs", "", is_self=False)


def test_an_operation_of_another_client_is_not_ours() -> None:
    """Operation.client decides ownership (genesys-realism.md §1); an operation without it is nobody's."""
    other = wire.operation_state({"id": "o", "actionName": "PUBLISH", "client": {"id": "ui"}}, "mine")
    anonymous = wire.operation_state({"id": "o", "actionName": "PUBLISH"}, "mine")
    assert other is not None and (other.client_id, other.is_self) == ("ui", False)
    assert anonymous is not None and (anonymous.client_id, anonymous.is_self) == ("", False)


def test_a_bare_flow_has_no_versions_lock_or_operation() -> None:
    flow = wire.flow_state({"id": "f", "name": "n", "type": "inqueuecall"}, own_client_id="c")
    assert flow.published_version is None and flow.lock is None and flow.current_operation is None
    assert flow.type == "INQUEUECALL"


def test_unknown_enum_values_are_kept_as_sent() -> None:
    operation = wire.operation_state({"id": "o", "actionName": "TELEPORT", "actionStatus": "DREAMING"})
    assert operation == OperationState("o", "TELEPORT", "DREAMING", False)
    assert wire.dependency({"type": "HOLOGRAM", "id": "h"}).type == "HOLOGRAM"


def test_job_status_is_case_tolerant_and_unknown_means_still_running() -> None:
    assert wire.job_status("Success") == "Success"
    assert wire.job_status("FAILURE") == "Failure"
    assert wire.job_status("Queued") == "Started"
    assert wire.job_status(None) == "Started"


def test_job_state_reads_messages_and_the_created_flow() -> None:
    job = wire.job_state(
        {
            "id": "j",
            "status": "Failure",
            "flow": {"id": "f-9"},
            "messages": [{"type": "Error", "text": "bad", "dateTime": "x"}, {"text": "typeless"}, "junk"],
        }
    )
    assert job.flow_id == "f-9"
    assert job.messages == (
        JobMessage("Error", "bad"),
        JobMessage("Unknown", "typeless"),
        JobMessage("Unknown", ""),
    )


def test_version_info_keeps_integer_dates_only() -> None:
    assert wire.version_info(
        {"id": "3.0", "type": "CHECKIN", "dateCreated": 1700000000000}
    ).date_created_ms == (1700000000000)
    assert wire.version_info({"id": "3.0", "type": "save", "dateCreated": "2024"}).date_created_ms is None
    assert wire.version_info({"id": "3.0", "type": "save"}).type == "SAVE"


def test_dependency_reads_health_flags() -> None:
    assert wire.dependency(
        {
            "id": "q",
            "name": "Support",
            "type": "QUEUE",
            "deleted": True,
            "stateUnknown": True,
            "updated": False,
        }
    ) == Dependency("QUEUE", "q", "Support", "", deleted=True, updated=False, state_unknown=True)


def test_every_flow_type_maps_to_a_dependency_object_type() -> None:
    assert wire.DEPENDENCY_OBJECT_TYPES["INBOUNDCALL"] == "INBOUNDCALLFLOW"
    assert wire.DEPENDENCY_OBJECT_TYPES["WORKFLOW"] == "WORKFLOW"
    assert wire.DEPENDENCY_OBJECT_TYPES["INQUEUECALL"] == "INQUEUECALLFLOW"


def test_archy_internal_429_signature() -> None:
    assert archy_throttled(["Exception info: could not find the flow with id 'abc'", "Archy exit code: 107"])
    assert archy_throttled(["could not find the flow with id 'x'", "setting the Archy exit code to 107"])
    assert archy_throttled(["Could Not Find The Flow With Id 'x'. Archy failed"])
    assert not archy_throttled(["could not find the flow with id 'x'"])
    assert not archy_throttled(["exit code: 107"])
    assert not archy_throttled(["could not find the flow with id 'x'", "exit code: 1070"])
