"""The org model's records: clients, divisions, resources, flows, versions and operations.

Plain mutable dataclasses owned by `state.Org`; routes never change them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowrelease.emulator.references import Reference
from flowrelease.emulator.transitions import Progress

JsonObject = dict[str, Any]


@dataclass
class Client:
    """An OAuth client (client-credentials grant) and its limits."""

    id: str
    secret: str
    name: str
    token_ttl_seconds: int = 86_400
    rate_limit_per_minute: int = 300


DEFAULT_PRODUCTS = ("collaboratePro", "communicate", "engage")


@dataclass
class OrganizationProfile:
    """`GET /api/v2/organizations/me` and the products of `GET /api/v2/authorization/products` (R11)."""

    id: str
    name: str = "flowrelease emulator"
    default_country_code: str = "US"
    default_language: str = "en-us"
    domain: str = "flowrelease-emulator"
    products: list[str] = field(default_factory=lambda: list(DEFAULT_PRODUCTS))


@dataclass
class Division:
    id: str
    name: str


@dataclass
class Resource:
    """A non-flow object flows can consume: a queue, a data action (with its integration `category`), …"""

    id: str
    type: str
    name: str
    category: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class ResolvedReference:
    """A reference as resolved when its version was created; `resource_id` is empty when nothing matched."""

    reference: Reference
    resource_id: str


@dataclass
class FlowVersion:
    id: str
    number: int
    type: str  # SAVE | CHECKIN | PUBLISH
    configuration: JsonObject
    references: list[ResolvedReference]
    created_by_client: str
    date_created: float
    date_saved: float | None = None
    date_checked_in: float | None = None
    date_published: float | None = None
    date_published_end: float | None = None
    generation_id: str = ""


@dataclass
class Operation:
    """`Flow.currentOperation`: what the last action did and whether it has finished."""

    id: str
    action_name: str
    action_status: str
    complete: bool
    client_id: str
    error_message: str = ""
    error_code: str = ""
    error_details: list[JsonObject] = field(default_factory=list)


@dataclass
class PendingOperation:
    """An operation that completes when its `progress` says so, then runs its effect.

    `outcome` "FAILURE" makes it fail whatever the fault rules say (someone else's failing publish).
    """

    operation: Operation
    progress: Progress
    version_id: str
    outcome: str = ""


@dataclass
class Lock:
    client_id: str
    client_name: str


@dataclass
class Flow:
    id: str
    name: str
    type: str
    division_id: str
    description: str = ""
    versions: dict[str, FlowVersion] = field(default_factory=dict)
    published_version_id: str = ""
    checked_in_version_id: str = ""
    saved_version_id: str = ""
    lock: Lock | None = None
    active: bool = False
    deleted: bool = False
    current_operation: Operation | None = None
    pending: PendingOperation | None = None
    next_version_number: int = 1

    def version_ids_in_order(self) -> list[str]:
        return [v.id for v in sorted(self.versions.values(), key=lambda v: v.number)]


@dataclass
class Counts:
    """Flow analytics counts the control plane sets for a flow (or one of its versions)."""

    n_flow: int = 0
    n_flow_outcome: int = 0
    n_flow_outcome_failed: int = 0
    n_flow_milestone: int = 0
    t_flow_ms: int = 0
