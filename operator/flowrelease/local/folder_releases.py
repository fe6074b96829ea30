"""The promotion gate's view of other releases in `sync`: the folder's FlowReleases with the statuses this run
saves, and a wake-up for a gated release when one of its upstreams saves a new status (no polling storm).

`FolderReleases` implements the engine's ReleaseDirectory, `FolderExports` its UpstreamExports;
`StatusChanges` wraps the state file's store so every save also wakes whoever waits on that release.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine.ports import ArtifactStoreError, UpstreamArtifact
from flowrelease.gitops import GitArtifactStore
from flowrelease.local.state_store import JsonFileStatusStore


class StatusChanges:
    """A StatusStore over the state file that counts the saves that changed each release's status, so a
    gated release can wait until one of its upstreams has moved since it last looked."""

    def __init__(self, store: JsonFileStatusStore) -> None:
        self.store = store
        self._versions: dict[str, int] = {}
        self._changed = asyncio.Condition()

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        before = self.store.status(key) if self.store.has(key) else None
        await self.store.save(key, status)
        if before != status:
            async with self._changed:
                self._versions[key] = self._versions.get(key, 0) + 1
                self._changed.notify_all()

    def seen(self, keys: Iterable[str]) -> tuple[int, ...]:
        """Where `keys` stand now; pass it to `wait_for` to wake on any change after this moment."""
        return tuple(self._versions.get(key, 0) for key in keys)

    async def wait_for(self, keys: Sequence[str], seconds: float, seen: tuple[int, ...]) -> None:
        """Return after `seconds`, or as soon as one of `keys` saved a new status since `seen`."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self.seen(keys) != seen), seconds)


class FolderReleases:
    """The releases of this run by `namespace/name`, each with the status last saved for it."""

    def __init__(self, releases: Mapping[str, FlowRelease], store: JsonFileStatusStore) -> None:
        self.releases = dict(releases)
        self.store = store

    async def find_release(self, namespace: str, name: str) -> FlowRelease | None:
        key = f"{namespace}/{name}"
        release = self.releases.get(key)
        if release is None:
            return None
        return release.model_copy(update={"status": self.store.status(key)})


class FolderExports:
    """The engine's UpstreamExports in `sync`: an upstream of the folder, read with the Git credentials the
    folder gives that upstream."""

    def __init__(
        self, artifacts: GitArtifactStore, credentials: Mapping[str, Mapping[str, str] | None]
    ) -> None:
        self.artifacts = artifacts
        self.credentials = dict(credentials)

    async def read_export(self, upstream: FlowRelease) -> UpstreamArtifact:
        export = upstream.spec.export.git if upstream.spec.export is not None else None
        if export is None:
            raise ArtifactStoreError(f"{upstream.key} has no spec.export.git", permanent=True)
        return await self.artifacts.read_artifact(export, self.credentials.get(upstream.key) or {})
