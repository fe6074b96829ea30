"""The emulator's Notifications API over loopback HTTP and a real WebSocket: events, limits and knobs.

Most tests use the manual-clock server (`loopback`), whose clock moves only when a test moves it; the one
test of a publish finishing by itself runs on the wall-clock `emulator` server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from flowrelease.emulator.notifications import control_calls
from tests.support.emulator import EmulatorHandle
from tests.support.notification_socket import CHANNELS, NotificationSocket
from tests.unit.emulator.conftest import BILLING_IVR, SUPPORT_IVR, Loopback

TOPIC = f"v2.flows.{SUPPORT_IVR}"


@pytest.fixture
def socket(loopback: Loopback) -> Iterator[NotificationSocket]:
    with NotificationSocket.open(loopback.http, [TOPIC]) as opened:
        yield opened


def body(event: dict[str, Any]) -> dict[str, Any]:
    assert event["topicName"] == TOPIC, event
    return dict(event["eventBody"])


def operation(event: dict[str, Any]) -> tuple[Any, ...]:
    op = body(event)["currentOperation"]
    return op["actionName"], op["actionStatus"], op["complete"]


def hub(loopback: Loopback) -> dict[str, Any]:
    state: dict[str, Any] = loopback.control.call(control_calls.state())
    return state


def test_a_publish_sends_its_start_and_its_end_with_the_sdk_envelope(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    assert loopback.publish("3.0").status_code == 200
    started = socket.next_event()
    assert set(started) == {"topicName", "version", "eventBody", "metadata"}
    assert started["metadata"]["CorrelationId"]
    assert operation(started) == ("PUBLISH", "STARTED", False)
    assert body(started)["publishedVersion"] == {"id": "2.0"}
    loopback.flow_json()  # the poll that finishes it (transition mode: polls=1)
    finished = socket.next_event()
    assert operation(finished) == ("PUBLISH", "SUCCESS", True)
    assert body(finished)["publishedVersion"] == {"id": "3.0"}
    assert body(finished)["currentOperation"]["client"] == {
        "id": "flowrelease-demo",
        "name": loopback.flow_json()["currentOperation"]["client"]["name"],
    }
    assert socket.events_within(0.3) == [], "a read that changes nothing sends nothing"


def test_events_tell_the_truth_while_reads_still_lag_r1(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 2, "seconds": 0})
    loopback.control.set_transition_mode("immediate")
    loopback.publish("3.0")
    event = socket.next_event()
    assert operation(event) == ("PUBLISH", "SUCCESS", True) and body(event)["publishedVersion"]["id"] == "3.0"
    stale = [loopback.flow_json()["publishedVersion"]["id"] for _ in range(3)]
    assert stale == ["2.0", "2.0", "3.0"], "the event came before the reads caught up"


def test_a_new_subscription_gets_no_event_for_the_past_and_other_flows_send_nothing(
    loopback: Loopback,
) -> None:
    loopback.control.set_transition_mode("immediate")
    loopback.publish("3.0")
    with NotificationSocket.open(loopback.http, [TOPIC]) as socket:
        loopback.publish("1.0", flow_id=BILLING_IVR)
        assert socket.events_within(0.3) == []
        loopback.action("checkout")
        assert operation(socket.next_event()) == ("CHECKOUT", "LOCKED", True)


def test_an_architect_job_publishing_the_flow_sends_its_new_versions(loopback: Loopback) -> None:
    flow_id = loopback.control.flow_id("Support IVR")
    with NotificationSocket.open(loopback.http, [f"v2.flows.{flow_id}"]) as socket:
        job = loopback.http.post("/api/v2/flows/jobs").json()
        document = (
            "inboundCall:\n  name: Support IVR\n  startUpRef: /inboundCall/tasks/task[Main_1]\n"
            "  tasks:\n    - task:\n        name: Main\n        refId: Main_1\n        actions:\n"
            "          - disconnect:\n              name: Bye\n"
        )
        httpx.put(job["presignedUrl"], content=document, headers=job["headers"]).raise_for_status()
        assert loopback.http.get(f"/api/v2/flows/jobs/{job['id']}").json()["status"] == "Success"
        event = socket.next_event()
        assert event["eventBody"]["publishedVersion"] == {"id": "4.0"}
        assert event["eventBody"]["checkedInVersion"] == {"id": "4.0"}


def test_a_deleted_flow_sends_deleted_true(loopback: Loopback, socket: NotificationSocket) -> None:
    assert loopback.http.delete(f"/api/v2/flows/{SUPPORT_IVR}").status_code in (200, 204)
    assert body(socket.next_event())["deleted"] is True


def test_a_publish_finishing_by_the_clock_is_pushed_without_any_request(emulator: EmulatorHandle) -> None:
    emulator.control.set_transition_mode("seconds", seconds=0.6)
    with httpx.Client(base_url=emulator.base_url, timeout=10) as http:
        token = http.post(
            "/oauth/token",
            auth=(emulator.client_id, emulator.client_secret),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        flow_id = emulator.flow_id("Support IVR")
        with NotificationSocket.open(http, [f"v2.flows.{flow_id}"]) as socket:
            http.post("/api/v2/flows/actions/publish", params={"flow": flow_id, "version": "3.0"})
            posted = time.monotonic()
            assert socket.next_event()["eventBody"]["currentOperation"]["complete"] is False
            finished = socket.next_event(timeout=5)
            waited = time.monotonic() - posted
            assert finished["eventBody"]["publishedVersion"] == {"id": "3.0"}
            assert 0.5 <= waited < 4, f"pushed {waited:.2f} s after the POST for a 0.6 s publish"


def test_drop_duplicate_and_delay_knobs(loopback: Loopback, socket: NotificationSocket) -> None:
    loopback.control.call(control_calls.configure(drop_fraction=1.0))
    loopback.action("checkout")
    assert socket.events_within(0.3) == []
    loopback.control.call(control_calls.configure(drop_fraction=0, duplicate_fraction=1.0))
    loopback.action("unlock")
    twice = socket.events_within(0.3)
    assert len(twice) == 2 and twice[0]["eventBody"] == twice[1]["eventBody"]
    loopback.control.call(control_calls.configure(duplicate_fraction=0, delay_seconds=0.4))
    sent = time.monotonic()
    loopback.action("checkout")
    socket.next_event()
    assert time.monotonic() - sent >= 0.35
    counters = hub(loopback)["counters"]
    assert (counters["events_dropped"], counters["events_duplicated"]) == (1, 1)


def test_drops_are_seeded_the_same_after_a_reset(loopback: Loopback) -> None:
    def delivered() -> list[bool]:
        loopback.control.reset()
        token = loopback.login("flowrelease-demo", "flowrelease-demo-secret").json()["access_token"]
        loopback.http.headers["Authorization"] = f"Bearer {token}"
        loopback.control.call(control_calls.configure(drop_fraction=0.5))
        with NotificationSocket.open(loopback.http, [TOPIC]) as socket:
            seen = []
            for action in ("checkout", "unlock") * 4:
                loopback.action(action)
                seen.append(bool(socket.events_within(0.15)))
            return seen

    loopback.control.set_random_seed(11)
    first = delivered()
    assert first == delivered() and True in first and False in first


def test_a_second_socket_on_a_channel_closes_the_first(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    with connect(socket.channel["connectUri"], open_timeout=5) as second:
        assert socket.closed_code() == 1000
        loopback.action("checkout")
        assert '"CHECKOUT"' in str(second.recv(timeout=5))


def test_a_channel_expires_unless_resubscribed_and_its_socket_closes(loopback: Loopback) -> None:
    loopback.control.call(control_calls.configure(channel_ttl_seconds=100))  # 24 h: the table tests
    with NotificationSocket.open(loopback.http, [TOPIC]) as socket:
        subscriptions = f"{CHANNELS}/{socket.channel_id}/subscriptions"
        loopback.advance(80)
        assert loopback.http.post(subscriptions, json=[{"id": f"v2.flows.{BILLING_IVR}"}]).status_code == 200
        loopback.advance(80)
        assert loopback.http.head(f"{CHANNELS}/{socket.channel_id}").status_code == 200, "resubscribed"
        loopback.advance(21)
        assert socket.closed_code() == 1000
        gone = loopback.http.get(subscriptions)
        assert gone.status_code == 404 and gone.json()["code"] == "not.found"
        with pytest.raises(InvalidStatus) as refused, connect(socket.channel["connectUri"], open_timeout=5):
            pass
        assert refused.value.response.status_code == 403


def test_the_control_plane_closes_sockets_with_a_warning_and_expires_channels(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    assert loopback.control.call(control_calls.close_sockets(warn=True)) == {"closed": 1}
    assert socket.next_event()["topicName"] == "v2.system.socket_closing"
    assert socket.closed_code() == 1001
    with NotificationSocket.reconnect(socket.channel) as again:
        loopback.action("checkout")
        assert operation(again.next_event())[0] == "CHECKOUT", "the channel kept its topics"
        loopback.control.call(control_calls.expire_channels(socket.channel_id))
        assert again.closed_code() == 1000
    assert loopback.http.head(f"{CHANNELS}/{socket.channel_id}").status_code == 404


def test_heartbeats_arrive_and_a_ping_is_answered(loopback: Loopback, socket: NotificationSocket) -> None:
    socket.socket.send('{"message":"ping"}')
    assert socket.next_event()["eventBody"] == {"message": "pong"}
    loopback.control.call(control_calls.configure(heartbeat_seconds=0.2))
    socket.close()
    with NotificationSocket.reconnect(socket.channel) as again:
        assert again.receive(timeout=3) == {
            "topicName": "channel.metadata",
            "eventBody": {"message": "WebSocket Heartbeat"},
        }


@pytest.mark.parametrize("status", [403, 404])
def test_a_switched_off_service_answers_every_endpoint_and_refuses_sockets(
    loopback: Loopback, socket: NotificationSocket, status: int
) -> None:
    loopback.control.call(control_calls.configure(available=status))
    for method, path in (("POST", CHANNELS), ("GET", f"{CHANNELS}/{socket.channel_id}/subscriptions")):
        answer = loopback.http.request(method, path)
        assert answer.status_code == status and answer.json()["status"] == status
    socket.close()
    with pytest.raises(InvalidStatus), connect(socket.channel["connectUri"], open_timeout=5):
        pass


def test_a_channel_holds_1000_topics_and_a_1001st_is_a_400(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    subscriptions = f"{CHANNELS}/{socket.channel_id}/subscriptions"
    many = [{"id": f"v2.flows.flow-{index}"} for index in range(1000)]
    assert len(loopback.http.put(subscriptions, json=many).json()["entities"]) == 1000
    over = loopback.http.post(subscriptions, json=[{"id": "v2.flows.one-more"}])
    assert over.status_code == 400 and over.json()["code"] == "bad.request"
    assert len(loopback.http.get(subscriptions).json()["entities"]) == 1000


def test_a_refused_topic_fails_the_request_unless_errors_are_ignored(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    loopback.control.call(control_calls.configure(rejected_topics=[f"v2.flows.{BILLING_IVR}"]))
    subscriptions = f"{CHANNELS}/{socket.channel_id}/subscriptions"
    both = [{"id": f"v2.flows.{BILLING_IVR}"}, {"id": "v2.flows.other"}]
    refused = loopback.http.post(subscriptions, json=both)
    assert refused.status_code == 403 and refused.json()["code"] == "missing.permissions"
    assert [e["id"] for e in loopback.http.get(subscriptions).json()["entities"]] == [TOPIC]
    partial = loopback.http.post(subscriptions, json=both, params={"ignoreErrors": "true"}).json()["entities"]
    assert [(e["id"], e["state"]) for e in partial] == [
        (TOPIC, "Permitted"),
        ("v2.flows.other", "Permitted"),
        (f"v2.flows.{BILLING_IVR}", "Rejected"),
    ]
    assert partial[-1]["missingPermissions"] == ["architect:flow:view"]


def test_a_21st_channel_of_a_client_removes_the_least_recently_used_unconnected_one(
    loopback: Loopback, socket: NotificationSocket
) -> None:
    idle = [loopback.http.post(CHANNELS).json()["id"] for _ in range(19)]
    loopback.advance(1)
    newest = loopback.http.post(CHANNELS).json()["id"]
    ids = [c["id"] for c in hub(loopback)["channels"]]
    assert socket.channel_id in ids and idle[0] not in ids and newest in ids and len(ids) == 20
    assert loopback.http.head(f"{CHANNELS}/{idle[0]}").status_code == 404
    loopback.action("checkout")
    assert operation(socket.next_event())[0] == "CHECKOUT", "the connected channel was kept"


def test_a_reset_closes_every_socket(loopback: Loopback, socket: NotificationSocket) -> None:
    loopback.control.reset()
    assert socket.closed_code() == 1001
    assert hub(loopback)["channels"] == []
