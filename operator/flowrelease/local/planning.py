"""`flowrelease plan`: what sync would do next for one release, from a read-only look at Genesys.

It observes (find the flow, read the in-flight Architect job), asks the engine's pure planner for the next
step and says it in words. Nothing is written: no Genesys call with a side effect, no state file, no audit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from flowrelease.api.manifests import ResolvedRelease
from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import prepare_source
from flowrelease.engine.observing import observe
from flowrelease.engine.planner import desired_version, plan
from flowrelease.engine.ports import FlowApi, FlowApiError
from flowrelease.local.emulated import EmulatedOrgs
from flowrelease.local.inputs import Inputs
from flowrelease.local.preflight import PreflightRelease, preflight
from flowrelease.local.state_store import JsonFileStatusStore, spec_digest
from flowrelease.local.wiring import HTTP_TIMEOUT, GenesysClients


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
    requested_at: str = "",
) -> PlannedRelease:
    spec = release.spec
    source = None
    if spec.source is not None and source_yaml is not None:
        source = prepare_source(source_yaml, spec.source.substitutions, spec.flow)
    can_export = spec.export is not None and spec.export.git is not None
    observation = await observe(api, spec, status, source, can_export=can_export)
    flow = observation.flow
    step = plan(spec, status, observation, now=now, generation=generation, requested_at=requested_at)
    published = (flow.published_version or "") if flow is not None else ""
    action, description = describe(step, release, status, observation)
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
    if spec.source is not None and desired is None:
        ref = spec.source.config_map_ref
        return (
            "import",
            f"import Archy YAML from ConfigMap {ref.name} key {ref.key} and publish it "
            f"(published now: {now_live})",
        )
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
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        clients = GenesysClients(http)
        await preflight(
            [PreflightRelease(resolved, emulators.aim(resolved.release)) for resolved in inputs.releases],
            clients,
        )

        async def one(resolved: ResolvedRelease) -> PlannedRelease:
            release = emulators.aim(resolved.release)
            digest = spec_digest(resolved.release, resolved.source_yaml)
            try:
                return await plan_release(
                    clients.for_release(release.spec.genesys.environment, resolved.credentials),
                    release,
                    store.status(resolved.key),
                    generation=store.generation_if(resolved.key, digest),
                    source_yaml=resolved.source_yaml,
                    now=now,
                )
            except FlowApiError as error:
                flow = resolved.release.spec.flow
                return PlannedRelease(
                    resolved.key, flow.name or flow.id, "", "error", f"cannot observe: {error}"
                )

        return list(await asyncio.gather(*(one(resolved) for resolved in inputs.releases)))
