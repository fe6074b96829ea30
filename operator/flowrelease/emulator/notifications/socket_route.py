"""The WebSocket at a channel's `connectUri` (`/channels/{channelId}`): events out, pings answered.

No bearer token: as in Genesys, knowing the channel id is enough. An unknown or expired channel (or the
service switched off) refuses the upgrade (HTTP 403; a client must treat any refusal as "the channel is
gone", as clients of the real service do with its 401). Once open, the socket sends what the hub
queues (events, closing warnings), a `channel.metadata` heartbeat every `heartbeatSeconds`, and answers the
client's `{"message": "ping"}` with a `pong`; other client messages are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from flowrelease.emulator.notifications import events
from flowrelease.emulator.notifications.hub import Closing, Connection, NotificationHub
from flowrelease.emulator.runtime import EmulatorRuntime


def _hub(websocket: WebSocket) -> NotificationHub:
    runtime = websocket.app.state.emulator
    assert isinstance(runtime, EmulatorRuntime)
    return runtime.notifications


async def channel_socket(websocket: WebSocket) -> None:
    hub = _hub(websocket)
    channel_id = websocket.path_params["channel_id"]
    connection = hub.attach(channel_id)
    if connection is None:
        await websocket.close(code=1008)  # before accept: the server answers the upgrade with HTTP 403
        return
    try:
        await websocket.accept()
        tasks = [
            asyncio.ensure_future(_send(websocket, connection)),
            asyncio.ensure_future(_receive(websocket, connection)),
            asyncio.ensure_future(_heartbeat(hub, connection)),
        ]
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
    finally:
        hub.detach(connection)


async def _send(websocket: WebSocket, connection: Connection) -> None:
    while True:
        item = await connection.outbox.get()
        if isinstance(item, Closing):
            await websocket.close(code=item.code, reason=item.reason)
            return
        await websocket.send_text(item)


async def _receive(websocket: WebSocket, connection: Connection) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            payload = json.loads(message.get("text") or "null")
        except ValueError:
            continue
        if isinstance(payload, dict) and payload.get("message") == "ping":
            connection.send(events.text(events.PONG))


async def _heartbeat(hub: NotificationHub, connection: Connection) -> None:
    while True:
        await asyncio.sleep(hub.knobs.heartbeat_seconds)
        hub.counters["heartbeats"] += 1
        connection.send(events.text(events.HEARTBEAT))


ROUTES = [WebSocketRoute("/channels/{channel_id}", channel_socket)]
