"""`flowrelease plan`: what sync would do next for each release, judged by the engine read-only.

After the same preflight as `sync`, each release gets the engine's read-only pass (`engine.read_only_pass`:
observe, plan and fold as a reconcile would, running only the checks that read — the Git export target,
the version checked in and its dependencies, the Archy source) and its first writing step is said in words,
`blocked: <reason>` when a check refused. Nothing is written: no Genesys call with a side effect, no state
file, no audit, no commit. `outcomes.plan_exit_code` turns the actions into the exit code.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flowrelease.api.manifests import ResolvedRelease
from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.planner import desired_version
from flowrelease.engine.ports import ArtifactStore, FlowApi, FlowApiError, ReleaseDirectory, UpstreamExports
from flowrelease.engine.read_only_pass import read_only_pass
from flowrelease.genesys import AiohttpSender, open_aiohttp_session
from flowrelease.gitops import GitArtifactStore
from flowrelease.local.checked_targets import TargetsCheckedOnce
from flowrelease.local.emulated import EmulatedOrgs
from flowrelease.local.folder_releases import FolderExports, FolderReleases
from flowrelease.local.inputs import Inputs
from flowrelease.local.preflight import PreflightRelease, preflight
from flowrelease.local.state_store import JsonFileStatusStore, spec_digest
from flowrelease.local.stateless import rebuilt_statuses
from flowrelease.local.wiring import GenesysClients


@dataclass(frozen=True)
class PlannedRelease:
    release: str
    flow: str
    published: str
    action: str
    """A short verb: publish, import, nothing, blocked, wait, resume, export, rollback, suspended."""
    description: str

    def to_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "flow": self.flow,
            "publishedVersion": self.published,
            "action": self.action,
            "description": self.description,
        }


async def plan_release(
    api: FlowApi,
    release: FlowRelease,
    status: FlowReleaseStatus,
    *,
    generation: int,
    source_yaml: str | None,
    now: datetime,
    artifacts: ArtifactStore | None,
    git_credentials: Mapping[str, str],
    requested_at: str = "",
    releases: ReleaseDirectory | None = None,
    upstream_exports: UpstreamExports | None = None,
) -> PlannedRelease:
    """The engine's own read-only judgement (`engine.read_only_pass`), in words."""
    judged = await read_only_pass(
        api,
        release,
        status,
        generation=generation,
        now=now,
        source_yaml=source_yaml,
        artifacts=artifacts,
        git_credentials=git_credentials,
        requested_at=requested_at,
        releases=releases,
        upstream_exports=upstream_exports,
    )
    flow = judged.observation.flow
    published = (flow.published_version or "") if flow is not None else ""
    action, description = describe(judged.step, release, judged.status, judged.observation)
    spec = release.spec
    name = flow.name if flow is not None else (spec.flow.name or spec.flow.id)
    return PlannedRelease(release.key, name, published, action, description)


def _published_now(observation: S.Observation) -> str:
    flow = observation.flow
    return (flow.published_version or "none") if flow is not None else "none (no such flow yet)"


def describe(
    step: S.Step, release: FlowRelease, status: FlowReleaseStatus, observation: S.Observation
) -> tuple[str, str]:
    """(action, sentence) for the first step the planner chose."""
    spec = release.spec
    now_live = _published_now(observation)
    desired = desired_version(spec, status, observation)
    if isinstance(step, S.Suspend):
        return "suspended", "nothing: spec.suspend is true"
    if isinstance(step, S.Settled):
        return (
            "nothing",
            f"nothing to do: {status.published_version or now_live} is live, verified and exported",
        )
    if isinstance(step, S.Stall):
        blocked = f"failedVersion {status.failed_version}: " if status.failed_version else ""
        return "blocked", f"blocked: {blocked}{step.message}"
    if isinstance(step, S.FailValidation):
        return "blocked", f"blocked: {step.message}"
    if isinstance(step, S.HoldForPromotion):
        if step.gate == "Blocked":
            return "blocked", f"blocked: {step.message}"
        return "wait", f"wait for the promotion gate: {step.message}"
    if isinstance(step, S.Wait):
        return "wait", f"wait {step.after:g}s: {step.message}"
    if isinstance(step, S.ReportDrift):
        return "drift", f"drift: {step.message}"
    if isinstance(step, S.SkipPublish):
        rest = "export" if step.verified else "verify and export"
        return "nothing", f"no publish: {step.version} is already live; {rest} only"
    if isinstance(step, S.StartRollback):
        return "rollback", f"roll back to {step.target}: {step.message}"
    if isinstance(step, (S.NoRollback, S.ReleaseFailed, S.StallExport)):
        return "blocked", f"blocked: {step.message}"
    if status.operation is not None or status.phase.value == "RollingBack":
        return "resume", f"resume the operation in flight: {_reason_of(step)}"
    if isinstance(step, (S.StartVerifyStage, S.SampleVerifyStage, S.PassVerifyStage, S.VerificationPassed)):
        return "verify", f"verify {status.published_version or desired or ''}: {_reason_of(step)}".replace(
            "  ", " "
        )
    if isinstance(step, (S.StartExportJob, S.StoreArtifact, S.ExportJobFailed, S.MarkReady)):
        return "export", f"export {status.published_version} to git: {_reason_of(step)}"
    if isinstance(step, S.ForceUnlock):
        what = desired or "the Archy source"
        return "publish", f"{step.reason}, then publish {what} (published now: {now_live})"
    if spec.source is not None and desired is None:
        ref = spec.source.config_map_ref
        imported = spec.source.from_release
        where = (
            f"from ConfigMap {ref.name} key {ref.key}"
            if ref is not None
            else f"exported by FlowRelease {imported.namespace or '(same namespace)'}/{imported.name}"
            if imported is not None
            else ""
        )
        return "import", f"import Archy YAML {where} and publish it (published now: {now_live})"

    if desired is not None and observation.flow is not None and observation.flow.published_version == desired:
        return "nothing", f"no publish: {desired} is already live; verify and export only"
    if desired is not None:
        return "publish", f"publish {desired} (published now: {now_live})"
    return "publish", f"{type(step).__name__}: {_reason_of(step)}"


def _reason_of(step: S.Step) -> str:
    for name in ("reason", "message"):
        value = getattr(step, name, "")
        if isinstance(value, str) and value:
            return value
    return type(step).__name__


async def plan_all(
    inputs: Inputs, store: JsonFileStatusStore, *, emulators: EmulatedOrgs
) -> list[PlannedRelease]:
    """The plan for every release, observed concurrently; an error observing one is its plan. Raises
    PreflightFailed for what would block sync before it starts (the same read-only checks)."""
    now = datetime.now(UTC)
    async with open_aiohttp_session() as session:
        clients = GenesysClients(AiohttpSender(session))
        with tempfile.TemporaryDirectory(prefix="flowrelease-plan-") as scratch:
            git = GitArtifactStore(Path(scratch))
            checked = TargetsCheckedOnce(git)
            aimed = [(resolved, emulators.aim(resolved.release)) for resolved in inputs.releases]
            flows = await preflight(
                [PreflightRelease(resolved, release) for resolved, release in aimed], clients, checked
            )
            # the same start as sync's in a fresh runner, so the two agree there too
            forgotten = [PreflightRelease(r, release) for r, release in aimed if not store.has(r.key)]
            rebuilt = await rebuilt_statuses(forgotten, flows, git)
            # The gate and fromRelease read the upstreams as the state file shows them: what the last sync
            # left (a sync would run them first; plan only judges).
            folder = FolderReleases({release.key: release for _, release in aimed}, store)
            exports = FolderExports(git, {resolved.key: resolved.git_credentials for resolved, _ in aimed})

            async def one(resolved: ResolvedRelease, release: FlowRelease) -> PlannedRelease:
                digest = spec_digest(resolved.release, resolved.source_yaml)
                try:
                    return await plan_release(
                        clients.for_release(release.spec.genesys.environment, resolved.credentials),
                        release,
                        rebuilt.get(resolved.key) or store.status(resolved.key),
                        generation=store.generation_if(resolved.key, digest),
                        source_yaml=resolved.source_yaml,
                        now=now,
                        artifacts=checked,
                        git_credentials=resolved.git_credentials or {},
                        releases=folder,
                        upstream_exports=exports,
                    )
                except FlowApiError as error:
                    flow = resolved.release.spec.flow
                    return PlannedRelease(
                        resolved.key, flow.name or flow.id, "", "error", f"cannot observe: {error}"
                    )

            return list(await asyncio.gather(*(one(resolved, release) for resolved, release in aimed)))
