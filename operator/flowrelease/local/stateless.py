"""A run without a state file (a fresh CI runner) rebuilds what the engine would otherwise have forgotten.

The engine observes Genesys first, so a version already live is never published again in promote mode; what
it cannot see in Genesys is the provenance of that publish, and in source mode (`spec.source`) whether the
live version came from the YAML the run holds (each import makes a new version, so "already live" cannot be
told from Genesys alone). Both are in the artifact in Git: `release.json` under `spec.export.git.path` on
the branch records the flow id and version, the dependency hash, the operation id and, in source mode, the
digest of the substituted Archy YAML (`sourceDigest`).

`rebuilt_from` decides, pure. When the live version is the one the release wants (promote: `spec.version`;
source: the artifact's version, with the artifact's source digest equal to this source's) and release.json
is that flow version's, the status starts from what release.json records (desired and published version,
operation id, dependency hash, source digest): the planner skips the import and the publish, and the export
finds nothing to commit. When release.json says an earlier version came from this very source but another
version is live (published by hand), that version is the desired one: it is published again, as promote
mode would, rather than a copy imported. Anything else (no artifact, another flow's, another version's in
promote mode, a changed source, an artifact that records no source digest) starts from a blank status, as
a first run does; the disagreements are logged as warnings.

Reading release.json is a precondition, not an optimisation: when Git cannot be read, `rebuilt_statuses`
raises PreflightFailed (nothing imported, published or committed) rather than import the source again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flowrelease.api.models import FlowReleaseSpec, FlowReleaseStatus
from flowrelease.engine.archy_source import PreparedSource, SourceProblem, release_source
from flowrelease.engine.export_target import export_target_problem
from flowrelease.engine.ports import ArtifactStoreError, FlowState
from flowrelease.gitops import GitArtifactStore
from flowrelease.gitops.layout import METADATA_API_VERSION
from flowrelease.local.preflight import PreflightFailed, PreflightRelease

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rebuilt:
    """What a run without a state file starts from, and why."""

    status: FlowReleaseStatus | None
    """None: a blank status (the engine decides as on a first run)."""
    reason: str
    suspicious: bool = False
    """Git and Genesys disagree in a way a person should look at (logged as a warning)."""


def wants_artifact(spec: FlowReleaseSpec, flow: FlowState | None) -> bool:
    """Whether release.json could change what the run starts from (else it is not read at all)."""
    if spec.export is None or spec.export.git is None or flow is None or not flow.published_version:
        return False
    return spec.version is None or spec.version == flow.published_version


def _text(metadata: Mapping[str, object], key: str) -> str:
    value = metadata.get(key)
    return value if isinstance(value, str) else ""


def rebuilt_from(
    spec: FlowReleaseSpec,
    flow: FlowState | None,
    source: PreparedSource | SourceProblem | None,
    metadata: Mapping[str, object] | None,
) -> Rebuilt:
    """The status to start from, given the flow as Genesys shows it and release.json as Git holds it
    (`metadata` None: no such file). Pure."""
    if not wants_artifact(spec, flow):
        return Rebuilt(None, "no version of this release is live: nothing to rebuild")
    assert flow is not None and flow.published_version is not None
    live = flow.published_version
    if spec.source is not None and not isinstance(source, PreparedSource):
        return Rebuilt(None, "the Archy source is missing or invalid: the engine reports it")
    if metadata is None:
        return Rebuilt(None, "Git holds no release.json at spec.export.git.path: nothing to rebuild from")
    exported = metadata.get("flow")
    if metadata.get("apiVersion") != METADATA_API_VERSION or not isinstance(exported, dict):
        return Rebuilt(None, "release.json is not a flowrelease artifact: not rebuilding from it", True)
    if exported.get("id") != flow.id:
        return Rebuilt(
            None,
            f"release.json is flow {exported.get('id')!r}'s, not {flow.id!r}'s: not rebuilding from it",
            True,
        )
    version = exported.get("version")
    recorded = _text(metadata, "sourceDigest")
    digest = ""
    if isinstance(source, PreparedSource):
        if not recorded:
            return Rebuilt(
                None,
                f"release.json (version {version!r}) records no sourceDigest (exported before flowrelease "
                "recorded one): cannot tell the live version came from this source, so it is imported again",
                True,
            )
        if recorded != source.digest:
            return Rebuilt(None, "the Archy source changed since release.json was exported: importing it")
        digest = source.digest
        if version != live and isinstance(version, str) and version:
            return Rebuilt(
                FlowReleaseStatus(desired_version=version, source_digest=digest),
                f"release.json says version {version} came from this source, but {live} is live (published "
                f"outside this release?): publishing {version} again rather than importing a copy of it",
                True,
            )
    if version != live:
        return Rebuilt(
            None,
            f"version {live} is live but release.json is version {version!r}'s (published outside this "
            "release?): starting as a first run would",
            True,
        )
    status = FlowReleaseStatus(
        desired_version=live,
        published_version=live,
        published_operation_id=_text(metadata, "operationId"),
        dependency_hash=_text(metadata, "dependencyHash"),
        source_digest=digest,
    )
    what = "came from this Archy source" if digest else "is the desired version"
    return Rebuilt(status, f"version {live} is live, {what}, and release.json records it: adopting it")


async def rebuilt_statuses(
    items: Sequence[PreflightRelease],
    flows: Mapping[str, FlowState],
    artifacts: GitArtifactStore,
) -> dict[str, FlowReleaseStatus]:
    """The rebuilt status of each release in `items` (the ones with no saved state) that has one, by key.
    Raises PreflightFailed, before anything is written, when a release.json that matters cannot be read."""

    async def one(item: PreflightRelease) -> tuple[str, Rebuilt]:
        resolved, spec = item.resolved, item.release.spec
        flow = flows.get(resolved.key)
        source = release_source(spec, resolved.source_yaml)
        metadata = None
        if wants_artifact(spec, flow):
            assert spec.export is not None and spec.export.git is not None
            metadata = await artifacts.read_metadata(spec.export.git, resolved.git_credentials or {})
        return resolved.key, rebuilt_from(spec, flow, source, metadata)

    results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    problems = []
    rebuilt: dict[str, FlowReleaseStatus] = {}
    for item, result in zip(items, results, strict=True):
        if isinstance(result, ArtifactStoreError):
            unread = export_target_problem(result)
            problems.append(
                item.problem(
                    unread.field,
                    f"{unread.text}; with no saved state, sync reads release.json to tell whether the live "
                    "version is already this release's, so nothing was imported, published or committed: "
                    "rerun sync once Git answers (or keep the --state file between runs)",
                )
            )
            continue
        if isinstance(result, BaseException):
            raise result
        key, decision = result
        log = logger.warning if decision.suspicious else logger.info
        log("%s: no state for this release; %s", key, decision.reason)
        if decision.status is not None:
            rebuilt[key] = decision.status
    if problems:
        raise PreflightFailed(problems)
    return rebuilt
