"""Both senders against raw loopback servers that misbehave below HTTP: what each failure is called and
whether the request may have reached the server (which decides whether the choke point may replay it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from flowrelease.engine.ports import Transient
from flowrelease.genesys import (
    AiohttpSender,
    GenesysClient,
    GenesysTransportError,
    RetryPolicy,
    open_aiohttp_session,
)
from flowrelease.genesys.http_senders import EnvironmentProxies, SendError, SendFailure
from tests.contract.client.conftest import SentRequest, recording_sender
from tests.unit.genesys.virtual_time import VirtualTime

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
KINDS = ["aiohttp", "httpx"]


class RawServer:
    def __init__(self, serve: Serve) -> None:
        self.serve = serve
        self.requests: list[bytes] = []
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head)
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if length:
                self.requests[-1] += await reader.readexactly(length)
            await self.serve(reader, writer)
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Serve], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(serve: Serve) -> RawServer:
        raw = RawServer(serve)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        raw.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def hang_up(_: asyncio.StreamReader, __: asyncio.StreamWriter) -> None:
    """Read the request, answer nothing, close."""


async def half_an_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":')
    await writer.drain()


async def empty_ok(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("serve", [hang_up, half_an_answer], ids=["hang-up", "half-an-answer"])
async def test_a_connection_that_breaks_after_the_request_is_broken_and_may_have_been_sent(
    kind: str, serve: Serve, raw_server: Callable[[Serve], Awaitable[RawServer]]
) -> None:
    server = await raw_server(serve)
    sent: list[SentRequest] = []
    async with recording_sender(kind, sent, timeout_s=2.0) as sender:
        with pytest.raises(SendError) as caught:
            await sender.send("POST", server.url + "/api/v2/flows/actions/publish", headers={}, json={"a": 1})
    assert caught.value.failure is SendFailure.BROKEN
    assert caught.value.sent
    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_url_no_sender_can_use_is_a_bad_url_and_nothing_is_sent(kind: str) -> None:
    sent: list[SentRequest] = []
    async with recording_sender(kind, sent, timeout_s=2.0) as sender:
        with pytest.raises(SendError) as caught:
            await sender.send("GET", "ftp://127.0.0.1/x", headers={})
    assert caught.value.failure is SendFailure.BAD_URL
    assert not caught.value.sent


@pytest.mark.parametrize("kind", KINDS)
async def test_an_upload_carries_exactly_the_headers_given_and_its_bytes(
    kind: str, raw_server: Callable[[Serve], Awaitable[RawServer]]
) -> None:
    """A presigned URL is signed for the headers Genesys listed: no Content-Type of the sender's own."""
    server = await raw_server(empty_ok)
    sent: list[SentRequest] = []
    async with recording_sender(kind, sent, timeout_s=2.0) as sender:
        reply = await sender.send(
            "PUT", server.url + "/upload?sig=abc", headers={"x-amz-acl": "private"}, content=b"a: 1\n"
        )
    assert reply.status_code == 200 and reply.content == b""
    (request,) = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line.lower() for line in head.split(b"\r\n")]
    assert lines[0] == b"put /upload?sig=abc http/1.1"
    assert b"x-amz-acl: private" in lines
    assert not any(line.startswith(b"content-type:") for line in lines), lines
    assert body == b"a: 1\n"


@pytest.mark.parametrize("kind", KINDS)
async def test_the_choke_point_replays_a_broken_read_but_never_a_broken_publish(
    kind: str, raw_server: Callable[[Serve], Awaitable[RawServer]]
) -> None:
    async def token_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if server.requests[-1].startswith(b"POST /oauth/token"):
            body = b'{"access_token":"tok-123456","token_type":"bearer","expires_in":86400}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                + body
            )
            await writer.drain()

    server = await raw_server(token_then_hang_up)
    sent: list[SentRequest] = []
    time = VirtualTime()
    async with recording_sender(kind, sent, timeout_s=2.0) as sender:
        client = GenesysClient(
            sender,
            base_url=server.url,
            client_id="c",
            client_secret="s3cr3t-value",
            sleep=time.sleep,
            clock=time.clock,
            retry=RetryPolicy(max_attempts=3),
        )
        with pytest.raises(GenesysTransportError) as read:
            await client.get_flow("f")
        reads = [r for r in sent if r.path == "/api/v2/flows/f"]
        with pytest.raises(Transient) as publish:
            await client.publish_version("f", "3.0")
        publishes = [r for r in sent if r.path == "/api/v2/flows/actions/publish"]
    assert isinstance(read.value, Transient) and "the connection to Genesys broke" in str(read.value)
    assert len(reads) == 3, "a read is safe to repeat: every attempt is used"
    assert len(publishes) == 1, "a publish that may have reached Genesys is never sent again"
    assert "s3cr3t-value" not in str(read.value) + str(publish.value)


@pytest.mark.parametrize(("kind", "wire_tries"), [("aiohttp", 2), ("httpx", 1)])
async def test_an_idempotent_request_whose_connection_breaks_is_resent_once_by_aiohttp_only(
    kind: str, wire_tries: int, raw_server: Callable[[Serve], Awaitable[RawServer]]
) -> None:
    """aiohttp sends a GET or PUT once more on a connection that broke before any answer (RFC 9112
    §9.3.1.1), never a POST: a publish still reaches Genesys at most once per attempt of the choke point, and
    a presigned upload may arrive twice with the same bytes (one object, as PUT replaces it)."""
    server = await raw_server(hang_up)
    sent: list[SentRequest] = []
    async with recording_sender(kind, sent, timeout_s=2.0) as sender:
        with pytest.raises(SendError):
            await sender.send("PUT", server.url + "/upload?sig=abc", headers={}, content=b"a: 1\n")
    assert len(server.requests) == wire_tries
    assert all(request.endswith(b"\r\n\r\na: 1\n") for request in server.requests)


@pytest.mark.parametrize(
    ("environ", "url", "proxy"),
    [
        ({}, "https://api.mypurecloud.ie/x", None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.mypurecloud.ie/x", "http://proxy:3128"),
        ({"https_proxy": "http://proxy:3128"}, "http://127.0.0.1:8080/x", None),
        ({"HTTP_PROXY": "http://p:1", "ALL_PROXY": "http://all:2"}, "http://h/x", "http://p:1"),
        ({"ALL_PROXY": "http://all:2"}, "https://h/x", "http://all:2"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "mypurecloud.ie"}, "https://api.mypurecloud.ie/x", None),
        (
            {"HTTPS_PROXY": "http://p:1", "no_proxy": ".svc,10.0.0.1"},
            "https://kubernetes.default.svc/x",
            None,
        ),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.1"}, "https://10.0.0.1:443/api", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "https://anything/x", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "cloud.ie"}, "https://api.mypurecloud.ie/x", "http://p:1"),
    ],
)
def test_the_proxy_for_a_url_follows_the_environment_as_httpx_does(
    environ: dict[str, str], url: str, proxy: str | None
) -> None:
    assert EnvironmentProxies(environ).for_url(url) == proxy


async def test_the_aiohttp_sender_goes_through_the_environments_proxy(
    raw_server: Callable[[Serve], Awaitable[RawServer]],
) -> None:
    """A forward proxy on loopback gets the request in absolute form, as a real one would."""
    proxy = await raw_server(empty_ok)
    async with open_aiohttp_session() as session:
        sender = AiohttpSender(session, EnvironmentProxies({"HTTP_PROXY": proxy.url}))
        reply = await sender.send("GET", "http://genesys.invalid/api/v2/flows/f", headers={})
    assert reply.status_code == 200
    (request,) = proxy.requests
    assert request.split(b"\r\n")[0] == b"GET http://genesys.invalid/api/v2/flows/f HTTP/1.1"
