"""The org model: clients, divisions, resources and flows, and every change the API can make to them.

`Org` enforces the rules the real service enforces — locks (`lockedClient`), version types (SAVE → CHECKIN →
PUBLISH), one operation in flight per flow — and raises `ApiError` with the right status when a request
breaks one. Publish and check-in are asynchronous: they start an `Operation` whose `Progress` decides when
an observation sees it finished (see `transitions`). Where Genesys is undocumented, `behaviour` decides
(see `behaviour`): what reads show after an action (`readlag`), draft ids, which publishes are refused or
ignored (`publish_rules`), how a deleted flow answers.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterable
from typing import Any

from flowrelease.emulator import operations
from flowrelease.emulator.behaviour import DEFAULT_PROFILE, Behaviour
from flowrelease.emulator.clock import Clock
from flowrelease.emulator.faults import FaultBook
from flowrelease.emulator.model import (
    Client,
    Counts,
    Division,
    Flow,
    FlowVersion,
    JsonObject,
    Lock,
    Operation,
    OrganizationProfile,
    ResolvedReference,
    Resource,
)
from flowrelease.emulator.publish_rules import PublishTarget, decide_publish
from flowrelease.emulator.readlag import FlowView, ReadLagBook, live_view, snapshot
from flowrelease.emulator.references import find_references
from flowrelease.emulator.traffic import TrafficBook
from flowrelease.emulator.transitions import TransitionMode, TransitionSettings
from flowrelease.emulator.vocabulary import ARCHY_FLOW_TYPES, ARCHY_KEY_BY_FLOW_TYPE, FLOW_TYPES
from flowrelease.emulator.wire import ApiError, bad_request, conflict, not_found

NAMESPACE = uuid.UUID("6f1b3f1e-6c1d-4b7e-9a53-2f0d7e8c9a10")


def stable_id(*parts: str) -> str:
    """A deterministic UUID for seeded objects, so the demo org has the same ids on every start."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def version_id(number: int) -> str:
    return f"{number}.0"


DRAFT_ID_PREFIX = "saved_version_"


def draft_id() -> str:
    """A draft's id under `draftIds: savedVersionUuid` (R3); check-in gives it the next number."""
    return f"{DRAFT_ID_PREFIX}{uuid.uuid4()}"


class Org:
    """Everything one emulated Genesys Cloud org holds."""

    def __init__(
        self,
        clock: Clock,
        behaviour: Behaviour | None = None,
        *,
        profile: str = DEFAULT_PROFILE,
        random_seed: int = 0,
    ) -> None:
        self.clock = clock
        self.behaviour = behaviour or Behaviour()
        self.profile = profile
        self.random = random.Random(random_seed)
        self.organization = OrganizationProfile(id=stable_id("organization", "flowrelease emulator"))
        self.clients: dict[str, Client] = {}
        self.divisions: dict[str, Division] = {}
        self.resources: dict[str, Resource] = {}
        self.flows: dict[str, Flow] = {}
        self.transitions = TransitionSettings()
        self.faults = FaultBook(random=self.random)
        self.read_lag = ReadLagBook()
        self.flow_counts: dict[str, Counts] = {}
        self.version_counts: dict[tuple[str, str], Counts] = {}
        self.traffic = TrafficBook(random_seed)
        self.validation_warnings: dict[tuple[str, str], list[str]] = {}
        self.created_at = clock.now()
        self.timed_flow_ids: set[str] = set()  # flows whose operation completes by time, not by polls

    # -- snapshots (an all-or-nothing seed) ---------------------------------------------------------------

    def snapshot(self) -> tuple[object, ...]:
        return copy.deepcopy(
            (
                self.organization,
                self.clients,
                self.divisions,
                self.resources,
                self.flows,
                self.flow_counts,
                self.version_counts,
                self.traffic,
            )
        )

    def restore(self, snapshot: tuple[object, ...]) -> None:
        restored: Any = snapshot
        (
            self.organization,
            self.clients,
            self.divisions,
            self.resources,
            self.flows,
            self.flow_counts,
            self.version_counts,
            self.traffic,
        ) = restored

    def reseed(self, random_seed: int) -> None:
        """Restart every random choice (fault probabilities, timing jitter) from `random_seed`."""
        self.random.seed(random_seed)
        self.traffic.reseed(random_seed)

    def catch_up_traffic(self) -> None:
        """Draw the simulated interactions that entered flows up to now (see `traffic`)."""
        self.traffic.catch_up(self.flows, self.clock.now(), self.behaviour.ingestion_delay)

    # -- directory -------------------------------------------------------------------------------------

    def add_client(self, client: Client) -> None:
        self.clients[client.id] = client

    def client_name(self, client_id: str) -> str:
        client = self.clients.get(client_id)
        return client.name if client else client_id

    def add_division(self, name: str, division_id: str = "") -> Division:
        division = Division(id=division_id or stable_id("division", name), name=name)
        self.divisions[division.id] = division
        return division

    def division_named(self, name: str) -> Division | None:
        return next((d for d in self.divisions.values() if d.name == name), None)

    def home_division(self) -> Division:
        return self.division_named("Home") or self.add_division("Home")

    def add_resource(self, kind: str, name: str, category: str = "", resource_id: str = "") -> Resource:
        resource = Resource(
            id=resource_id or stable_id(kind, category, name), type=kind, name=name, category=category
        )
        self.resources[resource.id] = resource
        return resource

    def delete_resource(self, resource_id: str) -> Resource:
        resource = self.resources.get(resource_id)
        if resource is None:
            raise not_found("Resource", resource_id)
        resource.deleted = True
        return resource

    def find_resource(self, kind: str, name: str, category: str = "") -> Resource | None:
        for resource in self.resources.values():
            if resource.deleted or resource.type != kind or resource.name != name:
                continue
            if kind == "DATAACTION" and category and resource.category != category:
                continue
            return resource
        return None

    def flows_named(self, name: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.name == name and not f.deleted]

    # -- the ResourceCatalog protocol used by Archy import -----------------------------------------------

    def resource_exists(self, kind: str, name: str, category: str) -> bool:
        if kind == "FLOW":
            return bool(self.flows_named(name))
        return self.find_resource(kind, name, category) is not None

    def resource_names(self, kind: str) -> list[str]:
        if kind == "FLOW":
            return [f.name for f in self.flows.values() if not f.deleted]
        return [
            f"{r.category}/{r.name}" if r.category else r.name
            for r in self.resources.values()
            if r.type == kind and not r.deleted
        ]

    def division_names(self) -> list[str]:
        return [d.name for d in self.divisions.values()]

    # -- flows -----------------------------------------------------------------------------------------

    def flow(self, flow_id: str, *, include_deleted: bool = False) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None or (flow.deleted and not include_deleted):
            raise not_found("Flow", flow_id)
        return flow

    def readable_flow(self, flow_id: str, *, include_deleted: bool = False) -> Flow:
        """The flow a `GET /flows/{id}` reads: a deleted one answers `deletedFlowStatus` (R9)."""
        flow = self.flows.get(flow_id)
        if (
            flow is not None
            and flow.deleted
            and not include_deleted
            and self.behaviour.deleted_flow_status == 410
        ):
            raise ApiError(410, "gone", f"Flow '{flow_id}' was deleted.")
        return self.flow(flow_id, include_deleted=include_deleted)

    def lag_reads(self, flow_id: str, before: FlowView) -> None:
        """Reads of the flow show `before` for a while (R1; a no-op when `readLag` is off)."""
        self.read_lag.begin(flow_id, before, self.behaviour.read_lag, self.clock.now())

    def _lag_reads_from_now(self, flow: Flow) -> None:
        if self.behaviour.read_lag.enabled:
            self.lag_reads(flow.id, snapshot(flow))

    def read_view(self, flow: Flow) -> FlowView:
        """What one read of the flow shows of its lagging fields; counts the read (see `readlag`)."""
        return self.read_lag.read(flow.id, self.clock.now()) or live_view(flow)

    def read_flow(self, flow_id: str, *, include_deleted: bool = False) -> tuple[Flow, FlowView]:
        """`GET /flows/{id}`: observe the flow's pending operation, then what this read shows of it."""
        flow = self.readable_flow(flow_id, include_deleted=include_deleted)
        self.observe_flow(flow)
        view = self.read_view(flow)
        if not view.exists:
            raise not_found("Flow", flow_id)
        return flow, view

    def read_flows(self, flows: Iterable[Flow]) -> list[tuple[Flow, FlowView]]:
        """A listing read: each flow as it shows now; a flow not visible yet (see `readlag`) is left out."""
        read = [(flow, self.read_view(flow)) for flow in flows]
        return [(flow, view) for flow, view in read if view.exists]

    def version(self, flow: Flow, version_key: str) -> FlowVersion:
        found = flow.versions.get(version_key)
        if found is None:
            raise not_found(f"Version of flow {flow.id}", version_key)
        return found

    def create_flow(
        self,
        name: str,
        flow_type: str,
        client_id: str,
        *,
        division_id: str = "",
        description: str = "",
        flow_id: str = "",
        lock: bool = True,
    ) -> Flow:
        if flow_type not in FLOW_TYPES:
            raise bad_request(
                f"Unknown flow type '{flow_type}'. Valid types: {', '.join(FLOW_TYPES)}.", field="type"
            )
        if not name.strip():
            raise bad_request("A flow needs a non-empty name.", field="name")
        if any(f.type == flow_type for f in self.flows_named(name)):
            raise ApiError(
                400,
                "architect.flow.validate.name.duplicate",
                f"A {flow_type} flow named '{name}' already exists.",
                details=[{"errorCode": "architect.flow.validate.name.duplicate", "fieldName": "name"}],
            )
        division = self.divisions.get(division_id) if division_id else self.home_division()
        if division is None:
            raise bad_request(f"Division '{division_id}' does not exist.", field="division")
        flow = Flow(
            id=flow_id or str(uuid.uuid4()),
            name=name,
            type=flow_type,
            division_id=division.id,
            description=description,
        )
        if lock:
            flow.lock = Lock(client_id, self.client_name(client_id))
        self.flows[flow.id] = flow
        return flow

    def update_flow(
        self,
        flow_id: str,
        client_id: str,
        *,
        name: str | None,
        description: str | None,
        division_id: str | None,
    ) -> Flow:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        if name is not None:
            if not name.strip():
                raise bad_request("A flow needs a non-empty name.", field="name")
            if any(f.id != flow.id and f.type == flow.type for f in self.flows_named(name)):
                raise bad_request(f"A {flow.type} flow named '{name}' already exists.", field="name")
            flow.name = name
        if description is not None:
            flow.description = description
        if division_id is not None:
            if division_id not in self.divisions:
                raise bad_request(f"Division '{division_id}' does not exist.", field="division")
            flow.division_id = division_id
        return flow

    def check_deletable(self, flow_id: str, client_id: str) -> Flow:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        if flow.pending is not None:
            raise conflict(f"Flow '{flow.id}' is busy with a {flow.pending.operation.action_name} operation.")
        return flow

    def delete_flow(self, flow_id: str, client_id: str) -> None:
        flow = self.check_deletable(flow_id, client_id)
        flow.deleted = True
        flow.lock = None

    # -- locks -----------------------------------------------------------------------------------------

    def _require_not_locked_by_other(self, flow: Flow, client_id: str) -> None:
        if flow.lock is not None and flow.lock.client_id != client_id:
            raise ApiError(
                409,
                "architect.flow.locked",
                f"Flow '{flow.name}' ({flow.id}) is locked by client '{flow.lock.client_name}' "
                f"({flow.lock.client_id}). Ask them to check it in, or unlock it.",
            )

    def _require_idle(self, flow: Flow) -> None:
        if flow.pending is not None:
            raise conflict(
                f"Flow '{flow.id}' already has a {flow.pending.operation.action_name} operation in progress "
                f"({flow.pending.operation.id}); wait for currentOperation.complete."
            )

    def checkout(self, flow_id: str, client_id: str) -> Flow:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        self._lag_reads_from_now(flow)
        flow.lock = Lock(client_id, self.client_name(client_id))
        self._record(flow, self._finished_operation("CHECKOUT", "LOCKED", client_id))
        return flow

    def lock_as(self, flow_id: str, client_id: str, client_name: str) -> Flow:
        """Control plane: lock the flow as another client, for lock-conflict tests."""
        flow = self.flow(flow_id)
        flow.lock = Lock(client_id, client_name)
        return flow

    def unlock(self, flow_id: str, client_id: str) -> Flow:
        flow = self.flow(flow_id)
        self._lag_reads_from_now(flow)
        flow.lock = None
        self._record(flow, self._finished_operation("STATE_CHANGE", "UNLOCKED", client_id))
        return flow

    def revert(self, flow_id: str, client_id: str) -> Flow:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        self._lag_reads_from_now(flow)
        if flow.saved_version_id:
            del flow.versions[flow.saved_version_id]
            flow.saved_version_id = ""
        flow.lock = None
        self._record(flow, self._finished_operation("REVERT", "UNLOCKED", client_id))
        return flow

    def deactivate(self, flow_id: str, client_id: str) -> Flow:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        flow.active = False
        self._record(flow, self._finished_operation("STATE_CHANGE", "SUCCESS", client_id))
        return flow

    def _record(self, flow: Flow, operation: Operation) -> None:
        """Show a synchronous action on currentOperation, unless an async one is still in flight there."""
        if flow.pending is None:
            flow.current_operation = operation

    def _finished_operation(self, action: str, status: str, client_id: str) -> Operation:
        return Operation(str(uuid.uuid4()), action, status, complete=True, client_id=client_id)

    # -- versions --------------------------------------------------------------------------------------

    def resolve_references(self, configuration: JsonObject) -> list[ResolvedReference]:
        resolved: list[ResolvedReference] = []
        for reference in find_references(configuration):
            if reference.kind == "FLOW":
                flows = self.flows_named(reference.name)
                resolved.append(ResolvedReference(reference, flows[0].id if flows else ""))
            else:
                found = self.find_resource(reference.kind, reference.name, reference.category)
                resolved.append(ResolvedReference(reference, found.id if found else ""))
        return resolved

    def _check_configuration_type(self, flow: Flow, configuration: JsonObject) -> None:
        keys = [key for key in configuration if key in ARCHY_FLOW_TYPES]
        if keys and ARCHY_FLOW_TYPES[keys[0]] != flow.type:
            expected = ARCHY_KEY_BY_FLOW_TYPE.get(flow.type, flow.type)
            raise bad_request(
                f"The configuration is a `{keys[0]}` flow but flow '{flow.name}' is {flow.type} "
                f"(expected a `{expected}` document).",
                field="body",
            )

    def add_version(
        self, flow: Flow, configuration: JsonObject, client_id: str, version_type: str
    ) -> FlowVersion:
        number = flow.next_version_number
        uuid_draft = version_type == "SAVE" and self.behaviour.draft_ids == "savedVersionUuid"
        if not uuid_draft:  # a uuid draft takes its number at check-in
            flow.next_version_number += 1
        now = self.clock.now()
        version = FlowVersion(
            id=draft_id() if uuid_draft else version_id(number),
            number=number,
            type=version_type,
            configuration=configuration,
            references=self.resolve_references(configuration),
            created_by_client=client_id,
            date_created=now,
            date_saved=now,
            date_checked_in=None if version_type == "SAVE" else now,
            generation_id=stable_id("generation", flow.id, str(number)),
        )
        flow.versions[version.id] = version
        if version_type == "SAVE":
            flow.saved_version_id = version.id
        else:
            flow.checked_in_version_id = version.id
        return version

    def number_draft(self, flow: Flow, version: FlowVersion) -> None:
        """Give a `saved_version_<uuid>` draft the flow's next number: its id becomes `N.0` (R3)."""
        if not version.id.startswith(DRAFT_ID_PREFIX):
            return
        del flow.versions[version.id]
        version.number = flow.next_version_number
        flow.next_version_number += 1
        version.id = version_id(version.number)
        version.generation_id = stable_id("generation", flow.id, str(version.number))
        flow.versions[version.id] = version

    def save_version(self, flow_id: str, configuration: JsonObject, client_id: str) -> FlowVersion:
        """`POST /flows/{id}/versions`: store a draft (SAVE); checks an unlocked flow out to the caller."""
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        self._check_configuration_type(flow, configuration)
        if flow.lock is None:
            flow.lock = Lock(client_id, self.client_name(client_id))
        if flow.saved_version_id:
            draft = flow.versions[flow.saved_version_id]
            draft.configuration = configuration
            draft.references = self.resolve_references(configuration)
            draft.date_saved = self.clock.now()
            return draft
        return self.add_version(flow, configuration, client_id, "SAVE")

    def latest_configuration(self, flow_id: str, *, include_deleted: bool = False) -> JsonObject:
        flow = self.flow(flow_id, include_deleted=include_deleted)
        for key in (flow.saved_version_id, flow.checked_in_version_id, flow.published_version_id):
            if key:
                return flow.versions[key].configuration
        raise not_found("Configuration of flow", flow_id)

    # -- asynchronous operations -------------------------------------------------------------------------

    def checkin(self, flow_id: str, client_id: str) -> Operation:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        if flow.lock is None:
            raise conflict(f"Flow '{flow.name}' is not checked out; check it out and save a version first.")
        if not flow.saved_version_id:
            raise bad_request(f"Flow '{flow.name}' has no saved draft to check in.")
        return self._start(flow, "CHECKIN", "checkin", flow.saved_version_id, client_id)

    def publish(self, flow_id: str, client_id: str, requested_version: str | None) -> Operation:
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        target_id = requested_version or flow.checked_in_version_id
        if not target_id:
            raise bad_request(f"Flow '{flow.name}' has no checked-in version to publish.", field="version")
        target = flow.versions.get(target_id)
        published = flow.versions.get(flow.published_version_id)
        outcome = decide_publish(
            PublishTarget(target.number, target.type == "SAVE") if target else PublishTarget(None),
            published.number if published else None,
            older=self.behaviour.older_version_publish,
            missing=self.behaviour.missing_version_publish,
        )
        if outcome == "ignore":
            return Operation(str(uuid.uuid4()), "PUBLISH", "STARTED", complete=False, client_id=client_id)
        if outcome == "not_found" or target is None:
            raise not_found(f"Version of flow {flow.id}", target_id)
        if outcome == "draft":
            raise bad_request(
                f"Version {target.id} of flow '{flow.name}' is a draft; check it in before publishing it.",
                field="version",
            )
        if outcome == "older" and published is not None:
            raise ApiError(
                400,
                "architect.flow.publish.version.older",
                f"Version {target.id} is older than the published version {published.id}; this org refuses "
                "to publish an older version. Create a new version from its configuration instead.",
                details=[{"errorCode": "architect.flow.publish.version.older", "fieldName": "version"}],
            )
        return self._start(flow, "PUBLISH", "publish", target.id, client_id)

    def publish_as(self, flow_id: str, client_id: str, requested_version: str, outcome: str) -> Operation:
        """Control plane: another client (e.g. Architect UI) publishes; it ends in `outcome`."""
        flow = self.flow(flow_id)
        self._require_not_locked_by_other(flow, client_id)
        self._require_idle(flow)
        target_id = requested_version or flow.checked_in_version_id
        if not target_id:
            raise bad_request(f"Flow '{flow.name}' has no checked-in version to publish.", field="version")
        target = self.version(flow, target_id)
        if target.type == "SAVE":
            raise bad_request(f"Version {target.id} of flow '{flow.name}' is a draft.", field="version")
        self._start(flow, "PUBLISH", "publish", target.id, client_id, outcome=outcome)
        assert flow.current_operation is not None
        return flow.current_operation

    def transition_for(self, kind: str, flow_id: str = "") -> TransitionMode:
        """How the async work of `kind` advances: a transition rule, else the behaviour's timing (R10)."""
        return self.transitions.mode_for(kind, flow_id, timing=self.behaviour.timing, rng=self.random)

    def _start(
        self, flow: Flow, action: str, kind: str, target_version: str, client_id: str, *, outcome: str = ""
    ) -> Operation:
        self._lag_reads_from_now(flow)
        return operations.start(self, flow, action, kind, target_version, client_id, outcome=outcome)

    def observe_flow(self, flow: Flow) -> None:
        """A read of the flow: counts as a poll of its pending operation (see `operations.observe`)."""
        operations.observe(self, flow)

    def settle(self) -> None:
        """Finish every operation whose time has come (for `seconds` transitions)."""
        operations.settle(self)

    def publish_now(self, flow: Flow, version: FlowVersion, client_id: str) -> None:
        """Publish synchronously (Architect job success, seeding)."""
        operations.apply_publish(self, flow, version, client_id)
        self._record(flow, self._finished_operation("PUBLISH", "SUCCESS", client_id))

    # -- listing ---------------------------------------------------------------------------------------

    def visible_flows(self, *, include_deleted: bool) -> Iterable[Flow]:
        return (f for f in self.flows.values() if include_deleted or not f.deleted)
