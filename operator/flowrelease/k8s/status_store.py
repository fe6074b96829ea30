"""The engine's StatusStore for FlowReleases in the cluster: every save is a write to the status subresource.

The engine saves before every side effect (the operation it is about to start, the version to roll back to).
kopf's own patch is applied only after a handler returns, which is too late for that promise: a kill in
between would lose the operation id and a restarted operator could publish twice. So `save` returns only
after the apiserver has stored the new status.

Each pass starts by telling the store what status it read (`remember`), and saves that would change nothing
are skipped. Passes of one release never overlap (the runtime's per-release lock), so this is safe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.k8s.kube_api import KubeApi


def _identity(text: str) -> str:
    return text


class KubeStatusStore:
    def __init__(self, api: KubeApi, *, redact: Callable[[str], str] = _identity) -> None:
        self._api = api
        self._redact = redact
        self._stored: dict[str, Mapping[str, object]] = {}
        self.writes = 0

    def remember(self, key: str, status: Mapping[str, object]) -> None:
        """The status as the pass read it from the cluster."""
        self._stored[key] = dict(status)

    def forget(self, key: str) -> None:
        self._stored.pop(key, None)

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        namespace, _, name = key.partition("/")
        wire = self._scrubbed(status.to_wire())
        if wire == self._stored.get(key):
            return
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
