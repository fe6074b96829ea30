"""`FlowNotifications` against the emulator over loopback HTTP and a real WebSocket.

Wall-clock emulator (publishes finish by time and are pushed when they do); every wait is bounded by an
asyncio timeout on an event the test waits for, never by a sleep that has to be long enough.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from flowrelease.emulator.control import AsyncEmulatorControl, ControlCall
from flowrelease.emulator.notifications import control_calls
from flowrelease.engine.poll_schedule import LATE_EVENT_SECONDS
from flowrelease.engine.ports import Pushed
from flowrelease.genesys import GenesysClient, routes
from flowrelease.genesys.flow_events import FlowNotice
from flowrelease.genesys.notifications import FlowNotifications, NotificationState, hurry_window
from flowrelease.genesys.transport import Call
from flowrelease.genesys.wakeups import ReleaseWakeups
from tests.support.emulator import EmulatorHandle

WAIT = 10.0


@dataclass
class Wakes:
    """What a release's listener saw, and a way to wait for the next one."""

    notices: list[FlowNotice] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, notice: FlowNotice) -> None:
        self.notices.append(notice)
        self.arrived.set()

    async def next(self, timeout: float = WAIT) -> FlowNotice:
        await asyncio.wait_for(self.arrived.wait(), timeout)
        self.arrived.clear()
        return self.notices[-1]


@dataclass
class Rig:
    emulator: EmulatorHandle
    http: httpx.AsyncClient
    control: AsyncEmulatorControl
    states: list[NotificationState] = field(default_factory=list)
    opened: list[FlowNotifications] = field(default_factory=list)

    def client(self) -> GenesysClient:
        return GenesysClient(
            self.http,
            base_url=self.emulator.base_url,
            client_id=self.emulator.client_id,
            client_secret=self.emulator.client_secret,
        )

    def notifications(self, client: GenesysClient | None = None, **options: Any) -> FlowNotifications:
        options.setdefault("reconnect_delay_seconds", 0.05)
        options.setdefault("subscribe_interval_seconds", 0.0)  # paced on purpose only where tested
        found = FlowNotifications((client or self.client()).transport, on_state=self.states.append, **options)
        self.opened.append(found)
        return found

    async def knobs(self, **knobs: Any) -> None:
        await self.control.call(control_calls.configure(**knobs))

    async def hub(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.control.call(control_calls.state())
        return state

    async def requests(self, path: str) -> int:
        return await self.control.request_count(path=path)


@pytest.fixture
async def rig(emulator: EmulatorHandle) -> AsyncIterator[Rig]:
    emulator.control.set_transition_mode("seconds", seconds=0.4)
    async with httpx.AsyncClient(timeout=10) as http, AsyncEmulatorControl(emulator.base_url) as control:
        found = Rig(emulator, http, control)
        yield found
        for notifications in found.opened:
            await notifications.aclose()


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
    assert condition(), what


async def test_a_watched_publish_wakes_its_listener_once_with_the_result(rig: Rig) -> None:
    client = rig.client()
    notifications = rig.notifications(client)
    flow_id = rig.emulator.flow_id("Support IVR")
    wakes = Wakes()
    notifications.listen(flow_id, wakes)
    assert await notifications.watch(flow_id) is True
    assert notifications.live(flow_id) and rig.states == [NotificationState(True)]
    await client.publish_version(flow_id, "3.0")
    notice = await wakes.next()
    assert (notice.published_version, notice.action_status, notice.complete) == ("3.0", "SUCCESS", True)
    await asyncio.sleep(0.3)
    assert len(wakes.notices) == 1, "the STARTED event is not worth a look: one wake, not two"
    assert notifications.noticed_at(flow_id) is not None


async def test_duplicated_events_wake_once_and_dropped_ones_not_at_all(rig: Rig) -> None:
    client = rig.client()
    notifications = rig.notifications(client)
    support, billing = rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")
    wakes, lost = Wakes(), Wakes()
    notifications.listen(support, wakes)
    notifications.listen(billing, lost)
    await rig.knobs(duplicate_fraction=1.0)
    assert await notifications.watch(support) and await notifications.watch(billing)
    await client.publish_version(support, "3.0")
    await wakes.next()
    await asyncio.sleep(0.3)
    assert len(wakes.notices) == 1, "the duplicate of the completion did not wake again"
    await rig.knobs(duplicate_fraction=0, drop_fraction=1.0)
    await client.publish_version(billing, "1.0")
    with pytest.raises(TimeoutError):
        await lost.next(timeout=1.0)
    assert notifications.live(billing), "a lost event is not a broken channel: the safety poll finds it"
    assert (await rig.hub())["counters"]["events_dropped"] >= 2


async def test_a_socket_closed_mid_publish_reconnects_resyncs_and_still_delivers(rig: Rig) -> None:
    rig.emulator.control.set_transition_mode("seconds", seconds=1.5)
    client = rig.client()
    notifications = rig.notifications(client)
    flow_id = rig.emulator.flow_id("Support IVR")
    wakes = Wakes()
    notifications.listen(flow_id, wakes)
    assert await notifications.watch(flow_id)
    channels = await rig.requests("/api/v2/notifications/channels")
    await client.publish_version(flow_id, "3.0")
    await rig.control.call(control_calls.close_sockets(warn=False))
    resync = await wakes.next()
    assert resync.resync, "events may have been missed while it was closed: look now"
    assert notifications.reconnects == 1 and notifications.live(flow_id)
    done = await wakes.next()
    assert done.published_version == "3.0" and done.complete
    assert await rig.requests("/api/v2/notifications/channels") == channels, "same channel, no new one"


async def test_a_channel_expiring_mid_publish_is_replaced_and_resubscribed(rig: Rig) -> None:
    rig.emulator.control.set_transition_mode("seconds", seconds=1.5)
    client = rig.client()
    notifications = rig.notifications(client)
    flow_id = rig.emulator.flow_id("Support IVR")
    wakes = Wakes()
    notifications.listen(flow_id, wakes)
    assert await notifications.watch(flow_id)
    first = (await rig.hub())["channels"][0]["id"]
    await client.publish_version(flow_id, "3.0")
    await rig.control.call(control_calls.expire_channels())
    assert (await wakes.next()).resync
    channels = (await rig.hub())["channels"]
    assert [c["id"] for c in channels] != [first] and channels[0]["topics"] == [f"v2.flows.{flow_id}"]
    assert channels[0]["connected"]
    done = await wakes.next()
    assert done.published_version == "3.0"


async def test_a_socket_closing_warning_or_silence_makes_it_reconnect(rig: Rig) -> None:
    notifications = rig.notifications(silence_seconds=0.6)
    flow_id = rig.emulator.flow_id("Support IVR")
    await rig.knobs(heartbeat_seconds=0.15)
    assert await notifications.watch(flow_id)
    await asyncio.sleep(1.0)
    assert notifications.reconnects == 0, "heartbeats every 0.15 s keep a 0.6 s watchdog quiet"
    await rig.control.call(control_calls.close_sockets(warn=True))
    await until(lambda: notifications.reconnects == 1, "reconnect after the warning")
    await rig.knobs(heartbeat_seconds=30)
    await until(lambda: notifications.reconnects >= 2, "reconnect after 0.6 s of silence")
    assert notifications.live(flow_id)


@pytest.mark.parametrize("status", [403, 404])
async def test_an_unavailable_service_falls_back_to_polling_said_once(
    rig: Rig, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    await rig.knobs(available=status)
    notifications = rig.notifications()
    flows = [rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")]
    with caplog.at_level(logging.INFO, logger="flowrelease.genesys.notifications"):
        assert [await notifications.watch(flow_id) for flow_id in flows * 2] == [False] * 4
    assert await rig.requests("/api/v2/notifications/channels") == 1, "no new attempt before the retry time"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "releases poll instead" in warnings[0].getMessage()
    assert str(status) in rig.states[-1].reason or "notification service" in rig.states[-1].reason
    assert [s.live for s in rig.states] == [False]


async def test_a_flow_whose_topic_is_refused_is_polled_and_others_still_watched(rig: Rig) -> None:
    support, billing = rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")
    await rig.knobs(rejected_topics=[f"v2.flows.{support}"])
    notifications = rig.notifications()
    assert await notifications.watch(support) is False
    assert await notifications.watch(billing) is True
    assert await notifications.watch(support) is False
    assert notifications.state.live and not notifications.live(support)


async def test_many_releases_share_one_channel_with_coalesced_subscriptions(rig: Rig) -> None:
    notifications = rig.notifications()
    flow_ids = [f"flow-{index:03d}" for index in range(60)]
    results = await asyncio.gather(*(notifications.watch(flow_id) for flow_id in flow_ids))
    assert all(results)
    hub = await rig.hub()
    assert len(hub["channels"]) == 1 and len(hub["channels"][0]["topics"]) == 60
    assert await rig.requests("/api/v2/notifications/channels") == 1
    assert await rig.requests("/api/v2/notifications/channels/*/subscriptions") <= 3, "coalesced"


async def test_new_topics_watched_ahead_are_added_at_most_once_per_interval_so_a_fleet_shares_requests(
    rig: Rig,
) -> None:
    """The first watch subscribes at once; watches ahead of need (releases that only validate) arriving
    within the interval wait and share the next request."""
    notifications = rig.notifications(subscribe_interval_seconds=0.5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await notifications.watch("flow-first", ahead=True)
    assert loop.time() - began < 0.4, "the first subscription is not held back"
    paths = "/api/v2/notifications/channels/*/subscriptions"
    assert await rig.requests(paths) == 1
    ahead = (notifications.watch(f"flow-{index:02d}", ahead=True) for index in range(20))
    results = await asyncio.gather(*ahead)
    assert all(results) and loop.time() - began >= 0.5, "the next addition waited out the interval"
    assert await rig.requests(paths) == 2, "twenty watches within the interval: one request"
    assert await notifications.watch("flow-07"), "already subscribed: no wait, no request"
    assert await rig.requests(paths) == 2


async def test_a_watch_a_post_waits_for_is_not_paced_and_takes_the_waiting_topics_along(rig: Rig) -> None:
    """A release about to POST holds a reconcile slot while it watches: it never waits out the interval
    (a fleet of 1,000 whose publishes did ran at 62 % of the rate bound). The topics watched ahead and
    waiting for the pace ride in its request."""
    notifications = rig.notifications(subscribe_interval_seconds=60.0)
    paths = "/api/v2/notifications/channels/*/subscriptions"
    assert await notifications.watch("flow-first", ahead=True)
    waiting = [
        asyncio.create_task(notifications.watch(f"flow-{index:02d}", ahead=True)) for index in range(5)
    ]
    await asyncio.sleep(0)  # each watch names its flow before its first await; now they wait for the pace
    assert await rig.requests(paths) == 1 and not any(task.done() for task in waiting)
    async with asyncio.timeout(WAIT):  # far below the 60 s interval: the POST's watch is not paced
        assert await notifications.watch("flow-publishing")
        assert all(await asyncio.gather(*waiting)), "the paced watches were sent with it"
    assert await rig.requests(paths) == 2, "one request for the POST's topic and the five waiting"
    assert all(notifications.live(f"flow-{index:02d}") for index in range(5))


async def test_watches_posts_wait_for_share_one_request_while_a_fleet_adds_topics(rig: Rig) -> None:
    """While topics are being added (a fleet), a POST's watch holds its request open for about one
    subscription round trip, so the other POSTs' watches arriving meanwhile ride in it; a lone release's
    watch is sent at once."""
    notifications = rig.notifications(subscribe_interval_seconds=2.0, hurry_window_seconds=0.3)
    paths = "/api/v2/notifications/channels/*/subscriptions"
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await notifications.watch("flow-lone")
    assert loop.time() - began < 0.25, "nothing added lately: no window"
    assert await rig.requests(paths) == 1
    first = asyncio.create_task(notifications.watch("flow-post-0"))
    await asyncio.sleep(0.1)
    others = [asyncio.create_task(notifications.watch(f"flow-post-{index}")) for index in range(1, 6)]
    async with asyncio.timeout(WAIT):
        assert await first and all(await asyncio.gather(*others))
    assert await rig.requests(paths) == 2, "six POSTs' watches within the window: one request"


@pytest.mark.parametrize(
    ("case_id", "added_ago", "want", "reason"),
    [
        ("never", None, 0.0, "nothing added yet on this channel: a lone release sends at once"),
        ("busy", 0.5, 0.2, "an addition 0.5 s ago: other releases are subscribing, wait for them"),
        ("edge", 2.0, 0.0, "the last addition one interval ago: not busy"),
        ("quiet", 30.0, 0.0, "nothing added for 30 s: send at once"),
        ("clock-skew", -1.0, 0.0, "an addition in the future (a clock oddity): send at once"),
    ],
)
def test_hurry_window(case_id: str, added_ago: float | None, want: float, reason: str) -> None:
    assert hurry_window(added_ago, 2.0, 0.2) == want, (case_id, reason)


async def test_the_topic_limit_leaves_the_rest_of_a_fleet_polling(rig: Rig) -> None:
    await rig.knobs(topic_limit=3)
    notifications = rig.notifications(topic_limit=3, flush_after_seconds=0.1)
    results = [await notifications.watch(f"flow-{index}") for index in range(5)]
    assert results == [True, True, True, False, False]
    notifications.unwatch("flow-0")
    await until(lambda: notifications.live("flow-3"), "the idle flush gave flow-0's place to flow-3")
    assert not notifications.live("flow-0") and not notifications.live("flow-4")
    assert await notifications.watch("flow-3") is True


async def test_the_channel_limit_pushing_ours_out_is_survived_on_a_new_channel(rig: Rig) -> None:
    await rig.knobs(channel_limit=2)
    client = rig.client()
    notifications = rig.notifications(client)
    flow_id = rig.emulator.flow_id("Support IVR")
    wakes = Wakes()
    notifications.listen(flow_id, wakes)
    assert await notifications.watch(flow_id)
    ours = (await rig.hub())["channels"][0]["id"]
    other = rig.notifications(client)  # e.g. another replica with the same OAuth client, used since
    assert await other.watch(rig.emulator.flow_id("Billing IVR"))
    assert len((await rig.hub())["channels"]) == 2, "two fit"
    third = await client.transport.send_json(
        Call(routes.CREATE_CHANNEL, purpose="a third channel of the same client")
    )
    assert isinstance(third, dict)
    assert (await wakes.next()).resync, "ours was the least recently used: it came back on a new channel"
    await until(lambda: notifications.live(flow_id), "ours live again")
    assert ours not in [c["id"] for c in (await rig.hub())["channels"]]


async def test_unwatched_topics_leave_the_channel_on_an_idle_flush(rig: Rig) -> None:
    notifications = rig.notifications(flush_after_seconds=0.2)
    flows = [rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")]
    for flow_id in flows:
        assert await notifications.watch(flow_id)
    notifications.unwatch(flows[0])

    async def topics() -> list[str]:
        return list((await rig.hub())["channels"][0]["topics"])

    assert await topics() == [f"v2.flows.{f}" for f in flows], "removal waits"
    await asyncio.sleep(0.6)
    assert await topics() == [f"v2.flows.{flows[1]}"]


async def test_a_channel_is_resubscribed_before_it_expires(rig: Rig) -> None:
    """Renewal is due 1.5 s after creation and the channel would expire at 6 s: 4.5 s of slack for a busy
    machine; by 7 s an unrenewed channel would be gone."""
    await rig.knobs(channel_ttl_seconds=6.0, heartbeat_seconds=0.2)
    # Earlier tests may have moved the session emulator's clock; the client's wall clock agrees with the
    # org's, as NTP makes it agree with Genesys's.
    emulator_now = (await rig.control.call(ControlCall("GET", "/_emulator/clock")))["now"]
    offset = float(emulator_now) - time.time()
    notifications = rig.notifications(renew_before_seconds=4.5, wall_clock=lambda: time.time() + offset)
    flow_id = rig.emulator.flow_id("Support IVR")
    assert await notifications.watch(flow_id)
    channel = (await rig.hub())["channels"][0]["id"]
    await asyncio.sleep(7.0)
    hub = await rig.hub()
    assert [c["id"] for c in hub["channels"]] == [channel] and notifications.reconnects == 0
    assert "channels_expired" not in hub["counters"]


async def test_a_release_wakeup_returns_early_on_its_event_and_is_kept_when_no_one_waits(rig: Rig) -> None:
    client = rig.client()
    wakeups = ReleaseWakeups()
    hints = wakeups.hints_for(rig.notifications(client))
    flow_id = rig.emulator.flow_id("Support IVR")
    assert await hints.watch("cc/support", flow_id)
    assert hints.pushed(flow_id) == Pushed(live=True)
    await client.publish_version(flow_id, "3.0")
    started = asyncio.get_running_loop().time()
    assert await wakeups.wait("cc/support", 30.0) is True
    assert asyncio.get_running_loop().time() - started < 5, "woken by the event, not the 30 s timeout"
    pushed = hints.pushed(flow_id)
    assert pushed.live and pushed.noticed_seconds_ago is not None and pushed.noticed_seconds_ago < 5
    assert await wakeups.wait("cc/support", 0.2) is False, "the wake-up was consumed"

    billing = rig.emulator.flow_id("Billing IVR")
    assert await hints.watch("cc/billing", billing)
    await client.publish_version(billing, "1.0")
    await until(lambda: hints.pushed(billing).noticed_seconds_ago is not None, "billing's event")
    assert await wakeups.wait("cc/billing", 0.0) is True, "a wake-up no one waited for is kept"

    hints.unwatch("cc/billing", billing)
    await client.publish_version(billing, "2.0")
    assert await wakeups.wait("cc/billing", 1.0) is False, "unwatched: its events wake it no more"


async def test_a_post_whose_start_is_never_heard_wakes_its_release_to_poll(rig: Rig) -> None:
    """`expect`: every event lost (dropFraction 1) — after the POST nothing at all is heard about the flow,
    so the release is woken (it then polls on the regular schedule); one whose start is heard is not."""
    client = rig.client()
    wakeups = ReleaseWakeups()
    hints = wakeups.hints_for(rig.notifications(client))
    support, billing = rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")
    rig.emulator.control.set_transition_mode("seconds", seconds=30.0)
    assert await hints.watch("cc/heard", billing)
    await client.publish_version(billing, "1.0")
    await until(lambda: hints.pushed(billing).heard_seconds_ago is not None, "billing's started event")
    started = hints.pushed(billing)
    assert started.noticed_seconds_ago is None, f"a start is heard, but is not worth a look: {started}"
    assert await wakeups.wait("cc/heard", 0.0) is False, "nor did it wake the release"
    hints.expect("cc/heard", billing, 0.3)

    await rig.knobs(drop_fraction=1.0)
    assert await hints.watch("cc/unheard", support)
    await client.publish_version(support, "3.0")
    hints.expect("cc/unheard", support, 0.3)
    assert await wakeups.wait("cc/unheard", WAIT) is True, "silence after the POST woke it"
    assert hints.pushed(support).heard_seconds_ago is None
    assert await wakeups.wait("cc/heard", 0.5) is False, "its start was heard: no wake-up"


async def published(client: GenesysClient, flow_id: str, version: str) -> None:
    """Read the flow until a read shows `version` published (what the engine's read does)."""
    async with asyncio.timeout(WAIT):
        while (await client.get_flow(flow_id)).published_version != version:
            await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("delay", "lost"),
    [
        (2.0, False),
        (LATE_EVENT_SECONDS + 3.0, True),
    ],
    ids=["event-2s-behind-the-read", "event-later-than-the-grace"],
)
async def test_a_finish_read_ahead_of_its_event_is_a_loss_only_when_the_event_stays_away(
    rig: Rig, delay: float, lost: bool
) -> None:
    """Delivery runs behind reads: the read that finds the publish finished may beat its event. The loss is
    judged `LATE_EVENT_SECONDS` after that read, and the topic stays on the channel meanwhile, even when the
    release has settled and another release's watch changes the subscriptions."""
    client = rig.client()
    notifications = rig.notifications(client)
    hints = ReleaseWakeups().hints_for(notifications)
    support, billing = rig.emulator.flow_id("Support IVR"), rig.emulator.flow_id("Billing IVR")
    await rig.knobs(delay_seconds=delay)
    assert await hints.watch("cc/support", support)
    await client.publish_version(support, "3.0")
    await published(client, support, "3.0")
    assert hints.pushed(support).noticed_seconds_ago is None, "the read ran ahead of the completion event"
    hints.finished("cc/support", support)
    hints.unwatch("cc/support", support)
    assert await hints.watch("cc/billing", billing), "a subscription change while the finish is judged"
    await asyncio.sleep(LATE_EVENT_SECONDS + 0.5)
    assert notifications.losses == (1 if lost else 0)
    if not lost:
        assert notifications.events_received >= 2, "start and completion came late: the topic had stayed"


async def test_a_topic_watched_after_its_post_proves_no_loss(rig: Rig) -> None:
    """A restarted engine, or the flow an import created, watches only after the work was posted: its events
    may have gone out before, so a finish read with none heard is no loss — even with every event dropped."""
    client = rig.client()
    notifications = rig.notifications(client)
    hints = ReleaseWakeups().hints_for(notifications)
    support = rig.emulator.flow_id("Support IVR")
    await rig.knobs(drop_fraction=1.0)
    await client.publish_version(support, "3.0")
    assert await hints.watch("cc/support", support, late=True)
    await published(client, support, "3.0")
    hints.finished("cc/support", support)
    await asyncio.sleep(LATE_EVENT_SECONDS + 0.5)
    assert notifications.losses == 0
    assert await hints.watch("cc/support", support), "the next POST's watch counts again"
    await client.publish_version(support, "2.0")
    await published(client, support, "2.0")
    hints.finished("cc/support", support)
    await asyncio.sleep(LATE_EVENT_SECONDS + 0.5)
    assert notifications.losses == 1, "watched before this POST, finished, and nothing ever came: lost"


async def test_with_a_forward_a_flow_event_goes_to_the_shell_and_nothing_is_kept_to_wait_on(rig: Rig) -> None:
    # The operator's scheduler schedules its own passes: its `wake(key)` is the forward.
    client = rig.client()
    forwarded: list[str] = []
    arrived = asyncio.Event()

    def wake(release: str) -> bool:
        forwarded.append(release)
        arrived.set()
        return True

    wakeups = ReleaseWakeups(forward=wake)
    hints = wakeups.hints_for(rig.notifications(client))
    flow_id = rig.emulator.flow_id("Support IVR")
    assert await hints.watch("cc/support", flow_id)
    await client.publish_version(flow_id, "3.0")
    await asyncio.wait_for(arrived.wait(), WAIT)
    assert set(forwarded) == {"cc/support"}
    assert await wakeups.wait("cc/support", 0.0) is False, "forwarded wake-ups are not also kept"


async def test_a_channel_holding_fewer_topics_than_documented_is_learned_from_its_400(rig: Rig) -> None:
    await rig.knobs(topic_limit=3)
    notifications = rig.notifications()  # believes the documented 1,000
    batch = await asyncio.gather(*(notifications.watch(f"flow-{index}") for index in range(5)))
    assert batch == [True, True, True, False, False], "the first three watched get the three places"
    assert notifications.state.live and notifications.topic_limit == 3
    assert await notifications.watch("flow-9") is False, "no new attempt past the learned limit"
    assert len((await rig.hub())["channels"][0]["topics"]) == 3
