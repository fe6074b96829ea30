"""Waiting for Architect jobs (validate, export): bounded polling, and recognising Archy's hidden 429."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable

from flowrelease.genesys import wire
from flowrelease.genesys.backoff import JobPollSchedule
from flowrelease.genesys.errors import GenesysBadResponse, GenesysTimeout
from flowrelease.genesys.routes import Route
from flowrelease.genesys.transport import Call, GenesysTransport

FINISHED = frozenset({"Success", "Failure"})
_EXIT_107 = re.compile(r"exit code(?::|\s+to)?\s*107\b")


async def poll_until_finished(
    read: Callable[[], Awaitable[tuple[str, object]]],
    *,
    schedule: JobPollSchedule,
    sleep: Callable[[float], Awaitable[None]],
    route: Route,
    purpose: str,
) -> object:
    """Call `read` (→ (status, body)) until the status is Success or Failure; return that body.

    Raises GenesysTimeout when the schedule is used up, naming how long was waited.
    """
    status, body = await read()
    waited = 0.0
    for delay in schedule.delays():
        if status in FINISHED:
            return body
        await sleep(delay)
        waited += delay
        status, body = await read()
    if status in FINISHED:
        return body
    error = GenesysTimeout(
        f"{purpose} failed: the Architect job was still {status or 'unfinished'} after {waited:.0f} s of "
        "polling; Genesys may be busy, flowrelease will try again later"
    )
    error.route = str(route)
    raise error


async def run_job(
    transport: GenesysTransport,
    register: Call,
    poll_route: Route,
    *,
    kind: str,
    schedule: JobPollSchedule,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[str, object]:
    """Register an Architect job with `register`, then poll `poll_route` (expand=messages) until it finishes.

    Returns (job id, the finished job's body). `kind` names the job in errors ("validate", "export").
    """
    purpose = register.purpose
    job_id = wire.job_state(await transport.send_json(register)).id
    if not job_id:
        raise GenesysBadResponse(f"{purpose} failed: Genesys registered the {kind} job without an id")

    async def read() -> tuple[str, object]:
        body = await transport.send_json(
            Call(poll_route, purpose=purpose, path_params={"jobId": job_id}, params={"expand": "messages"})
        )
        return wire.job_status_of(body), body

    body = await poll_until_finished(read, schedule=schedule, sleep=sleep, route=poll_route, purpose=purpose)
    return job_id, body


def archy_throttled(texts: Iterable[str]) -> bool:
    """Archy's way of reporting an internal 429 during export (genesys-api.md §7, CX as Code PR #2214):
    "could not find the flow with id" together with "exit code: 107" (also spelled "setting the Archy exit
    code to 107") or "Archy failed"."""
    joined = "\n".join(texts).lower()
    return "could not find the flow with id" in joined and (
        _EXIT_107.search(joined) is not None or "archy failed" in joined
    )
