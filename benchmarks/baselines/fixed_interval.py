"""A fixed-interval publish poller: authenticate, POST publish, then sleep/GET the flow until it is done.

This is the loop most hand-written Genesys publish scripts use. It sleeps first and then looks, every
`interval` seconds, until `currentOperation` is a complete PUBLISH and `publishedVersion.id` is the wanted
version (or the operation failed, or `timeout` passed).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class BaselinePolicy:
    name: str
    interval_seconds: float
    description: str


FLOWPUBLISHER_5S = BaselinePolicy(
    name="poll-5s", interval_seconds=5.0, description="FlowPublisher tutorial: GET the flow every 5 s"
)
CX_AS_CODE_15S = BaselinePolicy(
    name="poll-15s", interval_seconds=15.0, description="CX as Code publish-job wait: poll every 15 s"
)


@dataclass(frozen=True)
class BaselineRun:
    """What one baseline publish did, timed on the wall clock of this process."""

    policy: str
    flow_id: str
    version: str
    started_at: float
    publish_returned_at: float
    noticed_at: float | None
    """When the GET that first saw the publish finished returned; None if it never did."""
    polls: int
    requests: int
    """Requests this publisher sent, counted client-side (the emulator's request log is authoritative)."""
    succeeded: bool
    error: str = ""

    @property
    def wall_seconds(self) -> float | None:
        return None if self.noticed_at is None else self.noticed_at - self.started_at


class FixedIntervalPublisher:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        policy: BaselinePolicy,
        timeout_seconds: float = 900.0,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._policy = policy
        self._timeout = timeout_seconds
        self._requests = 0

    async def publish(self, flow_id: str, version: str) -> BaselineRun:
        started = time.time()
        self._requests = 0
        headers = {"Authorization": f"Bearer {await self._token()}"}
        response = await self._send(
            "POST",
            "/api/v2/flows/actions/publish",
            headers=headers,
            params={"flow": flow_id, "version": version},
        )
        publish_returned = time.time()
        if response.status_code >= 400:
            return self._run(
                flow_id, version, started, publish_returned, None, 0, f"publish: {response.text}"
            )
        polls = 0
        while time.time() - started < self._timeout:
            await asyncio.sleep(self._policy.interval_seconds)
            flow = await self._send("GET", f"/api/v2/flows/{flow_id}", headers=headers)
            polls += 1
            if flow.status_code >= 400:
                continue  # the tutorial loop simply tries again at the next tick
            body: dict[str, Any] = flow.json()
            operation = body.get("currentOperation") or {}
            if operation.get("actionName") != "PUBLISH" or not operation.get("complete"):
                continue
            noticed = time.time()
            if operation.get("actionStatus") == "FAILURE":
                return self._run(
                    flow_id,
                    version,
                    started,
                    publish_returned,
                    noticed,
                    polls,
                    operation.get("errorMessage", ""),
                )
            if (body.get("publishedVersion") or {}).get("id") == version:
                return self._run(flow_id, version, started, publish_returned, noticed, polls, "")
        return self._run(flow_id, version, started, publish_returned, None, polls, "timed out")

    async def _token(self) -> str:
        response = await self._send(
            "POST",
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self._client_id, self._client_secret),
        )
        response.raise_for_status()
        token = response.json()["access_token"]
        assert isinstance(token, str)
        return token

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._requests += 1
        return await self._http.request(method, f"{self._base_url}{path}", **kwargs)

    def _run(
        self,
        flow_id: str,
        version: str,
        started: float,
        publish_returned: float,
        noticed: float | None,
        polls: int,
        error: str,
    ) -> BaselineRun:
        return BaselineRun(
            policy=self._policy.name,
            flow_id=flow_id,
            version=version,
            started_at=started,
            publish_returned_at=publish_returned,
            noticed_at=noticed,
            polls=polls,
            requests=self._requests,
            succeeded=noticed is not None and not error,
            error=error,
        )
