"""One owner per flow: PURE, and table-tested.

A flow (its Genesys flow id) has at most one owning FlowRelease: the oldest of those that claim it
(`metadata.creationTimestamp`, then namespace/name). Any other one is held back (`FlowConflict`): it publishes
nothing and takes over, as a new attempt, once the owner is deleted or retargeted. `sync` applies the same
rule to a folder before it writes anything, with the same wording (`one_flow_one_release_fix`).
"""

from __future__ import annotations

from collections.abc import Iterable

from flowrelease.api.manifests import one_flow_one_release_fix
from flowrelease.engine.ports import FlowClaim, FlowState

FLOW_CONFLICT_RECHECK_SECONDS = 60.0
"""A held-back release looks again this often, besides being woken when a claim on its flow changes."""


def owner_of(claims: Iterable[FlowClaim]) -> FlowClaim | None:
    """The oldest claim (creationTimestamp, then namespace, then name); None when there is none."""
    return min(claims, default=None)


def rival_owner(release: str, claims: Iterable[FlowClaim]) -> FlowClaim | None:
    """The release that owns the flow when it is not `release` (namespace/name); None when `release` may
    go ahead (it is the owner, or no one claims the flow)."""
    owner = owner_of(claims)
    return owner if owner is not None and owner.key != release else None


def flow_conflict_message(owner: FlowClaim, flow: FlowState) -> str:
    """Why a release is held back, in the words `sync` uses for the same rule."""
    origin = f"this cluster, created {owner.created} (the oldest, so it owns flow {flow.id} '{flow.name}')"
    return (
        f"{one_flow_one_release_fix([(owner.key, origin)])}. Nothing is published meanwhile; this release "
        f"takes over once {owner.key} is deleted or retargeted"
    )
