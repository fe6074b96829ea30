"""The Notifications API routes: `/api/v2/notifications/channels` and `…/channels/{channelId}/subscriptions`.

`POST /channels` → `Channel` `{id, connectUri, expires}` (connectUri: `ws://<this host>/channels/<id>`);
`GET /channels` → `ChannelEntityListing`; `HEAD /channels/{id}` → 200 or 404; subscriptions: `GET` →
`ChannelTopicEntityListing`, `POST` adds and `PUT` replaces (body `[{"id": "v2.flows.<flowId>"}]`, optional
`ignoreErrors`), both answering the channel's whole list; `DELETE` removes every topic. Every endpoint
answers the `available` knob's 403 or 404 when the service is switched off.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.notifications.channels import Channel, parse_topics
from flowrelease.emulator.notifications.hub import NotificationHub
from flowrelease.emulator.routes.parsing import query_bool, read_json
from flowrelease.emulator.runtime import caller_of, runtime_of
from flowrelease.emulator.wire import JsonObject, iso_datetime, json_response

CHANNELS = "/api/v2/notifications/channels"


def _hub(request: Request) -> NotificationHub:
    hub = runtime_of(request).notifications
    hub.require_available()
    return hub


def channel_json(request: Request, channel: Channel) -> JsonObject:
    return {
        "connectUri": f"ws://{request.url.netloc}/channels/{channel.id}",
        "id": channel.id,
        "expires": iso_datetime(channel.expires_at),
    }


def _caller_channel(request: Request) -> tuple[NotificationHub, Channel]:
    hub = _hub(request)
    return hub, hub.channel(caller_of(request), request.path_params["channel_id"])


async def create_channel(request: Request) -> Response:
    channel = _hub(request).create_channel(caller_of(request))
    return json_response(channel_json(request, channel))


async def list_channels(request: Request) -> Response:
    hub = _hub(request)  # `includechannels` (token | oauthclient): tokens are not told apart here
    owned = hub.book.owned_by(caller_of(request), hub.now())
    return json_response({"entities": [channel_json(request, channel) for channel in owned]})


async def head_channel(request: Request) -> Response:
    _caller_channel(request)
    return Response(status_code=200)


async def get_subscriptions(request: Request) -> Response:
    _, channel = _caller_channel(request)
    self_uri = f"{CHANNELS}/{channel.id}/subscriptions"
    entities = [{"id": topic, "selfUri": self_uri} for topic in channel.topics]
    return json_response({"entities": entities})


async def _change(request: Request, *, replace: bool) -> Response:
    hub, channel = _caller_channel(request)
    topics = parse_topics(await read_json(request))
    ignore_errors = query_bool(request, "ignoreErrors")
    entities = hub.subscribe(channel, topics, replace=replace, ignore_errors=ignore_errors)
    return json_response({"entities": entities})


async def add_subscriptions(request: Request) -> Response:
    return await _change(request, replace=False)


async def replace_subscriptions(request: Request) -> Response:
    return await _change(request, replace=True)


async def delete_subscriptions(request: Request) -> Response:
    hub, channel = _caller_channel(request)
    hub.clear(channel)
    return Response(status_code=200)


ROUTES = [
    Route(CHANNELS, create_channel, methods=["POST"]),
    Route(CHANNELS, list_channels, methods=["GET"]),
    Route(f"{CHANNELS}/{{channel_id}}", head_channel, methods=["HEAD"]),
    Route(f"{CHANNELS}/{{channel_id}}/subscriptions", get_subscriptions, methods=["GET"]),
    Route(f"{CHANNELS}/{{channel_id}}/subscriptions", add_subscriptions, methods=["POST"]),
    Route(f"{CHANNELS}/{{channel_id}}/subscriptions", replace_subscriptions, methods=["PUT"]),
    Route(f"{CHANNELS}/{{channel_id}}/subscriptions", delete_subscriptions, methods=["DELETE"]),
]
