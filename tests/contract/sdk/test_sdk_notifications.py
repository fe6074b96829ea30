"""The official SDK's NotificationsApi against the emulator, and every event body read with its models.

On both profiles (see conftest): channels and subscriptions through `NotificationsApi`, events from a real
WebSocket deserialized with `ApiClient.deserialize` into `ArchitectFlowNotificationFlowNotification` — no
field lost and no enum value the SDK does not know (`outdated_sdk_version`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import PureCloudPlatformClientV2 as sdk
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from flowrelease.emulator.notifications import control_calls
from tests.contract.sdk.conftest import SECONDS_BETWEEN_POLLS, assert_known_enums, polls_allowed
from tests.support.emulator import EmulatorHandle
from tests.support.notification_socket import NotificationSocket

FLOW_NOTIFICATION = "ArchitectFlowNotificationFlowNotification"


class EventText:
    """Enough of a RESTResponse for the SDK's public `ApiClient.deserialize`."""

    def __init__(self, data: str) -> None:
        self.data = data

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return "application/json" if name.lower() == "content-type" else default


def read_event(api_client: sdk.ApiClient, event: dict[str, Any]) -> Any:
    model = api_client.deserialize(EventText(json.dumps(event["eventBody"])), FLOW_NOTIFICATION)
    assert_known_enums(model)
    return model


@pytest.fixture
def notifications(api_client: sdk.ApiClient) -> sdk.NotificationsApi:
    return sdk.NotificationsApi(api_client)


def open_socket(channel: sdk.Channel) -> NotificationSocket:
    return NotificationSocket.reconnect({"id": channel.id, "connectUri": channel.connect_uri})


def topic(flow_id: str) -> sdk.ChannelTopic:
    entry = sdk.ChannelTopic()
    entry.id = f"v2.flows.{flow_id}"
    return entry


def test_channels_and_subscriptions_through_the_sdk(
    notifications: sdk.NotificationsApi, emulator: EmulatorHandle
) -> None:
    channel = notifications.post_notifications_channels()
    assert channel.id.startswith("streaming-0-") and channel.connect_uri.endswith(f"/channels/{channel.id}")
    assert isinstance(channel.expires, datetime)
    support, billing = emulator.flow_id("Support IVR"), emulator.flow_id("Billing IVR")
    added = notifications.post_notifications_channel_subscriptions(channel.id, [topic(support)])
    assert_known_enums(added)
    assert [(t.id, t.state) for t in added.entities] == [(f"v2.flows.{support}", "Permitted")]
    replaced = notifications.put_notifications_channel_subscriptions(channel.id, [topic(billing)])
    assert [t.id for t in replaced.entities] == [f"v2.flows.{billing}"]
    listed = notifications.get_notifications_channel_subscriptions(channel.id)
    assert [t.id for t in listed.entities] == [f"v2.flows.{billing}"]
    assert channel.id in [c.id for c in notifications.get_notifications_channels().entities]
    notifications.head_notifications_channel(channel.id)
    notifications.delete_notifications_channel_subscriptions(channel.id)
    assert notifications.get_notifications_channel_subscriptions(channel.id).entities == []
    emulator.control.call(control_calls.expire_channels(channel.id))
    with pytest.raises(ApiException) as gone:
        notifications.head_notifications_channel(channel.id)
    assert gone.value.status == 404


def test_a_refused_topic_reaches_the_sdk_as_403_or_as_rejected_with_ignore_errors(
    notifications: sdk.NotificationsApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.call(control_calls.configure(rejected_topics=[f"v2.flows.{flow_id}"]))
    channel = notifications.post_notifications_channels()
    with pytest.raises(ApiException) as refused:
        notifications.post_notifications_channel_subscriptions(channel.id, [topic(flow_id)])
    assert refused.value.status == 403 and json.loads(refused.value.body)["code"] == "missing.permissions"
    listing = notifications.post_notifications_channel_subscriptions(
        channel.id, [topic(flow_id)], ignore_errors=True
    )
    assert_known_enums(listing)
    (rejected,) = listing.entities
    assert (rejected.state, rejected.missing_permissions) == ("Rejected", ["architect:flow:view"])


def test_publish_events_deserialize_into_the_sdk_flow_notification(
    api_client: sdk.ApiClient,
    architect: sdk.ArchitectApi,
    notifications: sdk.NotificationsApi,
    emulator: EmulatorHandle,
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    channel = notifications.post_notifications_channels()
    notifications.put_notifications_channel_subscriptions(channel.id, [topic(flow_id)])
    with open_socket(channel) as socket:
        posted = architect.post_flows_actions_publish(flow_id, version="3.0")
        models = [read_event(api_client, socket.next_event())]
        for _ in range(polls_allowed(emulator)):
            if models[-1].current_operation.complete:
                break
            emulator.control.advance_clock(SECONDS_BETWEEN_POLLS)
            if emulator.profile == "ideal":
                architect.get_flow(flow_id)  # the ideal profile finishes on the first poll
            models.extend(read_event(api_client, e) for e in socket.events_within(0.5))
    started, finished = models[0], models[-1]
    assert (started.id, started.name, started.deleted) == (flow_id, "Support IVR", False)
    assert started.current_operation.action_name == "PUBLISH" and not started.current_operation.complete
    assert started.published_version.id == "2.0" and started.checked_in_version.id == "3.0"
    assert finished.current_operation.action_status == "SUCCESS" and finished.current_operation.complete
    assert finished.published_version.id == "3.0"
    assert finished.current_operation.client.id == emulator.client_id
    same_id = finished.current_operation.id == posted.id
    assert same_id == (emulator.profile == "ideal"), "R2: the realistic profile shows another id"


def test_a_failed_publish_event_carries_error_fields_the_sdk_reads(
    api_client: sdk.ApiClient,
    architect: sdk.ArchitectApi,
    notifications: sdk.NotificationsApi,
    emulator: EmulatorHandle,
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.fail_operation(flow_id, error_message="Publish failed: the flow has errors.")
    emulator.control.set_transition_mode("immediate")
    emulator.control.set_behaviour(timing=None)
    channel = notifications.post_notifications_channels()
    notifications.put_notifications_channel_subscriptions(channel.id, [topic(flow_id)])
    with open_socket(channel) as socket:
        architect.post_flows_actions_publish(flow_id, version="3.0")
        failed = read_event(api_client, socket.next_event())
    operation = failed.current_operation
    assert (operation.action_status, operation.complete) == ("FAILURE", True)
    assert operation.error_message == "Publish failed: the flow has errors." and operation.error_code
    (detail,) = operation.error_details
    assert detail.entity_id == flow_id and detail.error_code == operation.error_code
    assert failed.published_version.id == "2.0"


def test_heartbeats_and_closing_warnings_have_the_documented_shape(
    notifications: sdk.NotificationsApi, emulator: EmulatorHandle
) -> None:
    emulator.control.call(control_calls.configure(heartbeat_seconds=0.2))
    channel = notifications.post_notifications_channels()
    with open_socket(channel) as socket:
        assert socket.receive(timeout=3) == {
            "topicName": "channel.metadata",
            "eventBody": {"message": "WebSocket Heartbeat"},
        }
        emulator.control.call(control_calls.close_sockets(channel.id, warn=True))
        assert socket.next_event()["topicName"] == "v2.system.socket_closing"
        assert socket.closed_code() == 1001
