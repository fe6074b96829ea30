"""What `sync` (and `plan`) check before any release writes anything, with read-only calls only.

- Every Git export target passes the check the engine itself runs before publishing
  (`ArtifactStore.check_target`: the URL, branch, path and Secret, then `git ls-remote` with the
  credentials), in the engine's words (`engine.export_target`): a rejected token, an unknown host key or a
  missing repository is found now, not after a publish.
- One FlowRelease per flow, by flow id as well as by name: each release's flow is looked up in Genesys
  (GET by id, or the list filtered by name and type), so a release by `flow.name` and another by `flow.id` of
  the same flow are both refused, naming each other's files; a spec whose `flow.id` is another flow than its
  `flow.name`/`type` say is refused naming both.

A release whose flow cannot be looked up (wrong credentials, a flow that does not exist yet) is left to the
engine, which reports it for that release alone. Problems are ManifestProblems (file, resource, field, fix).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flowrelease.api.errors import ManifestProblem
from flowrelease.api.manifests import ResolvedRelease, one_flow_one_release_fix
from flowrelease.api.models import KIND, FlowRelease, GitExport
from flowrelease.engine.export_target import export_target_problem
from flowrelease.engine.judgement import identity_mismatch
from flowrelease.engine.ports import ArtifactStore, ArtifactStoreError, FlowApi, FlowApiError, FlowState
from flowrelease.local.checked_targets import TargetKey, target_key
from flowrelease.local.wiring import GenesysClients, org_of


@dataclass(frozen=True)
class PreflightRelease:
    resolved: ResolvedRelease
    release: FlowRelease
    """The release as it will run (with `--emulator`, aimed at the emulator)."""

    def problem(self, field: str, fix: str) -> ManifestProblem:
        origin = self.resolved.origin
        return ManifestProblem(
            file=origin.file,
            document=origin.document,
            resource=f"{KIND} {self.resolved.key}",
            field=field,
            fix=fix,
        )


class PreflightFailed(Exception):
    """Something every run would trip over; nothing has been written. `problems` says what and where."""

    def __init__(self, problems: Sequence[ManifestProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


async def preflight(
    releases: Sequence[PreflightRelease], clients: GenesysClients, artifacts: ArtifactStore
) -> dict[str, FlowState]:
    """Raise PreflightFailed listing every problem. When every release may go ahead, return the flows
    looked up, by release key (releases whose flow was not found are left out)."""
    git_problems, (flows, flow_problems) = await asyncio.gather(
        _export_targets(releases, artifacts), _flow_identities(releases, clients)
    )
    problems = [*git_problems, *flow_problems]
    if problems:
        raise PreflightFailed(problems)
    return flows


# ------------------------------------------------------------------------------------------- Git


def export_fix(error: ArtifactStoreError) -> tuple[str, str]:
    """(field, fix) in the engine's words (`export_target_problem`), with what it means for this run."""
    problem = export_target_problem(error)
    if problem.permanent:
        return problem.field, f"{problem.text}; nothing was published"
    return problem.field, f"{problem.text}; nothing was published: rerun sync once the remote answers"


async def _export_targets(
    releases: Sequence[PreflightRelease], artifacts: ArtifactStore
) -> list[ManifestProblem]:
    """The engine's check of each distinct target and credentials, once; a problem for every release
    using it."""
    checks: dict[TargetKey, list[PreflightRelease]] = {}
    targets: dict[TargetKey, tuple[GitExport, Mapping[str, str]]] = {}
    for item in releases:
        export = item.release.spec.export
        if export is None or export.git is None:
            continue
        credentials = dict(item.resolved.git_credentials or {})
        key = target_key(export.git, credentials)
        checks.setdefault(key, []).append(item)
        targets[key] = (export.git, credentials)

    async def one(key: TargetKey) -> list[ManifestProblem]:
        target, credentials = targets[key]
        try:
            await artifacts.check_target(target, credentials)
        except ArtifactStoreError as error:
            field, fix = export_fix(error)
            return [item.problem(field, fix) for item in checks[key]]
        return []

    found = await asyncio.gather(*(one(key) for key in checks))
    return [problem for problems in found for problem in problems]


# ------------------------------------------------------------------------------------------ flows


async def _look_up(api: FlowApi, item: PreflightRelease) -> tuple[FlowState | None, ManifestProblem | None]:
    selector = item.release.spec.flow
    try:
        if selector.id:
            flow = await api.find_flow(flow_id=selector.id)
        else:
            flow = await api.find_flow(name=selector.name, flow_type=selector.type or "")
    except FlowApiError:
        return None, None  # the engine reports it (AuthenticationFailed, ...) for this release alone
    mismatch = identity_mismatch(selector, flow) if flow is not None else None
    return flow, (item.problem("spec.flow.id", mismatch) if mismatch else None)


async def _flow_identities(
    releases: Sequence[PreflightRelease], clients: GenesysClients
) -> tuple[dict[str, FlowState], list[ManifestProblem]]:
    async def one(item: PreflightRelease) -> tuple[FlowState | None, ManifestProblem | None]:
        genesys = item.release.spec.genesys
        return await _look_up(clients.for_release(genesys.environment, item.resolved.credentials), item)

    looked_up = await asyncio.gather(*(one(item) for item in releases))
    problems = [problem for _, problem in looked_up if problem is not None]
    owners: dict[tuple[str, str], list[PreflightRelease]] = {}
    for item, (flow, _) in zip(releases, looked_up, strict=True):
        if flow is not None:
            owners.setdefault((org_of(item.release.spec.genesys.environment), flow.id), []).append(item)
    for group in owners.values():
        for item in group if len(group) > 1 else ():
            others = [
                (other.resolved.key, str(other.resolved.origin)) for other in group if other is not item
            ]
            field = "spec.flow.id" if item.release.spec.flow.id else "spec.flow.name"
            problems.append(item.problem(field, one_flow_one_release_fix(others)))
    flows = {
        item.resolved.key: flow
        for item, (flow, _) in zip(releases, looked_up, strict=True)
        if flow is not None
    }
    return flows, problems
