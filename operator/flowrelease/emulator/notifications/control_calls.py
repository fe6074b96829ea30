"""The notifications control plane as `ControlCall`s, for `EmulatorControl.call` (sync or async).

control.call(notification_calls.configure(drop_fraction=0.3))    # or dropFraction=0.3
control.call(notification_calls.close_sockets(warn=True))
hub = control.call(notification_calls.state())                  # knobs, channels, counters
"""

from __future__ import annotations

from typing import Any

from flowrelease.emulator.control import ControlCall, knob_body

PREFIX = "/_emulator/notifications"


def state() -> ControlCall:
    return ControlCall("GET", PREFIX)


def configure(**knobs: Any) -> ControlCall:
    """Change the given knobs (snake_case or camelCase); `reset=True` first restores the defaults."""
    return ControlCall("PUT", PREFIX, knob_body(knobs))


def close_sockets(channel_id: str | None = None, *, warn: bool = False) -> ControlCall:
    body: dict[str, Any] = {"warn": warn}
    if channel_id is not None:
        body["channelId"] = channel_id
    return ControlCall("POST", f"{PREFIX}/sockets/close", body)


def expire_channels(channel_id: str | None = None) -> ControlCall:
    return ControlCall(
        "POST", f"{PREFIX}/channels/expire", {} if channel_id is None else {"channelId": channel_id}
    )
