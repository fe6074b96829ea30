"""A synchronous notification-channel client for tests: a channel, its topics, what its socket sends.

    with NotificationSocket.open(base_url, http, [f"v2.flows.{flow_id}"]) as socket:
        publish(...)
        event = socket.next_event()            # the next message that is not a heartbeat
        assert event["eventBody"]["publishedVersion"]["id"] == "3.0"

Real WebSocket over loopback (`websockets.sync.client`), real REST calls through the caller's logged-in
`httpx.Client`.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

CHANNELS = "/api/v2/notifications/channels"
HEARTBEAT_TOPIC = "channel.metadata"


@dataclass
class NotificationSocket:
    channel: dict[str, Any]
    socket: ClientConnection
    stack: contextlib.ExitStack
    heartbeats: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, http: httpx.Client, topics: list[str]) -> NotificationSocket:
        created = http.post(CHANNELS)
        assert created.status_code == 200, created.text
        channel = created.json()
        if topics:
            subscribed = http.put(
                f"{CHANNELS}/{channel['id']}/subscriptions", json=[{"id": t} for t in topics]
            )
            assert subscribed.status_code == 200, subscribed.text
        return cls.reconnect(channel)

    @classmethod
    def reconnect(cls, channel: dict[str, Any]) -> NotificationSocket:
        """A new socket on an existing channel."""
        stack = contextlib.ExitStack()
        socket = stack.enter_context(connect(channel["connectUri"], open_timeout=5))
        return cls(channel, socket, stack)

    @property
    def channel_id(self) -> str:
        return str(self.channel["id"])

    def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message, heartbeats included; TimeoutError if none comes."""
        message = json.loads(self.socket.recv(timeout=timeout))
        self.seen.append(message)
        return dict(message)

    def next_event(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message that is not a heartbeat."""
        while True:
            message = self.receive(timeout)
            if message["topicName"] == HEARTBEAT_TOPIC and message["eventBody"] == {
                "message": "WebSocket Heartbeat"
            }:
                self.heartbeats += 1
                continue
            return message

    def events_within(self, seconds: float) -> list[dict[str, Any]]:
        """Every non-heartbeat message that arrives within `seconds`."""
        found: list[dict[str, Any]] = []
        try:
            while True:
                found.append(self.next_event(timeout=seconds))
        except TimeoutError:
            return found

    def closed_code(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close the socket; its close code (None if it stays open)."""
        try:
            while True:
                self.socket.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        except TimeoutError:
            return None

    def close(self) -> None:
        self.stack.close()

    def __enter__(self) -> NotificationSocket:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
