"""Resuming the side effect recorded in `status.operation`: PURE. Completion and failure rules of DESIGN §2.

- Success is the target read back: `publishedVersion` (publish, rollback, import, reimport) or a changed
  `checkedInVersion` (checkin).
- Failure is an operation demonstrably ours (`evidence.ours`) reporting FAILURE, a job reporting Failure, a
  refusal (HTTP 400/404/409 recorded by the executor), or the timeout.
- Anything else is "not visible yet" for `VISIBILITY_GRACE_SECONDS` after the acknowledgement (or, when the
  acknowledgement was never recorded, after the intent). Past it, an acknowledged POST changed nothing
  (ignored). An unacknowledged forward publish never reached Genesys and is sent again, once, after that
  observation and that wait; an unacknowledged rollback side effect is not sent again (it may have been
  sent and ignored): its route is left and the next route restores the same configuration. A pass never
  sends twice: every send is followed by an observation that waits.
"""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowIdentity, OperationRecord, RollbackRecord, RouteResult
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem
from flowrelease.engine.bounds import CONFLICT_RETRY_SECONDS, MIN_UNSEEN_READS, UPLOAD_GRACE_SECONDS
from flowrelease.engine.evidence import CHECKIN, PUBLISH, busy, failed, failure_detail, ours, succeeded
from flowrelease.engine.locks import lock_step
from flowrelease.engine.ports import FlowState, JobState
from flowrelease.engine.rollback_routes import leave_route, rollback_step
from flowrelease.engine.situation import Situation

ROLLBACK_KINDS = frozenset({"rollback", "restore", "checkin", "reimport"})


def resume(situation: Situation, op: OperationRecord) -> S.Step:
    if op.kind == "import":
        return _import(situation, op)
    flow = situation.observation.flow
    if flow is None:
        reason = C.ROLLBACK_FAILED if op.kind in ROLLBACK_KINDS else C.FLOW_NOT_FOUND
        return S.ReleaseFailed(
            reason, f"the flow disappeared (deleted?) while its {op.kind} operation was in flight"
        )
    if op.kind == "reimport":
        return _reimport(situation, op, flow)
    if op.kind == "publish":
        return _publish(situation, op, flow)
    if op.kind == "rollback":
        return _rollback_publish(situation, op, flow)
    if op.kind == "restore":
        return _restore(situation, op, flow)
    return _checkin(situation, op, flow)


# ------------------------------------------------------------------------------------------ helpers


def _rollback(situation: Situation) -> RollbackRecord:
    status = situation.status
    return status.rollback or RollbackRecord(target_version=status.last_good_version)


def _route_timed_out(situation: Situation, op: OperationRecord) -> bool:
    started = _rollback(situation).route_started_at or op.started_at
    return situation.since(started) >= situation.timeout


def _leave(situation: Situation, result: RouteResult, message: str) -> S.LeaveRoute:
    return leave_route(_rollback(situation).route, result, message)


def _unseen(situation: Situation, op: OperationRecord, what: str, reason: str, ignored: S.Step) -> S.Step:
    """No sign of `what` on the flow: not visible yet within the grace; then ignored (acknowledged, or a
    rollback step that was never acknowledged) or sent again (a forward publish never acknowledged: the
    request did not reach Genesys)."""
    grace = situation.grace
    reads = situation.observation.operation_reads
    if op.posted_at:
        if situation.since(op.posted_at) < grace:
            return situation.poll_wait(
                op.started_at,
                reason,
                f"{what}: Genesys acknowledged it; not visible on the flow yet (looking for up to {grace:g}s "
                f"after the acknowledgement, timeout {situation.timeout:g}s)",
                until=situation.later(op.posted_at, grace),
                regular=True,
            )
        if reads < MIN_UNSEEN_READS:
            return _reading_again(situation, op, reason, what, reads)
        return ignored
    if situation.since(op.started_at) < grace:
        again = "sending it again" if op.kind == "publish" else "taking the next route"
        return situation.poll_wait(
            op.started_at,
            reason,
            f"{what}: recorded, not acknowledged; looking for it on the flow for {grace:g}s before {again}",
            until=situation.later(op.started_at, grace),
            regular=True,
        )
    if reads < MIN_UNSEEN_READS:
        return _reading_again(situation, op, reason, what, reads)
    if op.kind in ROLLBACK_KINDS and isinstance(ignored, S.LeaveRoute):
        return S.LeaveRoute(
            ignored.route,
            "ignored",
            f"{what} was recorded but never acknowledged, and {grace:g}s later the flow shows no sign of it "
            "(never sent, or sent and ignored); not sending it twice",
            ignored.next_route,
        )
    return S.ResendOperation(
        f"no sign of {what} {grace:g}s after its intent was recorded: the request never reached Genesys"
    )


def _reading_again(situation: Situation, op: OperationRecord, reason: str, what: str, reads: int) -> S.Wait:
    """The grace's time is over but too few reads have shown the flow since (a tight rate limit): a read
    that lags by count (R1) must not be taken for "nothing happened"."""
    return situation.poll_wait(
        op.started_at,
        reason,
        f"{what}: no sign of it on the flow after the {situation.grace:g}s grace, but only {reads} of "
        f"{MIN_UNSEEN_READS} reads so far (a read may lag by count); reading again before concluding",
        regular=True,
    )


def _running(
    situation: Situation, op: OperationRecord, reason: str, what: str, seen: str, *, job: str = ""
) -> S.Wait:
    """`job`: the status an Architect job of ours reads (see `job_cadence`)."""
    return situation.poll_wait(
        op.started_at,
        reason,
        f"{what}: {seen} (timeout {situation.timeout:g}s)",
        regular=job_cadence(job) == "regular",
        announced=not job,
    )


def job_cadence(status: str) -> str:
    """How a running Architect job is looked at while its flow's topic is live. PURE.

    "regular" while it is `Registered` (R6: it has not begun; `v2.flows` carries the flow, not the job, so
    no event says it moved on — and under the adversarial reading of R6 it moves on only after some reads
    of it); "pushed" once `Started`: the job ends by publishing a new version of the flow, which the flow's
    topic announces, so the safety net suffices (a job that fails changes no flow: it is read on the net,
    up to 16 s late). Not a job (`""`): "pushed", the publish rules apply. Right after the upload the
    first look is the net's (`reconciler._await_event`): a Genesys job runs on its own clock, so its end
    wakes the release; a job that moves only when read is started by that look, 16 s late, and then read
    on the regular schedule while Registered."""
    return "regular" if status == "Registered" else "pushed"


def _reason(situation: Situation, op: OperationRecord) -> str:
    if op.kind == "publish":
        return C.PUBLISHING
    if op.kind == "import":
        return C.IMPORTING
    route = _rollback(situation).route
    return {"republish": C.ROLLING_BACK, "restore": C.RESTORING, "reimport": C.REIMPORTING}[route]


# ---------------------------------------------------------------------------------- forward publish


def _publish(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    spec, status = situation.spec, situation.status
    target = op.version
    mine = ours(flow, op, PUBLISH)
    if flow.published_version == target:
        return S.PublishSucceeded(target, mine.id if mine else op.id, f"publishedVersion is {target}")
    if op.refused is not None:
        return _publish_refused(situation, op, flow)
    if mine is not None and not op.posted_at:
        return S.AdoptOperation(mine.id, _adopt_reason(op))
    if mine is not None and failed(mine):
        return rollback_step(
            spec, status, C.PUBLISH_FAILED, f"publishing version {target} failed: {failure_detail(mine)}"
        )
    if situation.since(op.started_at) >= situation.timeout:
        return rollback_step(
            spec,
            status,
            C.PUBLISH_TIMED_OUT,
            f"publishing version {target} did not finish within spec.publish.timeoutSeconds "
            f"({spec.publish.timeout_seconds}s)",
        )
    what = f"Publishing version {target}"
    if mine is not None:
        return _running(situation, op, C.PUBLISHING, what, _seen(mine.id, mine.action_status, target))
    ignored = S.ReleaseFailed(
        C.PUBLISH_IGNORED,
        f"Genesys acknowledged publishing version {target} (operation {op.id or 'unknown'}) but "
        f"{situation.grace:g}s later no operation of ours is on the flow and publishedVersion is still "
        f"{flow.published_version or 'none'}; nothing was changed. If {target} is older than the published "
        "version, this org may not publish older versions: save its configuration as a new version and "
        "release that",
    )
    return _unseen(situation, op, what, C.PUBLISHING, ignored)


def _publish_refused(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    """A refused forward publish. 409 is "locked or busy": a lock someone holds follows lockPolicy; a busy
    flow (an operation running, perhaps hidden by a lagging read) is waited out, then sent again, within
    the publish timeout. Anything else (400, 404) needs a person."""
    refusal = op.refused
    assert refusal is not None
    if refusal.status != 409:
        reason = {404: C.NOT_FOUND, 410: C.NOT_FOUND}.get(refusal.status, C.INVALID_REQUEST)
        return S.ReleaseFailed(reason, f"publish failed: {refusal.message}")
    locked = lock_step(situation.spec, situation.status, flow, situation.now)
    if locked is not None:
        return locked
    if situation.since(op.started_at) >= situation.timeout:
        return S.ReleaseFailed(
            C.CONFLICT,
            f"publish failed: Genesys kept answering 409 for {situation.timeout:g}s: {refusal.message}",
        )
    waited = situation.since(refusal.at)
    if waited < CONFLICT_RETRY_SECONDS or busy(flow):
        return S.Wait(
            CONFLICT_RETRY_SECONDS if busy(flow) else CONFLICT_RETRY_SECONDS - waited,
            C.CONFLICT,
            f"publish met a conflict ({refusal.message}); looking again in {CONFLICT_RETRY_SECONDS:g}s",
        )
    return S.ResendOperation(f"publish met a conflict {CONFLICT_RETRY_SECONDS:g}s ago; the flow is idle now")


def _adopt_reason(op: OperationRecord) -> str:
    return (
        f"the {op.kind} intent was recorded but its acknowledgement was not; the flow shows our operation "
        "started after it: adopting it, never posting again"
    )


def _seen(operation_id: str, action_status: str, target: str) -> str:
    if action_status == "SUCCESS":
        return f"operation {operation_id} reports SUCCESS; waiting for publishedVersion to read {target}"
    return f"operation {operation_id} is {action_status or 'running'}"


# --------------------------------------------------------------------------- rollback side effects


def _rollback_publish(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    target = op.version
    route = _rollback(situation).route
    what = f"Rolling back: publishing version {target} (route {route})"
    reason = _reason(situation, op)
    mine = ours(flow, op, PUBLISH)
    timed_out = _route_timed_out(situation, op)
    if flow.published_version == target:
        if not busy(flow):
            return S.RollbackSucceeded(target, route, f"publishedVersion reads back {target}")
        if not timed_out:
            return _running(situation, op, reason, what, "version is live; waiting for the flow to be idle")
    if op.refused is not None:
        return _leave(situation, "refused", f"publishing version {target} was refused: {op.refused.message}")
    if mine is not None and not op.posted_at:
        return S.AdoptOperation(mine.id, _adopt_reason(op))
    if mine is not None and failed(mine):
        return _leave(situation, "failed", f"publishing version {target} failed: {failure_detail(mine)}")
    if timed_out:
        return _leave(
            situation,
            "timedOut",
            f"publishing version {target} did not finish within {situation.timeout:g}s; publishedVersion is "
            f"{flow.published_version or 'none'}",
        )
    if mine is not None:
        return _running(situation, op, reason, what, _seen(mine.id, mine.action_status, target))
    ignored = _leave(
        situation,
        "ignored",
        f"Genesys acknowledged publishing version {target} but {situation.grace:g}s later nothing of ours is "
        f"on the flow and publishedVersion is still {flow.published_version or 'none'}",
    )
    return _unseen(situation, op, what, reason, ignored)


def _restore(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    """The draft POST was recorded but its answer was not (a restart, or an error in transit)."""
    if op.refused is not None:
        return _leave(
            situation,
            "refused",
            f"saving the configuration of version {op.version} as a new version was refused: "
            f"{op.refused.message}",
        )
    draft = flow.saved_version
    if draft and draft != op.prior_version:
        return S.AdoptDraft(draft, f"the flow shows draft {draft}, saved after our intent")
    if _route_timed_out(situation, op):
        return _leave(situation, "timedOut", f"no draft of version {op.version} appeared in time")
    what = f"Restoring version {op.version} as a new draft"
    ignored = _leave(
        situation, "ignored", "Genesys acknowledged the new version but the flow never showed it"
    )
    return _unseen(situation, op, what, C.RESTORING, ignored)


def _checkin(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    draft = op.version
    what = f"Checking in restored draft {draft}"
    mine = ours(flow, op, CHECKIN)
    if op.refused is not None:
        return _leave(situation, "refused", f"checking in draft {draft} was refused: {op.refused.message}")
    if mine is not None and not op.posted_at:
        return S.AdoptOperation(mine.id, _adopt_reason(op))
    if mine is not None and failed(mine):
        return _leave(situation, "failed", f"checking in draft {draft} failed: {failure_detail(mine)}")
    checked_in = flow.checked_in_version
    if checked_in and checked_in != op.prior_version and (mine is None or succeeded(mine)):
        return S.CheckinSucceeded(
            checked_in, f"checkedInVersion is {checked_in} after our check-in of draft {draft}"
        )
    if _route_timed_out(situation, op):
        return _leave(situation, "timedOut", f"checking in draft {draft} did not finish in time")
    if mine is not None:
        return _running(situation, op, C.RESTORING, what, f"check-in {mine.id} is {mine.action_status}")
    ignored = _leave(
        situation,
        "ignored",
        f"Genesys acknowledged checking in draft {draft} but {situation.grace:g}s later checkedInVersion is "
        f"still {flow.checked_in_version or 'none'}",
    )
    return _unseen(situation, op, what, C.RESTORING, ignored)


# ------------------------------------------------------------------------------ Architect imports


def _job_failure(job: JobState) -> str:
    texts = [m.text for m in job.messages if m.text]
    if texts:
        return "; ".join(texts)
    return (
        "Genesys reported Failure without any message; open the job in Genesys Cloud or run "
        "`archy publish` on the same file to see why"
    )


def _import(situation: Situation, op: OperationRecord) -> S.Step:
    observation = situation.observation
    job, flow = observation.job, observation.flow
    what = "Importing the Archy source"
    if job is not None and job.status == "Failure":
        return S.FailValidation(C.IMPORT_FAILED, f"the Architect job {job.id} failed: {_job_failure(job)}")
    if _job_done(job, op):
        landed = _landed(flow, op)
        if landed is not None and flow is not None:
            return S.ImportSucceeded(
                _identity(flow), landed, f"Architect job {op.id} succeeded; publishedVersion is {landed}"
            )
        return _await_read_back(situation, op, what, C.IMPORTING, _import_not_published(op, flow))
    if situation.since(op.started_at) >= situation.timeout:
        return S.ReleaseFailed(
            C.IMPORT_TIMED_OUT,
            f"Architect job {op.id or '(not registered)'} did not finish within spec.publish.timeoutSeconds "
            f"({situation.spec.publish.timeout_seconds}s); check the job in Genesys before retrying",
        )
    if job is not None and (job.status == "Started" or op.posted_at):
        # R6: after an acknowledged upload, Registered means "still running".
        return _running(
            situation, op, C.IMPORTING, what, f"Architect job {job.id} is {job.status}", job=job.status
        )
    return _import_again(situation, op)


def _import_again(situation: Situation, op: OperationRecord) -> S.Step:
    """No acknowledged upload: wait for a job to show it got its file, then import again."""
    grace = UPLOAD_GRACE_SECONDS if op.id else situation.grace
    if situation.since(op.started_at) < grace:
        return situation.poll_wait(
            op.started_at,
            C.IMPORTING,
            f"Importing the Archy source: the upload was not acknowledged; waiting up to {grace:g}s for the "
            "job to start before importing again",
            until=situation.later(op.started_at, grace),
            regular=True,  # the job is read: no flow event says it started
        )
    source = situation.observation.source
    if not isinstance(source, PreparedSource):
        message = (
            source.message
            if isinstance(source, SourceProblem | SourcePending)
            else "the Archy source is not available"
        )
        return S.FailValidation(C.SOURCE_INVALID, message)
    return S.StartImport(
        source,
        op.prior_version,
        f"the Architect job never received its file ({grace:g}s without starting); importing again",
    )


def _job_done(job: JobState | None, op: OperationRecord) -> bool:
    """The job succeeded, or is gone after it had its file (jobs expire): look at the flow for the result."""
    if job is not None:
        return job.status == "Success"
    return bool(op.id and op.posted_at)


def _landed(flow: FlowState | None, op: OperationRecord) -> str | None:
    """The version an import published, once a read shows publishedVersion moved past the intent's."""
    if flow is None or not flow.published_version or flow.published_version == op.prior_version:
        return None
    return flow.published_version


def _await_read_back(
    situation: Situation, op: OperationRecord, what: str, reason: str, never: S.Step
) -> S.Step:
    """The job succeeded but reads do not show its version yet (R1): note when, wait the grace and
    `MIN_UNSEEN_READS` reads since (R1 lags by reads as well as time), then give up.

    The read-back runs on the regular schedule even while notifications are live: the job's publish may
    already have sent its event (read stale, R1 lags by reads as well as time), so no further event need
    come, and a safety-net look every 16 s would spend most of the grace on one stale read."""
    if not op.completed_at:
        return S.ImportJobSucceeded(f"Architect job {op.id} succeeded; waiting for the flow to show it")
    if situation.since(op.completed_at) < situation.grace:
        return situation.poll_wait(
            op.completed_at,
            reason,
            f"{what}: the Architect job succeeded; waiting for publishedVersion to show the new version "
            f"(up to {situation.grace:g}s)",
            until=situation.later(op.completed_at, situation.grace),
            regular=True,
        )
    reads = situation.observation.operation_reads
    if reads < MIN_UNSEEN_READS:
        return situation.poll_wait(
            op.completed_at,
            reason,
            f"{what}: the Architect job succeeded and the {situation.grace:g}s grace is over, but only "
            f"{reads} of {MIN_UNSEEN_READS} reads since (a read may lag by count); reading again before "
            "concluding",
            regular=True,
        )
    return never


def _import_not_published(op: OperationRecord, flow: FlowState | None) -> S.Step:
    shown = (flow.published_version if flow else None) or "none"
    return S.ReleaseFailed(
        C.IMPORT_NOT_PUBLISHED,
        f"Architect job {op.id} succeeded but publishedVersion is still {shown}; check the flow in "
        "Genesys Cloud before retrying",
    )


def _identity(flow: FlowState) -> FlowIdentity:
    return FlowIdentity(id=flow.id, name=flow.name, type=flow.type)


def _reimport(situation: Situation, op: OperationRecord, flow: FlowState) -> S.Step:
    job = situation.observation.job
    target = op.version
    what = f"Re-importing the export of version {target}"
    if op.refused is not None:
        return _leave(situation, "refused", f"registering the re-import was refused: {op.refused.message}")
    if job is not None and job.status == "Failure":
        return _leave(situation, "failed", f"the re-import job {job.id} failed: {_job_failure(job)}")
    if _job_done(job, op):
        landed = _landed(flow, op)
        if landed is not None and not busy(flow):
            return S.RollbackSucceeded(landed, "reimport", f"the re-import published version {landed}")
        never = _leave(
            situation, "failed", f"the re-import job {op.id} succeeded but publishedVersion never moved"
        )
        return _await_read_back(situation, op, what, C.REIMPORTING, never)
    if _route_timed_out(situation, op):
        return _leave(situation, "timedOut", f"the re-import job {op.id} did not finish in time")
    if job is not None and (job.status == "Started" or op.posted_at):
        return _running(
            situation, op, C.REIMPORTING, what, f"Architect job {job.id} is {job.status}", job=job.status
        )
    grace = UPLOAD_GRACE_SECONDS if op.id else situation.grace
    if situation.since(op.started_at) < grace:
        return situation.poll_wait(
            op.started_at,
            C.REIMPORTING,
            f"{what}: the upload was not acknowledged; waiting up to {grace:g}s for the job to start",
            until=situation.later(op.started_at, grace),
        )
    return S.StartExportJob(
        target, f"the re-import never received its file; exporting version {target} again to re-import it"
    )
