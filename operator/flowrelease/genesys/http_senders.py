"""How one HTTP request reaches Genesys: `HttpSender`, on aiohttp or on an httpx client.

The choke point (`transport.py`) decides retries and errors; a sender only puts a request on the wire and
hands back a `Reply`, or raises `SendError` saying whether the request may have reached the server. The
operator and `sync` send through aiohttp (`AiohttpSender`): under the operator's 16 concurrent passes it
costs about a tenth of httpx's CPU per request (docs/benchmarks.md). `HttpxSender` keeps every caller that
holds an `httpx.AsyncClient` (tests on `httpx.MockTransport`, the benchmarks' baselines) working unchanged.
Neither follows redirects or reads `~/.netrc`. Both honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY as httpx does
(`EnvironmentProxies`, read once when the session opens: aiohttp's own `trust_env` would also read
`~/.netrc` in a thread on every request). aiohttp sends an idempotent request (GET,
PUT) once more by itself when its connection breaks before any answer (RFC 9112 §9.3.1.1), never a POST: a
publish still reaches Genesys at most once per attempt, and a presigned upload may arrive twice with the same
bytes, which its PUT makes one object.
"""

from __future__ import annotations

import enum
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: Mapping[str, str]
    """Case-insensitive (the library's own header mapping)."""
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class EnvironmentProxies:
    """The proxy for a URL from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY and NO_PROXY (either case);
    `environ` (default: the process's) is read once, here."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        source = os.environ if environ is None else environ
        found: dict[str, str] = {}
        for name, value in source.items():
            key = name.lower()
            if value and key.endswith("_proxy") and key != "no_proxy":
                found.setdefault(key.removesuffix("_proxy"), value)
        self._proxies = found
        self._no_proxy = source.get("no_proxy") or source.get("NO_PROXY") or ""
        self._chosen: dict[tuple[str, str], str | None] = {}

    def for_url(self, url: str) -> str | None:
        """The proxy URL to send `url` through, or None: direct."""
        if not self._proxies:
            return None
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc.rpartition("@")[2])
        if key not in self._chosen:
            proxy = self._proxies.get(key[0]) or self._proxies.get("all")
            self._chosen[key] = None if not proxy or bypassed(key[1], self._no_proxy) else proxy
        return self._chosen[key]


def bypassed(netloc: str, no_proxy: str) -> bool:
    """NO_PROXY's rule, as curl and httpx read it: `*`, or an entry equal to the host (or host:port) or a
    domain suffix of it (`example.com` and `.example.com` both cover `api.example.com`). PURE."""
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    host = host.strip("[]").lower()
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*" or entry in (netloc.lower(), host):
            return True
        domain = entry.lstrip(".")
        if host.endswith("." + domain):
            return True
    return False


class SendFailure(enum.Enum):
    NOT_CONNECTED = "could not connect"
    """Refused, unresolvable or unreachable: nothing was sent."""
    CONNECT_TIMEOUT = "no connection within the timeout"
    """No connection (or no free one in the pool) in time: nothing was sent."""
    TIMEOUT = "no answer within the timeout"
    """Sent, or partly: the server may have acted."""
    BROKEN = "the connection broke"
    """Sent, or partly: the server may have acted."""
    BAD_URL = "the URL is not usable"


NOT_SENT = frozenset({SendFailure.NOT_CONNECTED, SendFailure.CONNECT_TIMEOUT, SendFailure.BAD_URL})


class SendError(Exception):
    """A request that got no HTTP answer. Its text is the library's (it may quote the URL): scrub it."""

    def __init__(self, failure: SendFailure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure

    @property
    def sent(self) -> bool:
        """Whether the request may have reached the server (so replaying it may repeat its effect)."""
        return self.failure not in NOT_SENT


class HttpSender(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Reply:
        """The answer, whatever its status; `SendError` when there is none."""
        ...


class HttpxSender:
    """An `httpx.AsyncClient` as a sender (its timeouts, limits and transport are the caller's)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Reply:
        try:
            response = await self.client.request(
                method,
                url,
                params=params,
                json=json,
                content=content,
                data=form,
                headers=headers,
                follow_redirects=False,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SendError(httpx_failure(exc), str(exc) or type(exc).__name__) from exc
        return Reply(response.status_code, response.headers, response.content)


def httpx_failure(exc: Exception) -> SendFailure:
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendFailure.CONNECT_TIMEOUT
    if isinstance(exc, httpx.TimeoutException):
        return SendFailure.TIMEOUT
    if isinstance(exc, httpx.ConnectError):
        return SendFailure.NOT_CONNECTED
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return SendFailure.BAD_URL
    return SendFailure.BROKEN


READ_SECONDS = 30.0
CONNECT_SECONDS = 10.0
MAX_CONNECTIONS = 64
"""The shells' bounds (operator and `sync`)."""


def open_aiohttp_session(
    *,
    read_seconds: float = READ_SECONDS,
    connect_seconds: float = CONNECT_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
    keepalive_seconds: float = 4.0,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
) -> aiohttp.ClientSession:
    """A session as the operator and `sync` use it (call from a running event loop; close it when done).

    `connect_seconds` bounds getting a connection, a free pool slot included (nothing sent yet);
    `read_seconds` each wait for the answer, no bound on the whole exchange (httpx's `Timeout(read,
    connect=)`). Idle connections are dropped after `keepalive_seconds`, before servers that close them at
    5 s (uvicorn's default) can race a request onto a closing socket. No cookies are kept: every request
    stands alone, as it does for Genesys. `trace_configs`: aiohttp's request hooks (tests record with
    them)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=None, connect=connect_seconds, sock_read=read_seconds),
        connector=aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=keepalive_seconds),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        trace_configs=list(trace_configs) or None,
    )


class AiohttpSender:
    """An `aiohttp.ClientSession` as a sender. The session is the caller's to open and close."""

    def __init__(self, session: aiohttp.ClientSession, proxies: EnvironmentProxies | None = None) -> None:
        self.session = session
        self.proxies = EnvironmentProxies() if proxies is None else proxies

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Reply:
        body: bytes | Mapping[str, str] | None = content if content is not None else form
        try:
            async with self.session.request(
                method,
                url,
                headers=headers,
                params=dict(params) if params else None,
                json=json,
                data=body,
                allow_redirects=False,
                proxy=self.proxies.for_url(url),
                # A presigned URL gets exactly the headers Genesys listed (no application/octet-stream).
                skip_auto_headers=("Content-Type",) if content is not None else (),
            ) as response:
                payload = await response.read()
                return Reply(response.status, response.headers, payload)
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            raise SendError(SendFailure.BAD_URL, str(exc) or type(exc).__name__) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise SendError(SendFailure.CONNECT_TIMEOUT, str(exc) or type(exc).__name__) from exc
        except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
            raise SendError(SendFailure.TIMEOUT, str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientConnectorError as exc:
            raise SendError(SendFailure.NOT_CONNECTED, str(exc) or type(exc).__name__) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise SendError(SendFailure.BROKEN, str(exc) or type(exc).__name__) from exc
