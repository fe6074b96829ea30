"""`sync` runs upstream releases first: the FlowReleases of a folder ordered by `spec.promotion.requires`.

Releases named by another's `requires` come before it (a stable topological order, so a folder without
promotion keeps its order); an upstream outside the folder is left to the gate, which waits for it. A cycle
is bad input (exit 2), named with every file in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowrelease.api.manifests import ResolvedRelease
from flowrelease.engine.promotion_gate import upstream_keys


class PromotionCycle(ValueError):
    """The releases' requirements form a cycle; the message names it (bad input, exit 2)."""


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
                f"spec.promotion.requires forms a cycle: {shown}; a release cannot wait for itself, remove "
                "one of these requirements"
            )
        visiting.append(key)
        release = resolved.release
        for namespace, name in upstream_keys(release.spec, release.metadata.namespace):
            upstream = by_key.get(f"{namespace}/{name}")
            if upstream is not None:
                place(upstream)
        visiting.pop()
        placed.add(key)
        ordered.append(resolved)

    for resolved in releases:
        place(resolved)
    return ordered
