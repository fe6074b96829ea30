"""A fixed-interval Architect import poller: register a job, upload the Archy YAML, sleep/GET the job.

CX as Code publishes a flow this way (genesys-api.md §4.2, §6): `POST /api/v2/flows/jobs`, `PUT` the file to
the presigned URL, then `GET /api/v2/flows/jobs/{id}` every `interval` seconds until `Success` or
`Failure` (or `timeout`). The job's answer is the result; it does not read the flow again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from benchmarks.baselines.fixed_interval import BaselinePolicy, BaselineRun

FINAL = ("Success", "Failure")


class FixedIntervalImporter:
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

    async def import_flow(self, flow_id: str, yaml_text: str) -> BaselineRun:
        """`flow_id` only labels the run: the document names the flow it updates."""
        started = time.time()
        self._requests = 0
        headers = {"Authorization": f"Bearer {await self._token()}"}
        registered = await self._send("POST", "/api/v2/flows/jobs", headers=headers)
        if registered.status_code >= 400:
            return self._run(flow_id, started, started, None, 0, f"register: {registered.text}")
        job: dict[str, Any] = registered.json()
        upload = await self._send(
            "PUT", job["presignedUrl"], headers=job.get("headers") or {}, content=yaml_text.encode()
        )
        uploaded = time.time()
        if upload.status_code >= 400:
            return self._run(flow_id, started, uploaded, None, 0, f"upload: {upload.text}")
        polls = 0
        while time.time() - started < self._timeout:
            await asyncio.sleep(self._policy.interval_seconds)
            answer = await self._send("GET", f"/api/v2/flows/jobs/{job['id']}", headers=headers)
            polls += 1
            if answer.status_code >= 400:
                continue
            state = answer.json().get("status")
            if state in FINAL:
                error = "" if state == "Success" else "the job failed"
                return self._run(flow_id, started, uploaded, time.time(), polls, error)
        return self._run(flow_id, started, uploaded, None, polls, "timed out")

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
        url = path if path.startswith("http") else f"{self._base_url}{path}"
        return await self._http.request(method, url, **kwargs)

    def _run(
        self,
        flow_id: str,
        started: float,
        uploaded: float,
        noticed: float | None,
        polls: int,
        error: str,
    ) -> BaselineRun:
        return BaselineRun(
            policy=self._policy.name,
            flow_id=flow_id,
            version="",
            started_at=started,
            publish_returned_at=uploaded,
            noticed_at=noticed,
            polls=polls,
            requests=self._requests,
            succeeded=noticed is not None and not error,
            error=error,
        )
