"""lightkube's requests on aiohttp: an httpx2 transport (lightkube's documented `transport=` hook).

lightkube builds each request (URL, headers, auth — a ServiceAccount token re-read from its file, an exec
plugin) and reads each answer on httpx2; this transport only carries the bytes, on an aiohttp connection
pool instead of httpcore's, which costs several times less CPU per request (docs/benchmarks.md). TLS is
lightkube's own: the context comes from `lightkube.config.client_adapter.verify_cluster` for the kubeconfig's
cluster and user (its CA, client certificate, insecure-skip-tls-verify), exactly what lightkube would
verify with. Answers are passed on undecoded (httpx2 undoes their Content-Encoding), and a request that
gets no answer raises the httpx2 error httpx2's own transport would (`ConnectError`, `ConnectTimeout`,
`ReadTimeout`, `ReadError`), so callers cannot tell the two transports apart. httpx2 ignores the proxy
environment once a transport is given, so this one honours HTTPS_PROXY / NO_PROXY itself, as kubectl and
httpx2's own transport do (`EnvironmentProxies`).
"""

from __future__ import annotations

import ssl

import aiohttp
import httpx2

from flowrelease.genesys.http_senders import EnvironmentProxies

MAX_CONNECTIONS = 64
"""Measured at 1,000 releases: 32 queued the first status writes of a burst (p95 2.2 and 2.8 s), 100 held
more memory (132 MiB peak) for no better rollout than 64 (docs/benchmarks.md)."""
KEEPALIVE_SECONDS = 30.0


class AiohttpKubeTransport(httpx2.AsyncBaseTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None, *, max_connections: int = MAX_CONNECTIONS) -> None:
        self._ssl = ssl_context
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies = EnvironmentProxies()

    def __deepcopy__(self, memo: dict[int, object]) -> AiohttpKubeTransport:
        # lightkube 1.0.0 deep-copies its connection parameters (dataclasses.asdict), this transport among
        # them; a connection pool is shared, not copied (and an SSLContext cannot be).
        return self

    def _opened(self) -> aiohttp.ClientSession:
        # Opened on the first request, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS, ssl=self._ssl or True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        timeouts = request.extensions.get("timeout") or {}
        body = await request.aread()
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        timeout = aiohttp.ClientTimeout(
            total=None, connect=timeouts.get("connect"), sock_read=timeouts.get("read")
        )
        try:
            async with self._opened().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
                proxy=self._proxies.for_url(str(request.url)),
            ) as answer:
                content = await answer.read()
                raw_headers = [(name, value) for name, value in answer.raw_headers]
                status = answer.status
        except aiohttp.ConnectionTimeoutError as error:
            raise httpx2.ConnectTimeout(str(error), request=request) from error
        except (aiohttp.ServerTimeoutError, TimeoutError) as error:
            raise httpx2.ReadTimeout(str(error) or "timed out", request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx2.ConnectError(str(error), request=request) from error
        except (aiohttp.ClientError, OSError) as error:
            raise httpx2.ReadError(str(error) or type(error).__name__, request=request) from error
        return httpx2.Response(status, headers=raw_headers, content=content, request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
