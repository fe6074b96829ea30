"""Reading notification messages and deciding which ones wake a release (pure tables)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace

import pytest

from flowrelease.genesys.flow_events import FlowNotice, Message, read_message, worth_waking

FLOW = "2e04429a-96cc-506c-8bc9-8dc8093a2d8f"


def event(**body: object) -> str:
    return json.dumps({"topicName": f"v2.flows.{FLOW}", "version": "2", "eventBody": {"id": FLOW, **body}})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}',
            Message("heartbeat"),
        ),
        ('{"topicName":"channel.metadata","eventBody":{"message":"pong"}}', Message("heartbeat")),
        ('{"topicName":"v2.system.socket_closing","eventBody":{}}', Message("closing")),
        ('{"topicName":"v2.users.me.presence","eventBody":{}}', Message("other")),
        ("not json", Message("other")),
        ("[1, 2]", Message("other")),
        (
            event(
                publishedVersion={"id": "3.0"},
                checkedInVersion={"id": "3.0"},
                deleted=False,
                currentOperation={
                    "id": "op-1",
                    "complete": True,
                    "actionName": "publish",
                    "actionStatus": "success",
                    "client": {"id": "ci", "name": "CI"},
                },
            ),
            Message("flow", FlowNotice(FLOW, "3.0", "3.0", "op-1", "PUBLISH", "SUCCESS", True, "ci")),
        ),
        (event(deleted=True), Message("flow", FlowNotice(FLOW, deleted=True))),
        (event(currentOperation="garbage", publishedVersion=7), Message("flow", FlowNotice(FLOW))),
    ],
    ids=[
        "heartbeat",
        "pong",
        "closing",
        "other-topic",
        "not-json",
        "not-object",
        "publish",
        "deleted",
        "odd",
    ],
)
def test_read_message(raw: str, expected: Message) -> None:
    assert read_message(raw) == expected


STARTED = FlowNotice(FLOW, "2.0", "3.0", "op-1", "PUBLISH", "STARTED", False, "ci")
PENDING = replace(STARTED, action_status="PENDING_GENERATION")
DONE = replace(STARTED, published_version="3.0", action_status="SUCCESS", complete=True)
FAILED = replace(STARTED, action_status="FAILURE", complete=True)


@dataclass(frozen=True)
class WakeCase:
    id: str
    previous: FlowNotice | None
    notice: FlowNotice
    wakes: bool
    reason: str


WAKE_CASES = [
    WakeCase("started", None, STARTED, False, "an operation starting tells a waiting release nothing new"),
    WakeCase("progress", STARTED, PENDING, False, "an in-progress status change is not worth a GET"),
    WakeCase("done", PENDING, DONE, True, "the operation finished: look now"),
    WakeCase("done-first-seen", None, DONE, True, "a finished operation wakes even if its start was lost"),
    WakeCase("failed", STARTED, FAILED, True, "a failure finishes the operation too"),
    WakeCase("duplicate", DONE, DONE, False, "the same finished operation again (a duplicate) wakes nobody"),
    WakeCase(
        "next-operation",
        DONE,
        replace(DONE, operation_id="op-2", action_name="CHECKOUT", action_status="LOCKED"),
        True,
        "another operation finished (someone checked the flow out)",
    ),
    WakeCase(
        "version-moved",
        STARTED,
        replace(STARTED, published_version="4.0"),
        True,
        "the published version changed even without a finished operation on the event",
    ),
    WakeCase("deleted", STARTED, FlowNotice(FLOW, deleted=True), True, "a deleted flow ends every wait"),
    WakeCase("resync", DONE, FlowNotice(FLOW, resync=True), True, "events may have been lost: look"),
]


@pytest.mark.parametrize("case", WAKE_CASES, ids=lambda case: case.id)
def test_worth_waking(case: WakeCase) -> None:
    assert worth_waking(case.previous, case.notice) is case.wakes, case.reason


def test_the_websocket_library_is_not_imported_until_a_socket_opens() -> None:
    probe = (
        "import sys, flowrelease.cli, flowrelease.genesys.notifications, flowrelease.local.commands;"
        "print('websockets' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
