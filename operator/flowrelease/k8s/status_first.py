"""The engine's ports as the operator hands them over: every side effect waits for the status to be written.

`KubeStatusStore` writes a pass's status once, when the pass ends. The engine's promise that its intent is
persisted before a side effect is kept here instead: each call that changes a Genesys flow (publish, unlock,
create a version, check in or out, start or upload an import) and each git push first writes the pending
status of the pass running in this task. Calls that only read, and the validate and export jobs (they change
nothing in the flow, and repeating them after a crash is harmless), go straight through.

mypy checks both classes against the engine's Protocols, so a method added to a port cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flowrelease.api.models import GitExport
from flowrelease.engine.ports import (
    ArtifactProvenance,
    ArtifactStore,
    DependencyReport,
    ExportedFlow,
    FlowApi,
    FlowState,
    JobState,
    OperationState,
    StoredArtifact,
    VersionInfo,
)
from flowrelease.engine.verification import VersionSample
from flowrelease.k8s.status_store import KubeStatusStore


class StatusFirstFlowApi(FlowApi):
    def __init__(self, inner: FlowApi, statuses: KubeStatusStore) -> None:
        self._inner = inner
        self._statuses = statuses

    # -- reads --------------------------------------------------------------------------------------------

    async def find_flow(self, *, flow_id: str = "", name: str = "", flow_type: str = "") -> FlowState | None:
        return await self._inner.find_flow(flow_id=flow_id, name=name, flow_type=flow_type)

    async def get_flow(self, flow_id: str) -> FlowState:
        return await self._inner.get_flow(flow_id)

    async def get_version(self, flow_id: str, version_id: str) -> VersionInfo | None:
        return await self._inner.get_version(flow_id, version_id)

    async def consumed_resources(self, flow_id: str, version_id: str, flow_type: str) -> DependencyReport:
        return await self._inner.consumed_resources(flow_id, version_id, flow_type)

    async def start_validate(self, flow_id: str, version_id: str) -> str:
        return await self._inner.start_validate(flow_id, version_id)

    async def get_validate_job(self, job_id: str) -> JobState:
        return await self._inner.get_validate_job(job_id)

    async def version_configuration(self, flow_id: str, version_id: str) -> Mapping[str, object]:
        return await self._inner.version_configuration(flow_id, version_id)

    async def get_job(self, job_id: str) -> JobState:
        return await self._inner.get_job(job_id)

    async def flow_version_sample(
        self, flow_id: str, version: str, since: datetime, until: datetime
    ) -> VersionSample:
        return await self._inner.flow_version_sample(flow_id, version, since, until)

    async def start_export(self, flow_id: str, version_id: str) -> str:
        return await self._inner.start_export(flow_id, version_id)

    async def get_export_job(self, job_id: str) -> JobState:
        return await self._inner.get_export_job(job_id)

    async def download_export(self, url: str) -> str:
        return await self._inner.download_export(url)

    # -- side effects: the status first ---------------------------------------------------------------------

    async def unlock(self, flow_id: str) -> None:
        await self._statuses.flush_current()
        await self._inner.unlock(flow_id)

    async def publish_version(self, flow_id: str, version_id: str) -> OperationState:
        await self._statuses.flush_current()
        return await self._inner.publish_version(flow_id, version_id)

    async def create_version(self, flow_id: str, configuration: Mapping[str, object]) -> VersionInfo:
        await self._statuses.flush_current()
        return await self._inner.create_version(flow_id, configuration)

    async def checkin(self, flow_id: str) -> OperationState:
        await self._statuses.flush_current()
        return await self._inner.checkin(flow_id)

    async def checkout(self, flow_id: str) -> FlowState:
        await self._statuses.flush_current()
        return await self._inner.checkout(flow_id)

    async def start_import(self) -> tuple[str, str, Mapping[str, str]]:
        await self._statuses.flush_current()
        return await self._inner.start_import()

    async def upload_import(self, url: str, headers: Mapping[str, str], yaml_text: str) -> None:
        await self._statuses.flush_current()
        await self._inner.upload_import(url, headers, yaml_text)


class StatusFirstArtifactStore(ArtifactStore):
    def __init__(self, inner: ArtifactStore, statuses: KubeStatusStore) -> None:
        self._inner = inner
        self._statuses = statuses

    async def store(
        self,
        target: GitExport,
        credentials: Mapping[str, str],
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
    ) -> StoredArtifact:
        await self._statuses.flush_current()
        return await self._inner.store(target, credentials, flow, provenance)

    async def check_target(self, target: GitExport, credentials: Mapping[str, str]) -> None:
        await self._inner.check_target(target, credentials)  # a read (git ls-remote): nothing to flush first
