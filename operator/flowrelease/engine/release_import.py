"""spec.source.fromRelease: the Archy YAML an upstream release exported to Git, imported here. PURE but for
`resolve_from_release`, which reads through the ReleaseDirectory and UpstreamExports ports.

What is imported is the upstream's `flow.yaml` for its live version, byte for byte, with this release's
`spec.source.substitutions` applied as literal replacements (the export holds the upstream's values; its
`{{key}}` placeholders were substituted before the upstream imported it). The change this release carries
is the upstream's (`status.promotion`), so a promotion gate on the same upstream compares like with like.

Bad input (the release itself, a cycle, no export target, an artifact missing or not the upstream's live
version, a replacement that matches nothing) is a SourceProblem naming the field: nothing is imported. An
upstream that does not exist yet, or has not exported its live version yet, is SourcePending: wait (sync
refuses an upstream outside its folder up front).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flowrelease.api.models import FlowRelease, FlowReleaseSpec, Phase, ReleaseRef
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem, prepare_source
from flowrelease.engine.ports import (
    ArtifactStoreError,
    Change,
    ReleaseDirectory,
    UpstreamArtifact,
    UpstreamExports,
)

FIELD = "spec.source.fromRelease"

ImportedSource = PreparedSource | SourceProblem | SourcePending


@dataclass(frozen=True)
class FromRelease:
    """What resolving spec.source.fromRelease gave: the source to import and the change it carries."""

    source: ImportedSource
    change: Change | None = None


def upstream_of(ref: ReleaseRef, namespace: str) -> tuple[str, str]:
    """(namespace, name) of the upstream; a reference without namespace is in this release's."""
    return (ref.namespace or namespace, ref.name)


def from_release_key(spec: FlowReleaseSpec, namespace: str) -> str | None:
    """`namespace/name` of the release spec.source.fromRelease names, None without one."""
    ref = spec.source.from_release if spec.source is not None else None
    if ref is None:
        return None
    ns, name = upstream_of(ref, namespace)
    return f"{ns}/{name}"


def _problem(message: str) -> SourceProblem:
    return SourceProblem("", f"{FIELD}: {message}")


def upstream_problem(key: str, upstream_key: str, upstream: FlowRelease | None) -> FromRelease | None:
    """What stops the import before the upstream's artifact is read, or None when it can be read."""
    if upstream_key == key:
        return FromRelease(
            _problem(
                f"names this release itself ({key}); name the upstream FlowRelease whose export this one "
                "imports, e.g. {name: support-ivr, namespace: cc-test}"
            )
        )
    if upstream is None:
        # As the gate does: an upstream applied later (Argo CD syncs in any order) is waited for.
        return FromRelease(
            SourcePending(f"FlowRelease {upstream_key} does not exist; create it or fix {FIELD}")
        )
    spec = upstream.spec
    if spec.export is None or spec.export.git is None:
        return FromRelease(
            _problem(
                f"{upstream_key} has no export target (spec.export.git); fromRelease imports what the "
                f"upstream exported to Git, so give {upstream_key} spec.export.git"
            )
        )
    theirs = spec.source.from_release if spec.source is not None else None
    if theirs is not None and "/".join(upstream_of(theirs, upstream.metadata.namespace)) == key:
        return FromRelease(
            _problem(
                f"{upstream_key} imports from this release (its {FIELD}), a cycle; one of the two must "
                "read its YAML from spec.source.configMapRef"
            )
        )
    status = upstream.status
    artifact = status.artifact if status is not None else None
    if status is None or artifact is None or not artifact.version:
        phase = status.phase.value if status is not None else Phase.PENDING.value
        return FromRelease(SourcePending(f"waiting for {upstream_key} to export a version: it is {phase}"))
    if status.phase is not Phase.READY or artifact.version != status.published_version:
        return FromRelease(
            SourcePending(
                f"waiting for {upstream_key} to export its live version: it is {status.phase.value} "
                f"(version {status.published_version or 'none'} live, version {artifact.version} exported)"
            )
        )
    return None


def imported_source(
    spec: FlowReleaseSpec, upstream_key: str, upstream: FlowRelease, artifact: UpstreamArtifact
) -> ImportedSource:
    """The upstream's exported flow.yaml with this release's replacements, checked like any Archy source."""
    status = upstream.status
    assert status is not None and status.artifact is not None
    where = f"{upstream_key}'s export at {artifact.location}"
    if artifact.flow_yaml is None:
        return _problem(
            f"{where} holds no flow.yaml, though {upstream_key} exported version {status.artifact.version} "
            f"(commit {status.artifact.commit or 'unknown'}); restore it or request a reconcile of "
            f"{upstream_key} so it exports again"
        )
    exported = _exported_version(artifact.metadata)
    flow_id = status.flow.id if status.flow is not None else ""
    if exported != (flow_id, status.published_version):
        shown = (
            f"flow {exported[0]} version {exported[1]}" if exported is not None else "no flowrelease artifact"
        )
        return _problem(
            f"{where}: release.json describes {shown}, but {upstream_key} has flow {flow_id} version "
            f"{status.published_version} live; the folder was changed outside flowrelease or names another "
            f"release's export: fix {upstream_key}'s spec.export.git.path or request a reconcile of it"
        )
    substitutions = spec.source.substitutions if spec.source is not None else {}
    if "" in substitutions:
        return SourceProblem(
            "",
            "spec.source.substitutions has an empty key; give the text of the upstream's export to replace",
        )
    for text in substitutions:
        if text not in artifact.flow_yaml:
            return SourceProblem(
                "",
                f"spec.source.substitutions[{text!r}] does not occur in {where}; with {FIELD} each key "
                "is literal text of the upstream's export (it holds the upstream's values, e.g. its queue "
                "name) replaced by the value: fix or remove it",
            )
    replaced = replace_literals(artifact.flow_yaml, substitutions)
    return prepare_source(replaced, {}, spec.flow, origin=f"{FIELD} ({where})")


def replace_literals(text: str, replacements: Mapping[str, str]) -> str:
    """Every occurrence of each key replaced by its value, all at once (longest key first, no cascading)."""
    if not replacements:
        return text
    keys = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(key) for key in keys))
    return pattern.sub(lambda match: replacements[match.group(0)], text)


def _exported_version(metadata: Mapping[str, object] | None) -> tuple[str, str] | None:
    flow = metadata.get("flow") if metadata is not None else None
    if not isinstance(flow, Mapping):
        return None
    return (str(flow.get("id", "")), str(flow.get("version", "")))


def _change(upstream: FlowRelease) -> Change | None:
    record = upstream.status.promotion if upstream.status is not None else None
    if record is None or record.change_kind is None or not record.change:
        return None
    return Change(record.change_kind, record.change)


async def resolve_from_release(
    directory: ReleaseDirectory | None, exports: UpstreamExports | None, release: FlowRelease
) -> FromRelease | None:
    """spec.source.fromRelease resolved now; None when the release has none."""
    spec, namespace = release.spec, release.metadata.namespace
    ref = spec.source.from_release if spec.source is not None else None
    if ref is None:
        return None
    if directory is None or exports is None:
        return FromRelease(
            _problem("this shell cannot read other releases' exports; run it in sync or the operator")
        )
    ns, name = upstream_of(ref, namespace)
    upstream_key = f"{ns}/{name}"
    upstream = await directory.find_release(ns, name)
    stop = upstream_problem(release.key, upstream_key, upstream)
    if stop is not None or upstream is None:
        return stop
    try:
        artifact = await exports.read_export(upstream)
    except ArtifactStoreError as error:
        return FromRelease(
            _problem(
                f"cannot read {upstream_key}'s export ({error}); check {upstream_key}'s spec.export.git and "
                "its Secret"
            )
        )
    return FromRelease(imported_source(spec, upstream_key, upstream, artifact), _change(upstream))
