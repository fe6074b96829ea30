"""Reading what the planner decides on: the flow, the Architect jobs the status records, and (in a cluster)
whether another release owns the flow.

Every pass starts from what Genesys says now (DESIGN §2 "Observe first"). Reads are safe to repeat; a job
that no longer exists reads as None, a validate service that is unavailable as `ServiceUnavailable`. While an
import's job is still running, the job is the only read (`job_answers`). After a step that registers a
validate job — which does not touch the flow — only the jobs are read again, while the pass's own flow read
is younger than `FLOW_READ_FRESH_SECONDS` (`reread_after`): the publish that may follow is decided on that
read, made seconds before in the same pass.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from flowrelease.api.models import FlowReleaseSpec, FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem
from flowrelease.engine.flow_ownership import rival_owner
from flowrelease.engine.ports import (
    FlowApi,
    FlowClaims,
    FlowState,
    JobState,
    NotFound,
    ServiceUnavailable,
    Unavailable,
)
from flowrelease.engine.steps import Observation

FLOW_READ_FRESH_SECONDS = 15.0
"""How old the pass's own flow read may be and still decide the step after a validate job's registration."""


class Reread(enum.Enum):
    NOTHING = "nothing"
    JOBS = "jobs"
    EVERYTHING = "everything"


def reread_after(step: S.Step | None, stale: bool, flow_read_seconds_ago: float) -> Reread:
    """What to read before planning again after `step`, whose fold said the observation is `stale`. PURE."""
    if not stale:
        return Reread.NOTHING
    if isinstance(step, S.Validate) and 0 <= flow_read_seconds_ago < FLOW_READ_FRESH_SECONDS:
        return Reread.JOBS
    return Reread.EVERYTHING


async def observe_jobs(api: FlowApi, status: FlowReleaseStatus, observation: Observation) -> Observation:
    """`observation` with the jobs the status records read again; the flow read stands."""
    return replace(
        observation, job=await _operation_job(api, status), recorded_job=await _recorded_job(api, status)
    )


async def observe(
    api: FlowApi,
    spec: FlowReleaseSpec,
    status: FlowReleaseStatus,
    source: PreparedSource | SourceProblem | SourcePending | None,
    *,
    can_export: bool,
    release: str = "",
    flow_claims: FlowClaims | None = None,
) -> Observation:
    job = await _operation_job(api, status)
    recorded = await _recorded_job(api, status)
    if job_answers(status, job):
        return Observation(flow=None, source=source, job=job, recorded_job=recorded, can_export=can_export)
    flow = await observe_flow(api, spec, status)
    if flow is None and job is not None and job.status == "Success" and job.flow_id:
        flow = await get_flow(api, job.flow_id)
    owner = None
    if flow is not None and flow_claims is not None:
        owner = rival_owner(release, flow_claims.claims(release, flow))
    return Observation(
        flow=flow, source=source, job=job, recorded_job=recorded, can_export=can_export, flow_owner=owner
    )


def with_current_owner(observation: Observation, release: str, flow_claims: FlowClaims | None) -> Observation:
    """`observation` with the flow's owner as the claims say now. Claims are in memory (the operator's
    index), so this costs no request; asked again right before work starts on the flow, since a rival the
    pass start did not know of yet (created in the same second, seen by the operator a moment later) may
    have appeared while the pass validated."""
    if observation.flow is None or flow_claims is None:
        return observation
    owner = rival_owner(release, flow_claims.claims(release, observation.flow))
    return observation if owner == observation.flow_owner else replace(observation, flow_owner=owner)


def job_answers(status: FlowReleaseStatus, job: JobState | None) -> bool:
    """An import whose Architect job got its file and is still running, or failed: the job alone decides
    the next step (`in_flight._import`), so the flow is not read (one request per poll instead of two).
    A job still `Registered` without an acknowledged upload may be imported again, which needs the flow.
    PURE."""
    op = status.operation
    if op is None or op.kind != "import" or job is None:
        return False
    return job.status in ("Started", "Failure") or (job.status == "Registered" and bool(op.posted_at))


async def _operation_job(api: FlowApi, status: FlowReleaseStatus) -> JobState | None:
    op = status.operation
    if op is None or op.kind not in ("import", "reimport") or not op.id:
        return None
    try:
        return await api.get_job(op.id)
    except NotFound:
        return None


async def _recorded_job(api: FlowApi, status: FlowReleaseStatus) -> JobState | ServiceUnavailable | None:
    record = status.job
    if record is None or not record.id or record.unavailable:
        return None
    try:
        if record.kind == "validate":
            return await api.get_validate_job(record.id)
        return await api.get_export_job(record.id)
    except Unavailable as unavailable:
        return ServiceUnavailable(unavailable.status or 0, unavailable.message)
    except NotFound:
        return None


async def observe_flow(api: FlowApi, spec: FlowReleaseSpec, status: FlowReleaseStatus) -> FlowState | None:
    """The release's flow: by the id already recorded (unless the selector moved), else by the selector."""
    selector = spec.flow
    known = status.flow
    if known is not None and known.id:
        matches = (not selector.id or selector.id == known.id) and (
            not selector.name or selector.name == known.name
        )
        if matches:
            flow = await get_flow(api, known.id)
            if flow is not None or selector.id:
                return flow
            # deleted and recreated under the same name: look it up again
    if selector.id:
        return await get_flow(api, selector.id)
    return await api.find_flow(name=selector.name, flow_type=selector.type or "")


async def get_flow(api: FlowApi, flow_id: str) -> FlowState | None:
    """The flow, or None when it does not exist or was deleted (404, 410 R9, or `deleted: true`)."""
    try:
        flow = await api.get_flow(flow_id)
    except NotFound:
        return None
    return None if flow.deleted else flow
