"""The channel book's limits as tables (no server): channel LRU, topic cap, expiry, refused topics, knobs."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from flowrelease.emulator.notifications.channels import ChannelBook, parse_topics
from flowrelease.emulator.notifications.knobs import NotificationKnobs, knobs_json, updated_knobs
from flowrelease.emulator.wire import ApiError

T0 = 1_000.0


def topics(*flow_ids: str) -> list[str]:
    return [f"v2.flows.{flow_id}" for flow_id in flow_ids]


def book_with(count: int, client: str = "ci", *, knobs: NotificationKnobs | None = None) -> ChannelBook:
    book = ChannelBook(random.Random(0))
    for index in range(count):
        book.create(client, T0 + index, knobs or NotificationKnobs())
    return book


def test_channel_ids_look_like_genesys_streaming_ids_and_repeat_with_the_seed() -> None:
    first = book_with(2)
    again = book_with(2)
    ids = list(first.channels)
    assert ids == list(again.channels)
    assert all(i.startswith("streaming-0-") and len(i) == len("streaming-0-") + 26 for i in ids), ids


@dataclass(frozen=True)
class LimitCase:
    id: str
    connected: tuple[int, ...]
    """Indexes (creation order) of channels with a socket."""
    used_again: tuple[int, ...]
    """Indexes used again (in this order) after all were created."""
    removed: int
    reason: str


LIMIT_CASES = [
    LimitCase("oldest", (), (), 0, "with nothing connected or reused, the first channel created goes"),
    LimitCase("reuse-saves", (), (0,), 1, "using channel 0 again makes channel 1 the least recently used"),
    LimitCase(
        "unconnected-first",
        (0, 1, 2),
        (),
        3,
        "channels without a socket are removed before connected ones, however recently used",
    ),
    LimitCase(
        "all-connected",
        tuple(range(20)),
        (),
        0,
        "when every channel is connected, the least recently used connected one goes",
    ),
]


@pytest.mark.parametrize("case", LIMIT_CASES, ids=lambda case: case.id)
def test_a_21st_channel_removes_the_least_recently_used_one(case: LimitCase) -> None:
    book = book_with(20)
    created = list(book.channels.values())
    for index in case.connected:
        created[index].connected = True
    for offset, index in enumerate(case.used_again):
        book.find("ci", created[index].id, T0 + 100 + offset)
    book.create("other-client", T0 + 200, NotificationKnobs())
    channel, removed = book.create("ci", T0 + 300, NotificationKnobs())
    assert [c.id for c in removed] == [created[case.removed].id], case.reason
    assert len(book.owned_by("ci", T0 + 300)) == 20 and channel.id in book.channels
    assert len(book.owned_by("other-client", T0 + 300)) == 1, "another client's channels do not count"


def test_another_clients_channel_id_is_a_404() -> None:
    book = book_with(1, "owner")
    channel_id = next(iter(book.channels))
    with pytest.raises(ApiError) as refused:
        book.find("someone-else", channel_id, T0)
    assert refused.value.status == 404 and refused.value.code == "not.found"


@dataclass(frozen=True)
class SubscribeCase:
    id: str
    before: tuple[str, ...]
    request: tuple[str, ...]
    replace: bool
    ignore_errors: bool
    expected_topics: tuple[str, ...] | None
    """None: the request is refused and nothing changes."""
    expected_status: int | None
    reason: str


KNOBS = NotificationKnobs(topic_limit=3, rejected_topics=("v2.flows.secret-*",))
SUBSCRIBE_CASES = [
    SubscribeCase("add", ("a",), ("b",), False, False, ("a", "b"), None, "POST adds to the list"),
    SubscribeCase("replace", ("a", "b"), ("c",), True, False, ("c",), None, "PUT replaces the list"),
    SubscribeCase("add-repeat", ("a",), ("a", "b"), False, False, ("a", "b"), None, "a repeat is one topic"),
    SubscribeCase(
        "cap", ("a", "b", "c"), ("d",), False, False, None, 400, "a 4th topic over a cap of 3 is a 400"
    ),
    SubscribeCase(
        "cap-replace", ("a", "b", "c"), ("d",), True, False, ("d",), None, "replacing stays under the cap"
    ),
    SubscribeCase(
        "refused",
        ("a",),
        ("b", "secret-1"),
        False,
        False,
        None,
        403,
        "one refused topic fails the whole request: nothing is subscribed",
    ),
    SubscribeCase(
        "refused-ignored",
        ("a",),
        ("b", "secret-1"),
        False,
        True,
        ("a", "b"),
        None,
        "ignoreErrors subscribes the rest and lists the refused topic as Rejected",
    ),
]


@pytest.mark.parametrize("case", SUBSCRIBE_CASES, ids=lambda case: case.id)
def test_subscribing_follows_the_documented_rules(case: SubscribeCase) -> None:
    book = book_with(1, knobs=KNOBS)
    channel = next(iter(book.channels.values()))
    book.subscribe(channel, topics(*case.before), replace=False, ignore_errors=False, now=T0, knobs=KNOBS)
    expires_before = channel.expires_at
    try:
        results = book.subscribe(
            channel,
            topics(*case.request),
            replace=case.replace,
            ignore_errors=case.ignore_errors,
            now=T0 + 50,
            knobs=KNOBS,
        )
    except ApiError as refused:
        assert refused.status == case.expected_status, case.reason
        assert list(channel.topics) == topics(*case.before), case.reason
        assert channel.expires_at == expires_before, "a refused request does not extend the channel"
        return
    assert case.expected_status is None, case.reason
    assert list(channel.topics) == topics(*case.expected_topics or ()), case.reason
    rejected = [r.topic for r in results if not r.permitted]
    assert rejected == (topics("secret-1") if case.ignore_errors else []), case.reason
    assert channel.expires_at == T0 + 50 + KNOBS.channel_ttl_seconds, "subscribing keeps a channel alive"
    assert sorted(book.by_topic) == sorted(channel.topics), "the topic index follows the channel"


def test_a_channel_expires_24_hours_after_its_last_subscription_change() -> None:
    book = book_with(1)
    channel = next(iter(book.channels.values()))
    book.subscribe(channel, topics("a"), replace=False, ignore_errors=False, now=T0 + 3600, knobs=KNOBS)
    assert book.expired(T0 + 3600 + 86_399) == []
    assert [c.id for c in book.expired(T0 + 3600 + 86_400)] == [channel.id]
    assert book.channels == {} and book.by_topic == {}
    with pytest.raises(ApiError):
        book.find("ci", channel.id, T0 + 3600 + 86_400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "v2.flows.x"}, "body"),
        ([{"id": "v2.users.me.presence"}], "body[0].id"),
        ([{"id": "v2.flows.a"}, {"topic": "v2.flows.b"}], "body[1].id"),
        ([{"id": "v2.flows.a b"}], "body[0].id"),
    ],
    ids=["not-a-list", "unknown-topic", "missing-id", "bad-flow-id"],
)
def test_a_malformed_subscription_body_is_a_400_naming_the_entry(body: object, field: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_topics(body)
    assert refused.value.status == 400 and refused.value.details[0]["fieldName"] == field


def test_knobs_are_partial_named_on_error_and_reset_to_the_documented_limits() -> None:
    knobs = updated_knobs(NotificationKnobs(), {"dropFraction": 0.3, "available": 404})
    assert (knobs.drop_fraction, knobs.available, knobs.topic_limit) == (0.3, 404, 1000)
    assert knobs_json(updated_knobs(knobs, {"reset": True})) == knobs_json(NotificationKnobs())
    assert knobs_json(NotificationKnobs())["channelLimit"] == 20
    for body, field in (
        ({"dropFraction": 1.5}, "dropFraction"),
        ({"available": True}, "available"),
        ({"heartbeatSeconds": 0}, "heartbeatSeconds"),
        ({"rejectedTopics": "v2.flows.*"}, "rejectedTopics"),
        ({"dropfraction": 0.1}, "dropfraction"),
    ):
        with pytest.raises(ApiError) as refused:
            updated_knobs(knobs, body)
        assert refused.value.details[0]["fieldName"] == field
