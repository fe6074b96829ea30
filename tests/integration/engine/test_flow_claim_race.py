"""A rival FlowRelease of the same flow that the operator sees only while this release validates (created in
the same second, in another namespace's watch stream): the owner is asked again right before the publish, so
the younger release yields instead of publishing once before it finds out. The claims are the operator's own
index adapter (`IndexedFlowClaims` over `index_flow_claims` entries) on the real emulator."""

from __future__ import annotations

from typing import Any

from flowrelease.engine.ports import FlowClaim
from flowrelease.k8s.flow_claims import ClaimKey, IndexedFlowClaims, index_flow_claims, org_of
from tests.integration.engine.harness import Harness


def claimant(harness: Harness, namespace: str, name: str, created: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": name, "creationTimestamp": created},
        "spec": {
            "genesys": {"environment": harness.emulator.base_url},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
        },
    }


async def test_a_rival_seen_while_validating_is_yielded_to_before_the_publish(harness: Harness) -> None:
    index: dict[ClaimKey, list[FlowClaim]] = {}

    def sees(body: dict[str, Any]) -> None:
        for key, claim in index_flow_claims(body).items():
            index.setdefault(key, []).append(claim)

    own = claimant(harness, "contact-center", "support-ivr", "2026-01-01T09:00:00Z")
    older_rival = claimant(harness, "billing", "support-ivr-too", "2026-01-01T08:59:59Z")
    sees(own)

    def on_response(method: str, route: str, status: int) -> None:
        validating = "dependencytracking" in route or "/validate/" in route
        if validating and not any(c.namespace == "billing" for cs in index.values() for c in cs):
            sees(older_rival)

    harness.reconciler = harness.new_reconciler(
        flow_claims=IndexedFlowClaims(lambda: index, org_of(harness.emulator.base_url)),
        on_response=on_response,
    )

    outcome = await harness.drive(harness.release(version="3.0"))

    assert harness.publishes() == []
    assert any(c.namespace == "billing" for claims in index.values() for c in claims), "the rival was seen"
    stalled = next(c for c in outcome.status.conditions if c.type == "Stalled")
    assert (stalled.status, stalled.reason) == ("True", "FlowConflict"), outcome.status.conditions
    assert "billing/support-ivr-too" in stalled.message
