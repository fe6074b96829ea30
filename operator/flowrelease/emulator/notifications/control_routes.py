"""The notifications control plane under `/_emulator/notifications` (no auth, like the rest of `/_emulator`).

- `GET /_emulator/notifications` → the knobs, every channel (client, topics, connected, expires) and the
  delivery counters (events sent, dropped, duplicated, lost while unconnected, heartbeats, connections).
- `PUT /_emulator/notifications` with a partial knob object (see `knobs`); `{"reset": true}` first restores
  the defaults. Returns the same as GET.
- `POST /_emulator/notifications/sockets/close` `{"channelId"?: str, "warn"?: bool}`: close that channel's
  socket (default: every socket), after a `v2.system.socket_closing` warning when `warn`. Channels stay.
- `POST /_emulator/notifications/channels/expire` `{"channelId"?: str}`: that channel (default: every
  channel) expires now; its socket is closed and the id answers 404 from then on.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.notifications.hub import NotificationHub
from flowrelease.emulator.notifications.knobs import knobs_json, updated_knobs
from flowrelease.emulator.routes.parsing import json_object, read_json
from flowrelease.emulator.runtime import runtime_of
from flowrelease.emulator.wire import JsonObject, bad_request, iso_datetime, json_response

PREFIX = "/_emulator/notifications"


def _hub(request: Request) -> NotificationHub:
    return runtime_of(request).notifications


def hub_json(hub: NotificationHub) -> JsonObject:
    return {
        "knobs": knobs_json(hub.knobs),
        "channels": [
            {
                "id": channel.id,
                "clientId": channel.client_id,
                "topics": list(channel.topics),
                "connected": channel.id in hub.connections,
                "expires": iso_datetime(channel.expires_at),
            }
            for channel in hub.book.channels.values()
        ],
        "counters": dict(sorted(hub.counters.items())),
    }


async def get_state(request: Request) -> Response:
    hub = _hub(request)
    hub.expire_due()
    return json_response(hub_json(hub))


async def put_knobs(request: Request) -> Response:
    hub = _hub(request)
    hub.knobs = updated_knobs(hub.knobs, await read_json(request))
    return json_response(hub_json(hub))


def _options(body: JsonObject) -> tuple[str | None, bool]:
    channel_id = body.get("channelId")
    if channel_id is not None and not isinstance(channel_id, str):
        raise bad_request("channelId must be a string.", field="channelId")
    warn = body.get("warn", False)
    if not isinstance(warn, bool):
        raise bad_request("warn must be true or false.", field="warn")
    return channel_id, warn


async def close_sockets(request: Request) -> Response:
    body = json_object(await read_json(request, required=False) or {}, "socket close")
    channel_id, warn = _options(body)
    closed = _hub(request).close_sockets(channel_id, warn=warn)
    return json_response({"closed": closed})


async def expire_channels(request: Request) -> Response:
    body = json_object(await read_json(request, required=False) or {}, "channel expiry")
    channel_id, _ = _options({"channelId": body.get("channelId")})
    unknown = sorted(set(body) - {"channelId"})
    if unknown:
        raise bad_request(f"'{unknown[0][:60]}' is not an option; options: channelId.", field=unknown[0][:60])
    return json_response({"expired": _hub(request).expire(channel_id)})


ROUTES = [
    Route(PREFIX, get_state, methods=["GET"]),
    Route(PREFIX, put_knobs, methods=["PUT"]),
    Route(f"{PREFIX}/sockets/close", close_sockets, methods=["POST"]),
    Route(f"{PREFIX}/channels/expire", expire_channels, methods=["POST"]),
]
