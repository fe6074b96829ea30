"""The Kubernetes transport survives what lightkube does with its connection parameters, and honours the
proxy environment that httpx2 stops reading once a transport is given."""

from __future__ import annotations

import asyncio
import copy
import ssl

import httpx2
import pytest

from flowrelease.k8s.kube_transport import AiohttpKubeTransport


def test_a_deep_copy_shares_the_transport_instead_of_copying_its_tls_context() -> None:
    """lightkube 1.0.0 deep-copies its connection parameters, the transport among them; an SSLContext
    cannot be copied, and a connection pool must not be."""
    transport = AiohttpKubeTransport(ssl.create_default_context())
    assert copy.deepcopy({"transport": transport})["transport"] is transport


async def test_a_request_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    transport = AiohttpKubeTransport(None)
    try:
        async with httpx2.AsyncClient(transport=transport) as client:
            answer = await client.get("http://apiserver.invalid/api/v1/secrets")
    finally:
        await transport.aclose()
        server.close()
        await server.wait_closed()
    assert answer.status_code == 200 and answer.json() == {}
    assert seen[0].split(b"\r\n")[0] == b"GET http://apiserver.invalid/api/v1/secrets HTTP/1.1"
