"""`sync` runs upstream releases first: the FlowReleases of a folder ordered by `spec.promotion.requires`
and `spec.source.fromRelease`.

Releases another one depends on come before it (a stable topological order, so a folder without promotion
keeps its order); an upstream of `requires` outside the folder is left to the gate, which waits for it. A
cycle is bad input (exit 2), named with every file in it. `from_release_problems` refuses up front what
`fromRelease` cannot work with in one run: itself, an upstream outside the folder, one without an export
target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from flowrelease.api.errors import ManifestProblem
from flowrelease.api.manifests import ResolvedRelease
from flowrelease.api.models import KIND, FlowReleaseSpec
from flowrelease.engine.promotion_gate import upstream_keys
from flowrelease.engine.release_import import from_release_key


class PromotionCycle(ValueError):
    """The releases' requirements form a cycle; the message names it (bad input, exit 2)."""


def dependency_keys(spec: FlowReleaseSpec, namespace: str) -> tuple[str, ...]:
    """`namespace/name` of every release this one waits for: spec.promotion.requires, then fromRelease."""
    keys = [f"{ns}/{name}" for ns, name in upstream_keys(spec, namespace)]
    imported = from_release_key(spec, namespace)
    if imported is not None and imported not in keys:
        keys.append(imported)
    return tuple(keys)


def from_release_problems(releases: Sequence[ResolvedRelease]) -> list[ManifestProblem]:
    by_key = {resolved.key: resolved for resolved in releases}
    problems = []
    for resolved in releases:
        release = resolved.release
        upstream_key = from_release_key(release.spec, release.metadata.namespace)
        if upstream_key is None:
            continue
        upstream = by_key.get(upstream_key)
        if upstream_key == resolved.key:
            fix = (
                "names this release itself; name the upstream FlowRelease whose export this one imports, "
                "e.g. {name: support-ivr, namespace: cc-test}"
            )
        elif upstream is None:
            fix = (
                f"FlowRelease {upstream_key} is not among the manifests; sync imports from a release of "
                "the same run, so add its manifest to the folder or fix spec.source.fromRelease"
            )
        elif upstream.release.spec.export is None or upstream.release.spec.export.git is None:
            fix = (
                f"{upstream_key} ({upstream.origin}) has no export target (spec.export.git); fromRelease "
                f"imports what the upstream exported to Git, so give {upstream_key} spec.export.git"
            )
        else:
            continue
        problems.append(
            ManifestProblem(
                file=resolved.origin.file,
                document=resolved.origin.document,
                resource=f"{KIND} {resolved.key}",
                field="spec.source.fromRelease",
                fix=fix,
            )
        )
    return problems


def upstream_first(releases: Sequence[ResolvedRelease]) -> list[ResolvedRelease]:
    by_key = {resolved.key: resolved for resolved in releases}
    ordered: list[ResolvedRelease] = []
    placed: set[str] = set()
    visiting: list[str] = []

    def place(resolved: ResolvedRelease) -> None:
        key = resolved.key
        if key in placed:
            return
        if key in visiting:
            cycle = [*visiting[visiting.index(key) :], key]
            shown = " -> ".join(f"{k} ({by_key[k].origin})" for k in cycle)
            raise PromotionCycle(
                f"{_cycle_fields(cycle, by_key)} a cycle: {shown}; a release cannot wait for itself, remove "
                "one of these requirements"
            )
        visiting.append(key)
        release = resolved.release
        for dependency in dependency_keys(release.spec, release.metadata.namespace):
            upstream = by_key.get(dependency)
            if upstream is not None and upstream is not resolved:
                place(upstream)
        visiting.pop()
        placed.add(key)
        ordered.append(resolved)

    for resolved in releases:
        place(resolved)
    return ordered


def _cycle_fields(cycle: Sequence[str], by_key: Mapping[str, ResolvedRelease]) -> str:
    """The fields whose references make up `cycle` (each key waits for the next), as the subject."""
    fields = set()
    for key, upstream in pairwise(cycle):
        release = by_key[key].release
        namespace = release.metadata.namespace
        if upstream in {f"{ns}/{name}" for ns, name in upstream_keys(release.spec, namespace)}:
            fields.add("spec.promotion.requires")
        if from_release_key(release.spec, namespace) == upstream:
            fields.add("spec.source.fromRelease")
    if len(fields) == 2:
        return "spec.promotion.requires and spec.source.fromRelease form"
    return f"{fields.pop() if fields else 'spec.promotion.requires'} forms"
