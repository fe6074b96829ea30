"""An ArtifactStore that checks each export target once per run: `plan` checks every target in its
preflight, then the engine's read-only pass asks again moments later (`CheckExportTarget`); the second
`git ls-remote` would tell nothing new. Only a target that passed is remembered: a refusal is asked again.
"""

from __future__ import annotations

from collections.abc import Mapping

from flowrelease.api.models import GitExport
from flowrelease.engine.ports import ArtifactProvenance, ArtifactStore, ExportedFlow, StoredArtifact

TargetKey = tuple[str, str, str, tuple[tuple[str, str], ...]]
"""url, branch, path, credentials"""


def target_key(target: GitExport, credentials: Mapping[str, str]) -> TargetKey:
    return (target.url, target.branch, target.path, tuple(sorted(credentials.items())))


class TargetsCheckedOnce:
    def __init__(self, inner: ArtifactStore) -> None:
        self._inner = inner
        self._passed: set[TargetKey] = set()

    async def check_target(self, target: GitExport, credentials: Mapping[str, str]) -> None:
        key = target_key(target, credentials)
        if key in self._passed:
            return
        await self._inner.check_target(target, credentials)
        self._passed.add(key)

    async def store(
        self,
        target: GitExport,
        credentials: Mapping[str, str],
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
    ) -> StoredArtifact:
        return await self._inner.store(target, credentials, flow, provenance)
