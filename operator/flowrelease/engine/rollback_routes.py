"""Rollback as an ordered list of routes, every choice a planner decision: PURE.

1. `republish` — publish lastGoodVersion again. A real org may accept it, refuse it (400/409) or answer 200
   and do nothing (genesys-realism.md R4).
2. `restore` — save lastGoodVersion's configuration as a new draft (`POST /flows/{id}/versions`), check it
   in, publish the version the org then reports as `checkedInVersion` (check-in renumbers a
   `saved_version_<uuid>` draft, R3). The Genesys Resource Center describes rollback this way.
3. `reimport` — export lastGoodVersion as Archy YAML (an export job pins the version) and import it through
   an Architect job, which publishes it as a new version: the path CX as Code exercises at scale.

A route that is refused, ignored (no visible effect within the grace), fails or times out is left for the
next; the rollback is confirmed only by reading the restored version back as `publishedVersion` with
nothing running on the flow. Each route has `spec.publish.timeoutSeconds` of its own.
"""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import (
    ROLLBACK_ROUTES,
    FlowReleaseSpec,
    FlowReleaseStatus,
    RollbackRecord,
    RollbackRoute,
    RouteResult,
)
from flowrelease.engine import steps as S
from flowrelease.engine.bounds import EXPORT_JOB_TIMEOUT_SECONDS
from flowrelease.engine.evidence import busy
from flowrelease.engine.ports import FlowState, JobState
from flowrelease.engine.situation import Situation
from flowrelease.engine.status_folding import ROUTE_REASONS


def rollback_step(
    spec: FlowReleaseSpec, status: FlowReleaseStatus, failure_reason: str, message: str
) -> S.StartRollback | S.NoRollback:
    """What to do when the desired version failed after publishing started."""
    if spec.rollback.strategy == "None":
        return S.NoRollback(
            C.ROLLBACK_DISABLED,
            failure_reason,
            f"{message}; spec.rollback.strategy is None, so nothing is rolled back",
        )
    target = status.last_good_version
    if not target or target == status.desired_version:
        return S.NoRollback(
            C.NOTHING_TO_ROLL_BACK_TO,
            failure_reason,
            f"{message}; nothing to roll back to (no earlier published version)",
        )
    return S.StartRollback(target, failure_reason, message)


def next_route(route: RollbackRoute) -> RollbackRoute | None:
    index = ROLLBACK_ROUTES.index(route)
    return ROLLBACK_ROUTES[index + 1] if index + 1 < len(ROLLBACK_ROUTES) else None


def leave_route(route: RollbackRoute, result: RouteResult, message: str) -> S.LeaveRoute:
    return S.LeaveRoute(route, result, message, next_route(route))


def plan_rollback(situation: Situation) -> S.Step:
    """RollingBack with nothing in flight: the next action of the current route."""
    status = situation.status
    record = status.rollback or RollbackRecord(target_version=status.last_good_version)
    flow = situation.observation.flow
    if flow is None:
        return S.ReleaseFailed(C.ROLLBACK_FAILED, "the flow disappeared (deleted?) during the rollback")
    route = record.route
    restored = record.target_version if route == "republish" else record.restored_version
    if route != "reimport" and _confirmed(flow, restored):
        copy = "" if route == "republish" else f" (a copy of {record.target_version})"
        return S.RollbackSucceeded(restored, route, f"publishedVersion reads back {restored}{copy}")
    if record.route_started_at and situation.since(record.route_started_at) >= situation.timeout:
        return leave_route(
            route,
            "timedOut",
            f"no progress within {situation.timeout:g}s (publishedVersion is "
            f"{flow.published_version or 'none'})",
        )
    if route == "republish":
        return _republish(situation, record, flow)
    if route == "restore":
        return _restore(situation, record, flow)
    return _reimport(situation, record, flow)


def _when_idle(situation: Situation, record: RollbackRecord, flow: FlowState, then: S.Step) -> S.Step:
    """Nothing is sent while an operation (the failed publish, anyone's) still runs on the flow."""
    if not busy(flow):
        return then
    current = flow.current_operation
    running = f"{current.action_name} {current.id}" if current else "an operation"
    return situation.poll_wait(
        record.route_started_at,
        ROUTE_REASONS[record.route],
        f"Rolling back to version {record.target_version} (route {record.route}): waiting for {running} to "
        f"finish first (timeout {situation.timeout:g}s)",
    )


def _confirmed(flow: FlowState, version: str) -> bool:
    return bool(version) and flow.published_version == version and not busy(flow)


def _republish(situation: Situation, record: RollbackRecord, flow: FlowState) -> S.Step:
    target = record.target_version
    return _when_idle(
        situation, record, flow, S.StartRollbackPublish(target, f"publish lastGoodVersion {target} again")
    )


def _restore(situation: Situation, record: RollbackRecord, flow: FlowState) -> S.Step:
    target, restored, draft = record.target_version, record.restored_version, record.draft_version
    if restored:
        return _when_idle(
            situation,
            record,
            flow,
            S.StartRollbackPublish(restored, f"restored version {restored} is checked in; publish it"),
        )
    if draft:
        return _when_idle(situation, record, flow, S.StartCheckin(draft, f"check in draft {draft}"))
    return _when_idle(
        situation,
        record,
        flow,
        S.StartRestore(target, f"save the configuration of version {target} as a new version"),
    )


def _reimport(situation: Situation, record: RollbackRecord, flow: FlowState) -> S.Step:
    target = record.target_version
    job = situation.status.job
    if job is None or job.kind != "export" or job.version != target:
        return _when_idle(
            situation,
            record,
            flow,
            S.StartExportJob(target, f"export version {target} as Archy YAML to re-import it"),
        )
    if job.unavailable:
        return leave_route(
            "reimport", "refused", f"exporting version {target} was refused: {job.unavailable}"
        )
    seen = situation.observation.recorded_job
    if not isinstance(seen, JobState):
        return leave_route("reimport", "failed", f"the export job {job.id} of version {target} is gone")
    if seen.status == "Success" and not seen.download_url:
        return leave_route("reimport", "failed", f"the export job {job.id} succeeded without a downloadUrl")
    if seen.status == "Success":
        return _when_idle(
            situation,
            record,
            flow,
            S.StartReimport(
                target, seen.download_url, f"import the export of version {target} as a new version"
            ),
        )
    if seen.status == "Failure":
        texts = "; ".join(m.text for m in seen.messages if m.text) or "no messages"
        return leave_route("reimport", "failed", f"exporting version {target} failed: {texts}")
    if situation.since(job.started_at) >= EXPORT_JOB_TIMEOUT_SECONDS:
        return leave_route(
            "reimport",
            "timedOut",
            f"exporting version {target} did not finish in {EXPORT_JOB_TIMEOUT_SECONDS:g}s",
        )
    return situation.poll_wait(
        job.started_at,
        C.REIMPORTING,
        f"Rolling back to version {target} (route reimport): export job {job.id} is {seen.status}",
    )
