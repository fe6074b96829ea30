"""Running the side-effect steps the planner chose, through the ports. No decisions here.

Every step that changes Genesys first saves its intent (`save`, durable before returning), then acts, then
answers with a `Folded` (the status after it, Events, audit facts). What Genesys answered is recorded as a
fact for the planner: an acknowledgement (`posted_at`, the id), or a refusal (HTTP 400/404/409 on the side
effect) — the planner, not an exception handler, decides what a refusal means. Other errors (Transient,
AuthenticationFailed, PermissionDenied) propagate to the orchestrator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from flowrelease.api import conditions as C
from flowrelease.api.models import CheckRecord, FlowRelease, FlowReleaseStatus, ValidationMessage
from flowrelease.engine import steps as S
from flowrelease.engine.bounds import CONFLICT_RETRY_SECONDS
from flowrelease.engine.checks import CheckProbe, CheckReading, judge_check, kind_of
from flowrelease.engine.dependency_hash import dependency_hash as hash_of_dependencies
from flowrelease.engine.evidence import parse_time, snapshot
from flowrelease.engine.export_target import export_target_problem
from flowrelease.engine.judgement import Rejection, check_dependencies, check_version, version_shown_by
from flowrelease.engine.locks import describe_holder
from flowrelease.engine.outcome import OutcomeKind, ReleaseEvent
from flowrelease.engine.ports import (
    ArtifactProvenance,
    ArtifactStore,
    ArtifactStoreError,
    Conflict,
    ExportedFlow,
    FlowApi,
    FlowApiError,
    FlowState,
    InvalidRequest,
    Milestone,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from flowrelease.engine.status_folding import Folder, condition, timestamp
from flowrelease.engine.step_fold import Folded

Save = Callable[[FlowReleaseStatus], Awaitable[None]]
Watch = Callable[[str], Awaitable[None]]
Post = Callable[[FlowReleaseStatus, str], Awaitable[Folded]]
REFUSALS = (InvalidRequest, Conflict, NotFound)
"""What Genesys answers when it will not do a side effect: recorded for the planner, never retried blindly."""


@dataclass(frozen=True)
class GateChecked:
    status: FlowReleaseStatus
    """With the dependency hash (and, when they passed, the gate's notes) recorded."""
    rejection: Rejection | None


@dataclass
class Effects:
    """Side effects for one release pass."""

    api: FlowApi
    release: FlowRelease
    folder: Folder
    save: Save
    artifacts: ArtifactStore | None
    git_credentials: Mapping[str, str]
    checks: CheckProbe | None = None
    """Runs the external checks of verify stages (None: a check fails saying it cannot run)."""
    unlocked: bool = False
    """A lock was broken in this pass: a lock still shown after it (a lagging read) is waited out."""
    watch: Watch | None = None
    """Called with the flow id after an intent is saved and before its POST: notifications about the flow
    must be subscribed before Genesys can finish the work (`CompletionHints.watch`)."""

    async def _watch(self, flow_id: str) -> None:
        if self.watch is not None:
            await self.watch(flow_id)

    async def _record_then_post(self, intended: FlowReleaseStatus, flow_id: str, post: Post) -> Folded:
        """The crash-safe order of every POST: the intent durable first, the flow's topic subscribed second
        (Genesys may finish before the POST returns), the POST last."""
        await self.save(intended)
        await self._watch(flow_id)
        return await post(intended, flow_id)

    async def run(self, step: S.Step, status: FlowReleaseStatus, observation: S.Observation) -> Folded:
        flow = observation.flow
        match step:
            case S.ForceUnlock():
                return await self._force_unlock(step, status, _need(flow))
            case S.CheckExportTarget():
                return await self._check_export_target(status)
            case S.Validate():
                return await self._validate(step.version, status, _need(flow))
            case S.StartPublish():
                intended = self.folder.publish_intended(
                    status,
                    version=step.version,
                    last_good=step.last_good,
                    prior_operation=snapshot(_need(flow).current_operation),
                )
                posted = await self._record_then_post(intended, _need(flow).id, self._post_publish)
                events = (ReleaseEvent("Normal", "Publishing", f"Publishing version {step.version}"),)
                return _with_events(posted, events)
            case S.ResendOperation():
                await self._watch(_need(flow).id)
                return await self._resend(status, _need(flow))
            case S.StartImport():
                return await self._import(step, status, flow)
            case S.SampleVerifyStage():
                return await self._sample(step, status, _need(flow))
            case S.RunCheck():
                return await self._run_check(step, status)
            case S.StartRollbackPublish():
                current = _need(flow)
                intended = self.folder.rollback_publish_intended(
                    status,
                    version=step.version,
                    prior_operation=snapshot(current.current_operation),
                    prior_published=current.published_version or "",
                )
                return await self._record_then_post(intended, current.id, self._post_publish)
            case S.StartRestore():
                return await self._restore(step, status, _need(flow))
            case S.StartCheckin():
                current = _need(flow)
                intended = self.folder.checkin_intended(
                    status,
                    draft=step.draft,
                    prior_operation=snapshot(current.current_operation),
                    prior_checked_in=current.checked_in_version or "",
                )
                return await self._record_then_post(intended, current.id, self._post_checkin)
            case S.StartExportJob():
                return await self._start_export(step.version, status, _need(flow))
            case S.StartReimport():
                return await self._reimport(step, status, _need(flow))
            case S.StoreArtifact():
                return await self._store(step, status, _need(flow))
        raise ValueError(f"{type(step).__name__} changes nothing in Genesys: fold it with fold_step")

    # -- locks and validation ---------------------------------------------------------------------------

    async def _force_unlock(self, step: S.ForceUnlock, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        holder = describe_holder(step.holder)
        if self.unlocked:
            message = f"the lock of {holder} is still shown after unlocking; looking again"
            return Folded(
                self.folder.waiting(status, C.WAITING_FOR_LOCK, message),
                audit="waiting",
                ends=OutcomeKind.WAITING,
                after=CONFLICT_RETRY_SECONDS,
            )
        self.unlocked = True
        await self.api.unlock(flow.id)
        event = ReleaseEvent(
            "Warning", "LockBroken", f"Broke the lock held by {holder} (lockPolicy ForceUnlock)"
        )
        return Folded(status, (event,), details={"lock_broken": holder}, stale=True)

    async def _check_export_target(self, status: FlowReleaseStatus) -> Folded:
        """Read-only: the ArtifactStore checks spec.export.git; what it found is a fact for the planner."""
        store = self.artifacts
        target = self.release.spec.export.git if self.release.spec.export else None
        assert store is not None and target is not None, "the planner checks only with a store and a target"
        try:
            await store.check_target(target, self.git_credentials)
        except ArtifactStoreError as error:
            problem = export_target_problem(error)
            failed = self.folder.export_target_failed(status, problem.message, permanent=problem.permanent)
            return Folded(
                failed,
                audit="failed" if problem.permanent else "error",
                details={"export_target": problem.message, "permanent": problem.permanent},
            )
        return Folded(self.folder.export_target_checked(status), details={"export_target": "ok"})

    async def gate_checks(self, version: str, status: FlowReleaseStatus, flow: FlowState) -> GateChecked:
        """Read-only: the gate's own checks of `version`, cheapest first (the first rejection ends them):
        checked in, dependencies present and pinned. `flowrelease plan` runs these alone."""
        info = version_shown_by(flow, version) or await self.api.get_version(flow.id, version)
        rejection = check_version(flow.name, version, info)
        if rejection is not None:
            return GateChecked(status, rejection)
        report = await self.api.consumed_resources(flow.id, version, flow.type)
        dependency_hash, rejection = check_dependencies(report, self.release.spec.release.dependency_hash)
        status = status.model_copy(update={"dependency_hash": dependency_hash})
        if rejection is not None:
            return GateChecked(status, rejection)
        notes = []
        if not report.build_operational:
            notes.append(
                ValidationMessage(
                    type="Warning",
                    text="dependency tracking is not OPERATIONAL; consumed resources may be stale",
                )
            )
        checked = self.folder.gate_checked(status, dependency_hash=dependency_hash, notes=notes)
        return GateChecked(checked, None)

    async def _validate(self, version: str, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        """The gate's own checks (the first rejection ends it); then the validate job."""
        gate = await self.gate_checks(version, status, flow)
        if gate.rejection is not None:
            return self._reject(gate.status, gate.rejection)
        checked = gate.status
        dependency_hash = checked.dependency_hash
        try:
            job_id = await self.api.start_validate(flow.id, version)
        except Unavailable as unavailable:
            why = f"HTTP {unavailable.status}: {unavailable.message}"
            started = self.folder.job_started(
                checked, kind="validate", version=version, job_id="", unavailable=why
            )
            return Folded(started, details={"dependency_hash": dependency_hash, "validate_job": why})
        started = self.folder.job_started(checked, kind="validate", version=version, job_id=job_id)
        return Folded(started, details={"dependency_hash": dependency_hash, "job": job_id}, stale=True)

    def _reject(self, status: FlowReleaseStatus, rejection: Rejection) -> Folded:
        failed = self.folder.validation_failed(status, reason=rejection.reason, message=rejection.message)
        return Folded(
            failed,
            (ReleaseEvent("Warning", C.VALIDATION_FAILED, rejection.message),),
            audit="failed",
            details={"reason": rejection.reason, "message": rejection.message},
            milestone=Milestone.VALIDATION_FAILED,
        )

    # -- publish, restore, check-in -----------------------------------------------------------------------

    def _refused(self, status: FlowReleaseStatus, error: FlowApiError) -> Folded:
        refused = self.folder.operation_refused(
            status, http_status=error.status or 0, code=error.code, message=error.message
        )
        op = status.operation
        kind = op.kind if op else ""
        return Folded(refused, audit="failed", details={"refused": error.message, "kind": kind})

    async def _post_publish(self, status: FlowReleaseStatus, flow_id: str) -> Folded:
        """POST publish of the recorded operation's version; its id is saved with the acknowledgement."""
        op = status.operation
        assert op is not None, "the intent is recorded before posting"
        try:
            started = await self.api.publish_version(flow_id, op.version)
        except REFUSALS as refusal:
            return self._refused(status, refusal)
        posted = self.folder.operation_posted(status, started.id)
        return Folded(posted, details={"operation": started.id, "kind": op.kind}, stale=True)

    async def _restore(self, step: S.StartRestore, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        """Read the last good configuration (no side effect), save the intent, then POST it as a draft."""
        try:
            configuration = await self.api.version_configuration(flow.id, step.old_version)
        except NotFound as gone:
            intended = self.folder.restore_intended(status, old_version=step.old_version, prior_saved="")
            return self._refused(intended, gone)
        intended = self.folder.restore_intended(
            status, old_version=step.old_version, prior_saved=flow.saved_version or ""
        )
        await self.save(intended)
        return await self._create_draft(intended, flow.id, step.old_version, configuration)

    async def _create_draft(
        self,
        status: FlowReleaseStatus,
        flow_id: str,
        old_version: str,
        configuration: Mapping[str, object] | None = None,
    ) -> Folded:
        try:
            if configuration is None:
                configuration = await self.api.version_configuration(flow_id, old_version)
            created = await self.api.create_version(flow_id, configuration)
        except REFUSALS as refusal:
            return self._refused(status, refusal)
        recorded = self.folder.draft_recorded(status, created.id)
        return Folded(recorded, details={"old_version": old_version, "draft": created.id}, stale=True)

    async def _post_checkin(self, status: FlowReleaseStatus, flow_id: str) -> Folded:
        try:
            started = await self.api.checkin(flow_id)
        except REFUSALS as refusal:
            return self._refused(status, refusal)
        posted = self.folder.operation_posted(status, started.id)
        op = status.operation
        return Folded(
            posted, details={"operation": started.id, "draft": op.version if op else ""}, stale=True
        )

    async def _resend(self, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        op = status.operation
        assert op is not None, "only a recorded intent is sent again"
        if op.kind in ("publish", "rollback"):
            folded = await self._post_publish(status, flow.id)
        elif op.kind == "restore":
            folded = await self._create_draft(status, flow.id, op.version)
        elif op.kind == "checkin":
            folded = await self._post_checkin(status, flow.id)
        else:
            raise ValueError(f"a {op.kind} is imported again with a new job, not sent again")
        return replace(folded, details={**folded.details, "resent": True})

    # -- Architect imports ----------------------------------------------------------------------------------

    async def _import(self, step: S.StartImport, status: FlowReleaseStatus, flow: FlowState | None) -> Folded:
        intended = self.folder.import_intended(
            status,
            digest=step.source.digest,
            last_good=step.last_good,
            prior_operation=snapshot(flow.current_operation) if flow is not None else None,
        )
        await self.save(intended)
        if flow is not None:  # a new flow has no id, hence no topic, until the job creates it
            await self._watch(flow.id)
        uploaded = await self._register_and_upload(intended, step.source.text)
        job_id = uploaded.operation.id if uploaded.operation else ""
        event = ReleaseEvent(
            "Normal", "Importing", f"Architect job {job_id} is importing '{step.source.name}'"
        )
        return Folded(
            uploaded, (event,), details={"job": job_id, "source_digest": step.source.digest}, stale=True
        )

    async def _register_and_upload(self, intended: FlowReleaseStatus, text: str) -> FlowReleaseStatus:
        job_id, url, headers = await self.api.start_import()
        registered = self.folder.operation_registered(intended, job_id)
        await self.save(registered)
        await self.api.upload_import(url, headers, text)
        return self.folder.operation_posted(registered, "")

    async def _reimport(self, step: S.StartReimport, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        try:
            yaml_text = await self.api.download_export(step.download_url)
        except (PermissionDenied, NotFound) as expired:
            # the signed URL expired or the export is gone: export again (nothing was sent yet)
            return Folded(
                status.model_copy(update={"job": None}),
                audit="error",
                details={"error": expired.message},
                stale=True,
            )
        intended = self.folder.reimport_intended(
            status,
            old_version=step.version,
            prior_operation=snapshot(flow.current_operation),
            prior_published=flow.published_version or "",
        )
        await self.save(intended)
        await self._watch(flow.id)
        try:
            uploaded = await self._register_and_upload(intended, yaml_text)
        except REFUSALS as refusal:
            return self._refused(intended, refusal)
        job_id = uploaded.operation.id if uploaded.operation else ""
        return Folded(uploaded, details={"job": job_id, "version": step.version}, stale=True)

    # -- verify -------------------------------------------------------------------------------------------

    async def _sample(self, step: S.SampleVerifyStage, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        progress = status.verification
        now = self.folder.now
        since = parse_time(progress.started_at) if progress and progress.started_at else now
        until = min(since + timedelta(seconds=step.window_seconds), now)
        version = status.published_version
        sample = await self.api.flow_version_sample(flow.id, version, since, until)
        sampled = self.folder.stage_sampled(status, step.stage, step.window_seconds, sample)
        return Folded(
            sampled,
            details={
                "stage": step.stage.name,
                "version": version,
                "window_seconds": step.window_seconds,
                "entries": sample.entries,
                "outcomes": sample.outcomes,
                "failed_outcomes": sample.failed_outcomes,
                "exits": sample.exits,
                "disconnects": sample.disconnects,
            },
        )

    async def _run_check(self, step: S.RunCheck, status: FlowReleaseStatus) -> Folded:
        check = step.check
        if self.checks is None:
            reading = CheckReading(check.name, error="external checks are not available to this engine")
        else:
            reading = await self.checks.read(check)
        verdict = judge_check(check, reading)  # for the audit line only; the planner judges again
        record = CheckRecord(
            name=check.name,
            kind=kind_of(check),
            attempts=step.attempt,
            target=reading.target,
            http_status=reading.status,
            value=verdict.value,
            error=reading.error,
            retry_after_seconds=reading.retry_after_seconds,
            threshold=verdict.threshold,
            passed=verdict.passed,
            message=verdict.message,
        )
        return Folded(
            self.folder.check_attempted(status, record),
            details={
                "stage": step.stage.name,
                "check": check.name,
                "kind": record.kind,
                "attempt": step.attempt,
                "passed": verdict.passed,
                "value": verdict.value,
                "message": verdict.message,
            },
            milestone=Milestone.CHECK_ATTEMPTED,
        )

    # -- export ---------------------------------------------------------------------------------------------

    async def _start_export(self, version: str, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        op = status.operation
        if op is not None and op.kind == "reimport" and not op.posted_at:
            status = status.model_copy(update={"operation": None})  # abandoned: its file never arrived
        try:
            job_id = await self.api.start_export(flow.id, version)
        except REFUSALS as refusal:
            refused = self.folder.job_started(
                status, kind="export", version=version, job_id="", unavailable=refusal.message
            )
            return Folded(refused, audit="failed", details={"refused": refusal.message})
        started = self.folder.job_started(status, kind="export", version=version, job_id=job_id)
        return Folded(started, details={"job": job_id, "version": version}, stale=True)

    async def _store(self, step: S.StoreArtifact, status: FlowReleaseStatus, flow: FlowState) -> Folded:
        store = self.artifacts
        target = self.release.spec.export.git if self.release.spec.export else None
        assert store is not None and target is not None, "the planner exports only with a store and a target"
        version = step.version
        try:
            yaml_text = await self.api.download_export(step.download_url)
        except (PermissionDenied, NotFound) as expired:
            return self._export_failed(
                status, version, f"the export download failed: {expired.message}", False
            )
        configuration = await self.api.version_configuration(flow.id, version)
        if not status.dependency_hash:
            # an import (source mode) or a version found live passed no gate that hashed its dependencies:
            # the artifact records them all the same
            report = await self.api.consumed_resources(flow.id, version, flow.type)
            status = status.model_copy(update={"dependency_hash": hash_of_dependencies(report.consumed)})
        exported = ExportedFlow(
            flow_id=flow.id,
            flow_name=flow.name,
            flow_type=flow.type,
            version=version,
            yaml=yaml_text,
            configuration=configuration,
        )
        provenance = ArtifactProvenance(
            release=self.release.key,
            label=self.release.spec.release.label,
            flow_id=flow.id,
            flow_name=flow.name,
            flow_type=flow.type,
            version=version,
            dependency_hash=status.dependency_hash,
            operation_id=status.published_operation_id,
            exported_at=timestamp(self.folder.now),
            source_digest=status.source_digest if self.release.spec.source is not None else "",
        )
        try:
            stored = await store.store(target, self.git_credentials, exported, provenance)
        except ArtifactStoreError as error:
            return self._export_failed(status, version, str(error), error.permanent)
        done = self.folder.exported(status, version=version, stored=stored)
        message = condition(done, C.EXPORTED)
        return Folded(
            done,
            (ReleaseEvent("Normal", "Exported", message.message if message else ""),),
            details={"path": stored.path, "commit": stored.commit, "changed": stored.changed},
            milestone=Milestone.EXPORTED,
        )

    def _export_failed(
        self, status: FlowReleaseStatus, version: str, message: str, permanent: bool
    ) -> Folded:
        failed = self.folder.export_failed(status, message, permanent=permanent)
        return Folded(
            failed,
            (ReleaseEvent("Warning", C.EXPORT_FAILED, f"Export of version {version} failed: {message}"),),
            audit="error",
            details={"error": message, "permanent": permanent},
            milestone=Milestone.EXPORT_FAILED,
        )


def _need(flow: FlowState | None) -> FlowState:
    assert flow is not None, "the planner only chooses flow steps when the flow was observed"
    return flow


def _with_events(folded: Folded, events: tuple[ReleaseEvent, ...]) -> Folded:
    return replace(folded, events=events + folded.events)
