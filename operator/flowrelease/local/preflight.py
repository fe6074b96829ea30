"""What `sync` (and `plan`) check before any release writes anything, with read-only calls only.

- Every Git export target answers `git ls-remote` with its credentials (`gitops.check_remote`): a rejected
  token, an unknown host key or a missing repository is found now, not after a publish.
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
from flowrelease.engine.ports import ArtifactStoreError, FlowApi, FlowApiError, FlowState
from flowrelease.gitops import check_remote
from flowrelease.gitops.errors import (
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitHostKeyRejected,
    InvalidGitCredentials,
    UnsafeExportPath,
)
from flowrelease.local.wiring import GenesysClients, org_of

_SECRET_PROBLEMS = (
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitHostKeyRejected,
    InvalidGitCredentials,
)


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


async def preflight(releases: Sequence[PreflightRelease], clients: GenesysClients) -> dict[str, FlowState]:
    """Raise PreflightFailed listing every problem. When every release may go ahead, return the flows
    looked up, by release key (releases whose flow was not found are left out)."""
    git_problems, (flows, flow_problems) = await asyncio.gather(
        _export_targets(releases), _flow_identities(releases, clients)
    )
    problems = [*git_problems, *flow_problems]
    if problems:
        raise PreflightFailed(problems)
    return flows


# ------------------------------------------------------------------------------------------- Git


def _export_field(error: ArtifactStoreError) -> str:
    message = str(error)
    for field in ("spec.export.git.branch", "spec.export.git.path", "spec.export.git.url"):
        if message.startswith(field):
            return field
    if isinstance(error, UnsafeExportPath):
        return "spec.export.git.path"
    if isinstance(error, _SECRET_PROBLEMS):
        return "spec.export.git.secretRef"
    return "spec.export.git.url"


def _export_fix(error: ArtifactStoreError) -> str:
    message = str(error)
    for field in ("spec.export.git.branch ", "spec.export.git.path ", "spec.export.git.url "):
        message = message.removeprefix(field)
    if error.permanent:
        return f"{message}; nothing was published"
    return f"{message}; nothing was published: rerun sync once the remote answers"


_TargetKey = tuple[str, str, str, tuple[tuple[str, str], ...]]
"""url, branch, path, credentials"""


async def _export_targets(releases: Sequence[PreflightRelease]) -> list[ManifestProblem]:
    """`git ls-remote` once per distinct target and credentials; a problem for every release using it."""
    checks: dict[_TargetKey, list[PreflightRelease]] = {}
    targets: dict[_TargetKey, tuple[GitExport, Mapping[str, str]]] = {}
    for item in releases:
        export = item.release.spec.export
        if export is None or export.git is None:
            continue
        credentials = dict(item.resolved.git_credentials or {})
        key = (export.git.url, export.git.branch, export.git.path, tuple(sorted(credentials.items())))
        checks.setdefault(key, []).append(item)
        targets[key] = (export.git, credentials)

    async def one(key: _TargetKey) -> list[ManifestProblem]:
        target, credentials = targets[key]
        try:
            await check_remote(target, credentials)
        except ArtifactStoreError as error:
            return [item.problem(_export_field(error), _export_fix(error)) for item in checks[key]]
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
    if flow is None or not selector.id or not selector.name:
        return flow, None
    named_type = (selector.type or "").upper()
    if flow.name != selector.name or (flow.type and named_type and flow.type.upper() != named_type):
        fix = (
            f"flow id {selector.id} is the {flow.type.lower() or 'unknown-type'} flow '{flow.name}', but "
            f"spec.flow.name and spec.flow.type say the {selector.type} flow '{selector.name}'; keep only "
            "spec.flow.id, or correct the name and type to match it"
        )
        return flow, item.problem("spec.flow.id", fix)
    return flow, None


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
