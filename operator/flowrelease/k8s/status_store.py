"""The engine's StatusStore for FlowReleases in the cluster: at most one status write per pass, plus one
before each side effect in Genesys or git when the status changed since the last write.

The engine saves after every step and before every side effect. Writing each of those saves to etcd would cost
a write per step (resolve, begin, validated, intent, operation id, published, verified, ready) for nothing a
user could act on, so inside a pass (`async with store.pass_of(key)`) a save only records the newest status,
and the store writes it:

- when the pass ends (also when it fails);
- right before a side effect: `StatusFirstFlowApi` and `StatusFirstArtifactStore` (status_first.py) call
  `flush_current()` before every call that changes a Genesys flow or pushes to git. That is the promise the
  engine's saves exist for — the intent is in the cluster before the side effect — kept at the one moment it
  matters;
- never when it equals what the cluster holds (`remember` is told what the pass read), so a pass that changed
  nothing writes nothing.

Outside a pass a save is written at once. Passes of one release never overlap (the runtime's per-release
lock), so one store serves every release.
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


class KubeStatusStore:
    def __init__(self, api: KubeApi, *, redact: Callable[[str], str] = _identity) -> None:
        self._api = api
        self._redact = redact
        self._stored: dict[str, Mapping[str, object]] = {}
        self._pending: dict[str, dict[str, object]] = {}
        self.writes = 0

    def remember(self, key: str, status: Mapping[str, object]) -> None:
        """The status as the pass read it from the cluster."""
        self._stored[key] = dict(status)

    def forget(self, key: str) -> None:
        self._stored.pop(key, None)
        self._pending.pop(key, None)

    def stored(self, key: str) -> Mapping[str, object] | None:
        """What this store last read or wrote for `key`."""
        return self._stored.get(key)

    @asynccontextmanager
    async def pass_of(self, key: str) -> AsyncIterator[None]:
        """Collect this task's saves for `key` and write the newest once, when the block ends."""
        token = _CURRENT_PASS.set(key)
        try:
            yield
        except BaseException:
            try:
                await self.flush(key)
            except Exception:
                logger.warning("%s: could not write the status after a failed pass", key, exc_info=True)
            raise
        else:
            await self.flush(key)
        finally:
            _CURRENT_PASS.reset(token)

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        wire = self._scrubbed(status.to_wire())
        if _CURRENT_PASS.get() == key:
            self._pending[key] = wire
            return
        await self._write(key, wire)

    async def flush(self, key: str) -> None:
        """Write the newest status saved for `key`, unless the cluster already holds it."""
        wire = self._pending.pop(key, None)
        if wire is None:
            return
        try:
            await self._write(key, wire)
        except BaseException:
            self._pending.setdefault(key, wire)
            raise

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

    def _scrubbed(self, wire: dict[str, object]) -> dict[str, object]:
        """Defence in depth: a message quoting a credential is redacted before it reaches the cluster."""
        text = json.dumps(wire, sort_keys=True)
        redacted = self._redact(text)
        if redacted == text:
            return wire
        scrubbed: dict[str, object] = json.loads(redacted)
        return scrubbed
