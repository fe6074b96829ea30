"""Exporting one flow version as Archy YAML: export job, bounded polling, signed download, Archy-429 retries.

Follows what CX as Code does (genesys-api.md §7): the job pins the version; polls are at most 2 s apart and
bounded; the YAML comes from `downloadUrl` without the bearer token; a Success without `downloadUrl` is an
error; and when the failure text is Archy's internal-429 signature the whole export runs again, up to
`EXPORT_ATTEMPTS` times, waiting `EXPORT_RETRY_STEP` seconds times the attempt number in between.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from flowrelease.genesys import routes, wire
from flowrelease.genesys.backoff import JobPollSchedule
from flowrelease.genesys.errors import GenesysJobFailed
from flowrelease.genesys.jobs import archy_throttled, run_job
from flowrelease.genesys.transport import Call, GenesysTransport

logger = logging.getLogger("flowrelease.genesys")

EXPORT_ATTEMPTS = 5
EXPORT_RETRY_STEP = 15.0


async def export_yaml(
    transport: GenesysTransport,
    flow_id: str,
    version_id: str,
    *,
    schedule: JobPollSchedule,
    sleep: Callable[[float], Awaitable[None]],
) -> str:
    purpose = f"exporting version {version_id} of flow {flow_id}"
    for attempt in range(1, EXPORT_ATTEMPTS + 1):
        try:
            return await _export_once(transport, flow_id, version_id, purpose, schedule, sleep)
        except GenesysJobFailed as exc:
            if not exc.archy_throttled or attempt == EXPORT_ATTEMPTS:
                raise
            delay = EXPORT_RETRY_STEP * attempt
            logger.warning(
                "%s: Archy reported an internal rate limit; exporting again in %.0f s", purpose, delay
            )
            await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _export_once(
    transport: GenesysTransport,
    flow_id: str,
    version_id: str,
    purpose: str,
    schedule: JobPollSchedule,
    sleep: Callable[[float], Awaitable[None]],
) -> str:
    job_id, body = await run_job(
        transport,
        Call(
            routes.REGISTER_EXPORT,
            purpose=purpose,
            json={"flows": [{"flow": {"id": flow_id, "version": version_id}, "exportType": "Yaml"}]},
            not_found_hint=f"flow {flow_id} or its version {version_id} does not exist",
        ),
        routes.GET_EXPORT,
        kind="export",
        schedule=schedule,
        sleep=sleep,
    )
    job = wire.job_state(body)
    if job.status == "Failure":
        texts = [message.text for message in job.messages]
        error = GenesysJobFailed(
            f"{purpose} failed: the export job {job_id} failed: "
            + ("; ".join(texts) or "no tracing messages available")
            + ". flowrelease will export again later"
        )
        error.route = str(routes.GET_EXPORT)
        error.archy_throttled = archy_throttled(texts)
        raise error
    download_url = body.get("downloadUrl") if isinstance(body, dict) else None
    if not isinstance(download_url, str) or not download_url:
        raise GenesysJobFailed(f"{purpose} failed: export job {job_id} succeeded without a downloadUrl")
    response = await transport.send(
        Call(routes.DOWNLOAD_EXPORT, purpose=f"{purpose} (downloading the YAML)", url=download_url)
    )
    return response.text
