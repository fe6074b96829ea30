# ruff: noqa: E501  (a table reads best one case per line)
"""The one-owner rule, as a table: which claim owns a flow, and whether a given release is held back."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.engine.flow_ownership import flow_conflict_message, owner_of, rival_owner
from flowrelease.engine.ports import FlowClaim, FlowState


def claim(created: str, key: str) -> FlowClaim:
    namespace, name = key.split("/")
    return FlowClaim(created=created, namespace=namespace, name=name)


A = claim("2026-01-01T10:00:00Z", "team-a/support")
B = claim("2026-01-01T10:00:05Z", "team-b/support")
SAME_SECOND_NS = claim("2026-01-01T10:00:00Z", "team-0/support")
SAME_SECOND_NAME = claim("2026-01-01T10:00:00Z", "team-a/aaa")
# "team-a-x" < "team-a/..." as text ('-' sorts before '/'), but namespace "team-a" < "team-a-x": the rule
# orders by namespace, then name, never by the joined key.
DASHED_NS = claim("2026-01-01T10:00:00Z", "team-a-x/support")


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    me: str
    claims: tuple[FlowClaim, ...]
    owner: FlowClaim | None
    held_by: FlowClaim | None


CASES = [
    Case("alone", "the only claim owns the flow", A.key, (A,), A, None),
    Case("nobody", "no claim (the index has not seen it yet): nothing holds this release back", A.key, (), None, None),
    Case("oldest-wins", "the older creationTimestamp owns it", B.key, (B, A), A, A),
    Case("owner-goes-ahead", "the owner itself is not held back", A.key, (B, A), A, None),
    Case("same-second-namespace", "within one second the namespace decides", A.key, (A, SAME_SECOND_NS),
         SAME_SECOND_NS, SAME_SECOND_NS),
    Case("same-second-name", "then the name", A.key, (A, SAME_SECOND_NAME), SAME_SECOND_NAME, SAME_SECOND_NAME),
    Case("namespace-not-joined-key", "ordered by namespace then name, not by 'namespace/name' as text",
         DASHED_NS.key, (DASHED_NS, A), A, A),
    Case("third-in-line", "a third release is held by the owner, not by the second", "team-c/x",
         (B, claim("2026-01-02T00:00:00Z", "team-c/x"), A), A, A),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_oldest_claim_owns_the_flow(case: Case) -> None:
    assert owner_of(case.claims) == case.owner, case.reason
    assert rival_owner(case.me, case.claims) == case.held_by, case.reason


def test_the_conflict_says_who_owns_the_flow_in_syncs_words() -> None:
    flow = FlowState(id="f-1", name="Support IVR", type="INBOUNDCALL")
    message = flow_conflict_message(A, flow)
    assert "FlowRelease team-a/support" in message
    assert "created 2026-01-01T10:00:00Z" in message
    # the rule's wording is sync's (api.manifests.one_flow_one_release_fix)
    assert "one flow needs exactly one FlowRelease, so remove or retarget all but one of them" in message
    assert message.endswith("takes over once team-a/support is deleted or retargeted")
