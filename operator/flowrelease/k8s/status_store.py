"""The engine's StatusStore for FlowReleases in the cluster: at most one status write per pass, plus one
before each side effect in Genesys or git when the status changed since the last write.

The engine saves after every step and before every side effect. Writing each of those saves to etcd would cost
a write per step (resolve, begin, validated, intent, operation id, published, verified, ready) for nothing a
user could act on, so inside a pass (`async with store.pass_of(key)`) a save only records the newest status,
and the store writes it:

- when the pass ends (also when it fails), unless the pass says `keep_in_memory()`: it ends waiting for a
  look a few seconds away (a poll; with notifications live for its flow, the event's pass), so the next pass
  writes what changed when it settles or before its next side effect. A poll therefore costs no write, and
  neither does the publish's acknowledgement (a restart that finds the intent without it looks for the
  operation on the flow, as the engine does after any crash);
- right before a side effect: `StatusFirstFlowApi` and `StatusFirstArtifactStore` (status_first.py) call
  `flush_current()` before every call that changes a Genesys flow or pushes to git. That is the promise the
  engine's saves exist for — the intent is in the cluster before the side effect — kept at the one moment it
  matters;
- never when it equals what the cluster holds, so a pass that changed nothing writes nothing.

Outside a pass a save is written at once. Passes of one release never overlap (the runtime's per-release
lock), so one store serves every release. What the store holds for a release (`latest`) is newer than any
copy of the object the operator was handed, except when another replica wrote: `start_from` with a fresh
read of the object drops memory the cluster no longer agrees with.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.k8s.kube_api import KubeApi

logger = logging.getLogger(__name__)

_CURRENT_PASS: contextvars.ContextVar[str | None] = contextvars.ContextVar("flowrelease_pass", default=None)


def _identity(text: str) -> str:
    return text


class PassWrites:
    """What a pass tells the store about its final write."""

    def __init__(self) -> None:
        self.kept = False

    def keep_in_memory(self) -> None:
        """The pass ends waiting a few seconds: leave its status for the next pass to write."""
        self.kept = True


class KubeStatusStore:
    def __init__(self, api: KubeApi, *, redact: Callable[[str], str] = _identity) -> None:
        self._api = api
        self._redact = redact
        self._stored: dict[str, Mapping[str, object]] = {}
        self._pending: dict[str, FlowReleaseStatus] = {}
        """The newest status saved inside a pass, as the engine saved it: turned into its redacted wire form
        only when it is written (a pass saves after every step, and most saves are superseded)."""
        self.writes = 0

    def start_from(self, key: str, cluster: Mapping[str, object] | None) -> Mapping[str, object] | None:
        """The status a pass of `key` starts from: what this store last saved for it, unless `cluster` (a
        fresh read of the object's status) disagrees with what the store last wrote — someone else wrote
        since (another replica), so its copy wins. `cluster=None`: no fresh read, trust memory. None: the
        store knows nothing of `key`."""
        if cluster is not None and dict(cluster) != self._stored.get(key):
            self._pending.pop(key, None)
            self._stored[key] = dict(cluster)
        pending = self._pending.get(key)
        return self._wire(pending) if pending is not None else self._stored.get(key)

    def knows(self, key: str) -> bool:
        return key in self._stored or key in self._pending

    def remember(self, key: str, status: Mapping[str, object]) -> None:
        """The status as the pass read it from the cluster."""
        self._stored[key] = dict(status)

    def forget(self, key: str) -> None:
        self._stored.pop(key, None)
        self._pending.pop(key, None)

    def pending(self, key: str) -> bool:
        """A status newer than the cluster's is held in memory for `key`."""
        return key in self._pending

    def stored(self, key: str) -> Mapping[str, object] | None:
        """What this store last read or wrote for `key`."""
        return self._stored.get(key)

    @asynccontextmanager
    async def pass_of(self, key: str) -> AsyncIterator[PassWrites]:
        """Collect this task's saves for `key` and write the newest once, when the block ends (unless the
        pass asked to keep it in memory)."""
        token = _CURRENT_PASS.set(key)
        writes = PassWrites()
        try:
            yield writes
        except BaseException:
            try:
                await self.flush(key)
            except Exception:
                logger.warning("%s: could not write the status after a failed pass", key, exc_info=True)
            raise
        else:
            if not writes.kept:
                await self.flush(key)
        finally:
            _CURRENT_PASS.reset(token)

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        if _CURRENT_PASS.get() == key:
            self._pending[key] = status
            return
        await self._write(key, self._wire(status))

    async def flush(self, key: str) -> None:
        """Write the newest status saved for `key`, unless the cluster already holds it."""
        status = self._pending.get(key)
        if status is None:
            return
        await self._write(key, self._wire(status))
        if self._pending.get(key) is status:
            del self._pending[key]

    async def flush_current(self) -> None:
        """Before a side effect: write the status of the pass running in this task, if it changed."""
        key = _CURRENT_PASS.get()
        if key is not None:
            await self.flush(key)

    async def _write(self, key: str, wire: dict[str, object]) -> None:
        if wire == self._stored.get(key):
            return
        namespace, _, name = key.partition("/")
        await self._api.replace_status(namespace, name, wire)
        self._stored[key] = wire
        self.writes += 1

    def _wire(self, status: FlowReleaseStatus) -> dict[str, object]:
        """The status as it is written. Defence in depth: a message quoting a credential is redacted before
        it reaches the cluster."""
        wire = status.to_wire()
        text = json.dumps(wire, sort_keys=True)
        redacted = self._redact(text)
        if redacted == text:
            return wire
        scrubbed: dict[str, object] = json.loads(redacted)
        return scrubbed
