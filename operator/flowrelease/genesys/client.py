"""`GenesysClient`: the engine's `FlowApi` over the Genesys Cloud Platform API.

Each method is one endpoint (or one documented procedure such as an export) of genesys-api.md, sent through
the choke point in `transport.py`, read with `wire.py`. Observations are reported as Genesys says them (a
stale `currentOperation`, a `publishedVersion` that already changed); the engine decides what they mean.

Publishing is not blindly retried: publish, check-in, import-job registration, new versions and the YAML
upload are never replayed after a 5xx, a read timeout or a broken connection (the request may have reached
Genesys). They surface as `Transient`, and the engine observes the flow before it acts again.

Architect jobs (validate, export, import) are one request per method: register, read, download. The engine
polls them through its planner; nothing here sleeps for a job.

Flows found by name: concurrent lookups of one type may share a paged listing of that type instead of one
name query each (`flow_lookup`); the flow found is read whole by id either way.

The dependency tracking build status is the org's, not a flow's: one read serves every release of the client
for `build_status_seconds` (concurrent readers share the read in flight), so a fleet pays one request per
minute for it instead of one per release.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import httpx

from flowrelease.engine.ports import (
    Dependency,
    DependencyReport,
    FlowApiError,
    FlowState,
    JobState,
    NotFound,
    OperationState,
    PermissionDenied,
    Unavailable,
    VersionInfo,
)
from flowrelease.engine.verification import VersionSample
from flowrelease.genesys import flow_analytics, routes, wire
from flowrelease.genesys.backoff import RetryPolicy
from flowrelease.genesys.errors import (
    GenesysBadRequest,
    GenesysBadResponse,
    GenesysConflict,
    GenesysErrorInfo,
    GenesysUnavailable,
)
from flowrelease.genesys.flow_lookup import LIST_PAGE_SIZE, FlowLookups
from flowrelease.genesys.http_senders import HttpSender
from flowrelease.genesys.ratelimit import RateLimiter
from flowrelease.genesys.transport import Call, GenesysTransport, OnResponse

PAGE_SIZE = 100
MAX_PAGES = 200
BUILD_STATUS_SECONDS = 60.0


class GenesysClient:
    """Implements `flowrelease.engine.ports.FlowApi`. One per (org, OAuth client); share the `limiter`."""

    def __init__(
        self,
        http: httpx.AsyncClient | HttpSender,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        limiter: RateLimiter | None = None,
        on_response: OnResponse | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        build_status_seconds: float = BUILD_STATUS_SECONDS,
    ) -> None:
        self._client_id = client_id
        self._clock = clock
        self._build_status_seconds = build_status_seconds
        self._build_status: tuple[float, bool] | None = None
        """(when it was read, on `clock`; whether the build was OPERATIONAL)."""
        self._build_lock = asyncio.Lock()
        self._lookups = FlowLookups(self._list_flows, clock)
        self._transport = GenesysTransport(
            http,
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            limiter=limiter,
            on_response=on_response,
            sleep=sleep,
            clock=clock,
            policy=retry,
            rng=rng,
        )

    def __repr__(self) -> str:
        return f"GenesysClient(base_url={self._transport.base_url!r}, client_id={self._client_id!r})"

    @property
    def transport(self) -> GenesysTransport:
        """The choke point this client sends through (shared by `FlowNotifications`)."""
        return self._transport

    async def _json(self, call: Call) -> object:
        return await self._transport.send_json(call)

    # ------------------------------------------------------------------------------- flows

    async def find_flow(self, *, flow_id: str = "", name: str = "", flow_type: str = "") -> FlowState | None:
        if flow_id:
            try:
                return await self.get_flow(flow_id)
            except NotFound:
                return None
        if not name or not flow_type:
            raise GenesysBadRequest(
                "finding a flow needs spec.flow.id, or both spec.flow.name and spec.flow.type "
                "(e.g. inboundcall)"
            )
        listed = await self._lookups.resolve(name, _type_key(flow_type))
        if listed is not None:
            if len(listed) > 1:
                raise _duplicates(name, flow_type, listed)
            flow = await self.find_flow(flow_id=listed[0])
            if flow is not None and flow.name == name and flow.type in ("", _type_key(flow_type).upper()):
                return flow
            # renamed or deleted since the listing: ask by name
        return await self._find_by_name(name, flow_type)

    async def _find_by_name(self, name: str, flow_type: str) -> FlowState | None:
        wanted_type = flow_type.strip().upper()
        matches: list[FlowState] = []
        page = 1
        while page <= MAX_PAGES:
            body = await self._json(
                Call(
                    routes.LIST_FLOWS,
                    purpose=f"looking up {flow_type.lower()} flow {name!r}",
                    params={
                        "name": name,
                        "type": _type_key(flow_type),
                        "pageNumber": page,
                        "pageSize": PAGE_SIZE,
                    },
                )
            )
            for entity in wire.entities(body):
                flow = wire.flow_state(entity, self._client_id)
                if flow.name == name and (not flow.type or flow.type == wanted_type):
                    matches.append(flow)
            if page >= wire.page_count(body) or not wire.entities(body):
                break
            page += 1
        if len(matches) > 1:
            raise _duplicates(name, flow_type, [flow.id for flow in matches])
        if not matches:
            return None
        # A listing entity may leave out fields a single GET has (lock, currentOperation): read it whole.
        return await self.find_flow(flow_id=matches[0].id)

    async def _list_flows(self, flow_type: str, page: int) -> tuple[list[FlowState], int]:
        """One page of every flow of `flow_type` (`FlowLookups`' listing)."""
        body = await self._json(
            Call(
                routes.LIST_FLOWS,
                purpose=f"listing {flow_type} flows (page {page}) to find several by name",
                params={"type": flow_type, "pageNumber": page, "pageSize": LIST_PAGE_SIZE},
            )
        )
        wanted = flow_type.upper()
        flows = [wire.flow_state(entity, self._client_id) for entity in wire.entities(body)]
        return [flow for flow in flows if not flow.type or flow.type == wanted], wire.page_count(body)

    async def get_flow(self, flow_id: str) -> FlowState:
        body = await self._json(
            Call(
                routes.GET_FLOW,
                purpose=f"reading flow {flow_id}",
                path_params={"flowId": flow_id},
                not_found_hint=f"flow {flow_id} does not exist (check spec.flow.id)",
            )
        )
        return wire.flow_state(body, self._client_id)

    async def get_version(self, flow_id: str, version_id: str) -> VersionInfo | None:
        try:
            body = await self._json(
                Call(
                    routes.GET_VERSION,
                    purpose=f"reading version {version_id} of flow {flow_id}",
                    path_params={"flowId": flow_id, "versionId": version_id},
                )
            )
        except NotFound:
            return None
        return wire.version_info(body)

    async def version_configuration(self, flow_id: str, version_id: str) -> Mapping[str, object]:
        body = await self._json(
            Call(
                routes.VERSION_CONFIGURATION,
                purpose=f"reading the configuration of version {version_id} of flow {flow_id}",
                path_params={"flowId": flow_id, "versionId": version_id},
                not_found_hint=f"flow {flow_id} has no version {version_id}",
            )
        )
        if not isinstance(body, dict):
            raise GenesysBadResponse(
                f"reading the configuration of version {version_id} of flow {flow_id} failed: Genesys did "
                "not return a JSON object"
            )
        return body

    async def create_version(self, flow_id: str, configuration: Mapping[str, object]) -> VersionInfo:
        body = await self._json(
            Call(
                routes.CREATE_VERSION,
                purpose=f"creating a new version of flow {flow_id}",
                path_params={"flowId": flow_id},
                json=dict(configuration),
                not_found_hint=f"flow {flow_id} does not exist",
            )
        )
        return wire.version_info(body)

    # ----------------------------------------------------------------------------- actions

    def _action(self, route: routes.Route, flow_id: str, purpose: str, version: str = "") -> Call:
        params: dict[str, str | int] = {"flow": flow_id}
        if version:
            params["version"] = version
        return Call(
            route,
            purpose=purpose,
            params=params,
            not_found_hint=f"flow {flow_id}{f' or its version {version}' if version else ''} does not exist",
        )

    async def unlock(self, flow_id: str) -> None:
        await self._json(self._action(routes.UNLOCK, flow_id, f"unlocking flow {flow_id}"))

    async def checkout(self, flow_id: str) -> FlowState:
        body = await self._json(
            self._action(routes.CHECKOUT, flow_id, f"checking out (locking) flow {flow_id}")
        )
        return wire.flow_state(body, self._client_id)

    async def checkin(self, flow_id: str) -> OperationState:
        body = await self._json(self._action(routes.CHECKIN, flow_id, f"checking in flow {flow_id}"))
        return self._operation(body, f"checking in flow {flow_id}")

    async def publish_version(self, flow_id: str, version_id: str) -> OperationState:
        purpose = f"publishing version {version_id} of flow {flow_id}"
        body = await self._json(self._action(routes.PUBLISH, flow_id, purpose, version_id))
        return self._operation(body, purpose)

    def _operation(self, body: object, purpose: str) -> OperationState:
        operation = wire.operation_state(body, self._client_id)
        if operation is None:
            raise GenesysBadResponse(f"{purpose}: Genesys accepted the request but returned no Operation")
        return operation

    # ------------------------------------------------------------------- dependency tracking

    async def consumed_resources(self, flow_id: str, version_id: str, flow_type: str) -> DependencyReport:
        object_type = wire.DEPENDENCY_OBJECT_TYPES.get(flow_type.strip().upper())
        if object_type is None:
            raise GenesysBadRequest(
                f"dependency tracking has no object type for flow type {flow_type!r}; known flow types: "
                f"{', '.join(sorted(wire.DEPENDENCY_OBJECT_TYPES))}"
            )
        purpose = f"listing the resources version {version_id} of flow {flow_id} consumes"
        consumed: list[Dependency] = []
        page = 1
        while page <= MAX_PAGES:
            body = await self._json(
                Call(
                    routes.CONSUMED_RESOURCES,
                    purpose=purpose,
                    params={
                        "id": flow_id,
                        "version": version_id,
                        "objectType": object_type,
                        "pageNumber": page,
                        "pageSize": PAGE_SIZE,
                    },
                    not_found_hint=f"dependency tracking knows no version {version_id} of flow {flow_id}",
                )
            )
            consumed.extend(wire.dependency(entity) for entity in wire.entities(body))
            if page >= wire.page_count(body) or not wire.entities(body):
                break
            page += 1
        return DependencyReport(consumed=tuple(consumed), build_operational=await self._build_operational())

    async def _build_operational(self) -> bool:
        """Whether the org's dependency tracking build is OPERATIONAL, read at most once per
        `build_status_seconds` for all releases of this client."""
        async with self._build_lock:
            known = self._build_status
            if known is not None and self._clock() - known[0] < self._build_status_seconds:
                return known[1]
            build = await self._json(
                Call(routes.DEPENDENCY_BUILD, purpose="reading the dependency tracking build")
            )
            status = build.get("status") if isinstance(build, dict) else None
            self._build_status = (self._clock(), status == "OPERATIONAL")
            return self._build_status[1]

    # ------------------------------------------------------------------------ architect jobs

    async def start_validate(self, flow_id: str, version_id: str) -> str:
        purpose = f"validating version {version_id} of flow {flow_id}"
        call = Call(
            routes.REGISTER_VALIDATE,
            purpose=purpose,
            json={"flows": [{"flow": {"id": flow_id, "version": version_id}}]},
        )
        body = await self._optional(call, "the validate job service")
        return self._job_id(body, purpose, "validate")

    async def get_validate_job(self, job_id: str) -> JobState:
        call = self._job_call(routes.GET_VALIDATE, f"reading validate job {job_id}", job_id)
        return wire.job_state(await self._optional(call, "the validate job service"))

    async def _optional(self, call: Call, service: str) -> object:
        """A request to a preview service: 404, 403 and 501 mean it is not available here (R7)."""
        try:
            return await self._json(call)
        except Unavailable:
            raise
        except (NotFound, PermissionDenied) as refused:
            raise _unavailable(refused, service) from refused

    @staticmethod
    def _job_id(body: object, purpose: str, kind: str) -> str:
        job_id = wire.job_state(body).id
        if not job_id:
            raise GenesysBadResponse(f"{purpose} failed: Genesys registered the {kind} job without an id")
        return job_id

    @staticmethod
    def _job_call(route: routes.Route, purpose: str, job_id: str) -> Call:
        return Call(
            route,
            purpose=purpose,
            path_params={"jobId": job_id},
            params={"expand": "messages"},
            not_found_hint=f"job {job_id} does not exist (jobs expire; a new one is needed)",
        )

    async def start_import(self) -> tuple[str, str, Mapping[str, str]]:
        body = await self._json(Call(routes.REGISTER_IMPORT, purpose="registering an Architect import job"))
        job_id, url, headers = wire.import_registration(body)
        if not job_id or not url:
            raise GenesysBadResponse(
                "registering an Architect import job failed: the response has no id or presignedUrl"
            )
        return job_id, url, headers

    async def upload_import(self, url: str, headers: Mapping[str, str], yaml_text: str) -> None:
        await self._transport.send(
            Call(
                routes.UPLOAD_IMPORT,
                purpose="uploading the flow YAML to the Architect job's presigned URL",
                url=url,
                headers=dict(headers),
                content=yaml_text.encode("utf-8"),
            )
        )

    async def get_job(self, job_id: str) -> JobState:
        call = self._job_call(routes.GET_IMPORT, f"reading Architect job {job_id}", job_id)
        return wire.job_state(await self._json(call))

    # ----------------------------------------------------------------------------- analytics

    async def flow_version_sample(
        self, flow_id: str, version: str, since: datetime, until: datetime
    ) -> VersionSample:
        start, end = _utc(since), _utc(until)
        if end <= start:
            return VersionSample()
        body = await self._json(
            Call(
                routes.FLOW_AGGREGATES,
                purpose=f"reading flow aggregates of version {version} of flow {flow_id}",
                json=flow_analytics.version_query(flow_id, version, start, end),
            )
        )
        return flow_analytics.version_sample(body, flow_id, version)

    # -------------------------------------------------------------------------------- export

    async def start_export(self, flow_id: str, version_id: str) -> str:
        purpose = f"exporting version {version_id} of flow {flow_id}"
        body = await self._json(
            Call(
                routes.REGISTER_EXPORT,
                purpose=purpose,
                json={"flows": [{"flow": {"id": flow_id, "version": version_id}, "exportType": "Yaml"}]},
                not_found_hint=f"flow {flow_id} or its version {version_id} does not exist",
            )
        )
        return self._job_id(body, purpose, "export")

    async def get_export_job(self, job_id: str) -> JobState:
        call = self._job_call(routes.GET_EXPORT, f"reading export job {job_id}", job_id)
        return wire.job_state(await self._json(call))

    async def download_export(self, url: str) -> str:
        response = await self._transport.send(
            Call(routes.DOWNLOAD_EXPORT, purpose="downloading an exported flow's YAML", url=url)
        )
        return response.text


def _type_key(flow_type: str) -> str:
    return flow_type.strip().lower()


def _duplicates(name: str, flow_type: str, ids: list[str]) -> GenesysConflict:
    return GenesysConflict(
        f"looking up {flow_type.lower()} flow {name!r} failed: {len(ids)} flows have that exact name and "
        f"type ({', '.join(ids)}); set spec.flow.id to the one to release"
    )


def _unavailable(refused: FlowApiError, service: str) -> GenesysUnavailable:
    error = GenesysUnavailable(
        f"{service} is not available to this org or OAuth client: {refused.message}",
        status=refused.status,
        code=refused.code,
    )
    if isinstance(refused, GenesysErrorInfo):
        error.route, error.correlation_id = refused.route, refused.correlation_id
    return error


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
