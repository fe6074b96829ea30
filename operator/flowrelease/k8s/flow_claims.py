"""Which FlowReleases claim a flow: a kopf index over every FlowRelease the operator watches.

The engine decides who owns a flow (`flowrelease.engine.flow_ownership`: the oldest claim); this module only
says who claims it, in O(1) per pass, from kopf's in-memory index — which kopf fills from its initial
listing before any handler runs, so the answer is complete right after an operator restart.

A release claims a flow
- by the id it resolved (`status.flow.id`) while its spec still names that flow,
- else by `spec.flow.id`,
- else, not resolved yet, by `spec.flow.name` and `type` in its org (the region's API host): two releases
  created at once, both by name, must not both publish before either has resolved the id.

So a flow's claims are those under its id plus those under its name and type in the org. Only FlowReleases
this operator watches are indexed: with `--namespace` or label shards, the rule holds within what it sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flowrelease.engine.ports import FlowClaim, FlowState
from flowrelease.genesys import UnknownEnvironment, resolve_base_url

INDEX_ID = "flow_claims"
"""The kopf index's id, which is also the keyword kopf hands it to handlers under."""

ClaimKey = tuple[str, ...]
"""("id", flow id) or ("name", org, TYPE, name)."""
ClaimIndex = Mapping[ClaimKey, Iterable[FlowClaim]]


def org_of(environment: str) -> str:
    """The org key of `spec.genesys.environment`: its API host, as the engine cache keys clients."""
    try:
        return resolve_base_url(environment).lower()
    except UnknownEnvironment:
        return environment.strip().lower()


def claim_of(body: Mapping[str, Any]) -> FlowClaim:
    meta = body.get("metadata") or {}
    return FlowClaim(
        created=str(meta.get("creationTimestamp") or ""),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
    )


def claim_keys(body: Mapping[str, Any]) -> tuple[ClaimKey, ...]:
    """Where `body` is found in the index (pure)."""
    spec = body.get("spec") or {}
    selector = spec.get("flow") or {}
    wanted_id = str(selector.get("id") or "")
    wanted_name = str(selector.get("name") or "")
    wanted_type = str(selector.get("type") or "").upper()
    resolved = (body.get("status") or {}).get("flow") or {}
    resolved_id = str(resolved.get("id") or "")
    if resolved_id:
        same_id = not wanted_id or wanted_id == resolved_id
        same_name = not wanted_name or (
            wanted_name == resolved.get("name") and wanted_type == str(resolved.get("type") or "").upper()
        )
        if same_id and same_name:
            return (("id", resolved_id),)
    if wanted_id:
        return (("id", wanted_id),)
    if wanted_name:
        org = org_of(str((spec.get("genesys") or {}).get("environment") or ""))
        return (("name", org, wanted_type, wanted_name),)
    return ()


def index_flow_claims(body: Mapping[str, Any], **_: Any) -> dict[ClaimKey, FlowClaim]:
    """The kopf index function (registered under INDEX_ID)."""
    claim = claim_of(body)
    return {key: claim for key in claim_keys(body)}


def claims_under(index: ClaimIndex, keys: Iterable[ClaimKey]) -> set[FlowClaim]:
    return {claim for key in keys for claim in index.get(key, ())}


class IndexedFlowClaims:
    """The engine's `FlowClaims` port for the releases of one org."""

    def __init__(self, index: Callable[[], ClaimIndex | None], org: str) -> None:
        self._index = index
        self._org = org

    def claims(self, release: str, flow: FlowState) -> Sequence[FlowClaim]:
        index = self._index()
        if index is None:
            return ()
        keys = (("id", flow.id), ("name", self._org, flow.type.upper(), flow.name))
        return sorted(claims_under(index, keys))
