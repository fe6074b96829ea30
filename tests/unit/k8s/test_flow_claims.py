"""Where a FlowRelease is found in the claims index (by the id it resolved, its spec's id, else its name and
type in its org), and the port the engine asks."""

from __future__ import annotations

from typing import Any

import pytest

from flowrelease.engine.ports import FlowClaim, FlowState
from flowrelease.k8s.flow_claims import IndexedFlowClaims, claim_keys, index_flow_claims

ORG = "https://api.mypurecloud.com"


def body(
    flow: dict[str, Any], status_flow: dict[str, Any] | None = None, environment: str = "us-east-1"
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"namespace": "team-a", "name": "ivr", "creationTimestamp": "2026-01-01T10:00:00Z"},
        "spec": {"genesys": {"environment": environment}, "flow": flow},
    }
    if status_flow is not None:
        obj["status"] = {"flow": status_flow}
    return obj


RESOLVED = {"id": "f-1", "name": "Support IVR", "type": "INBOUNDCALL"}


@pytest.mark.parametrize(
    ("case", "obj", "keys"),
    [
        (
            "by-name-unresolved",
            body({"name": "Support IVR", "type": "inboundcall"}),
            (("name", ORG, "INBOUNDCALL", "Support IVR"),),
        ),
        (
            "by-name-resolved",
            body({"name": "Support IVR", "type": "inboundcall"}, RESOLVED),
            (("id", "f-1"),),
        ),
        ("by-id", body({"id": "f-1"}), (("id", "f-1"),)),
        ("by-id-resolved", body({"id": "f-1"}, RESOLVED), (("id", "f-1"),)),
        (
            "retargeted-by-name",
            body({"name": "Billing IVR", "type": "inboundcall"}, RESOLVED),
            (("name", ORG, "INBOUNDCALL", "Billing IVR"),),
        ),
        (
            "retargeted-by-type",
            body({"name": "Support IVR", "type": "inqueuecall"}, RESOLVED),
            (("name", ORG, "INQUEUECALL", "Support IVR"),),
        ),
        ("retargeted-by-id", body({"id": "f-2"}, RESOLVED), (("id", "f-2"),)),
        (
            "id-and-other-name",
            body({"id": "f-1", "name": "Billing IVR", "type": "inboundcall"}, RESOLVED),
            (("id", "f-1"),),
        ),
        (
            "region-alias",
            body({"name": "Support IVR", "type": "inboundcall"}, environment="mypurecloud.com"),
            (("name", ORG, "INBOUNDCALL", "Support IVR"),),
        ),
        ("no-flow", body({}), ()),
    ],
    ids=lambda value: value if isinstance(value, str) and "-" in value else "",
)
def test_a_release_claims_its_flow_by_id_once_known_else_by_name(
    case: str, obj: dict[str, Any], keys: tuple[Any, ...]
) -> None:
    assert claim_keys(obj) == keys, case
    claim = FlowClaim(created="2026-01-01T10:00:00Z", namespace="team-a", name="ivr")
    assert index_flow_claims(obj) == dict.fromkeys(keys, claim)


def test_the_port_answers_every_claim_by_id_and_by_name_in_the_org() -> None:
    a = FlowClaim("2026-01-01T10:00:00Z", "team-a", "ivr")
    b = FlowClaim("2026-01-01T10:00:05Z", "team-b", "ivr")
    elsewhere = FlowClaim("2026-01-01T09:00:00Z", "team-c", "ivr")
    index = {
        ("id", "f-1"): [b],
        ("name", ORG, "INBOUNDCALL", "Support IVR"): [a],
        ("name", "https://api.mypurecloud.ie", "INBOUNDCALL", "Support IVR"): [elsewhere],
    }
    port = IndexedFlowClaims(lambda: index, ORG)
    flow = FlowState(id="f-1", name="Support IVR", type="INBOUNDCALL")
    assert list(port.claims("team-b/ivr", flow)) == [a, b]
    assert list(IndexedFlowClaims(lambda: None, ORG).claims("team-b/ivr", flow)) == []
