"""Upstream changes wake downstream releases: the operator's side of the promotion gate, without polling.

Every FlowRelease watch event the `ReleaseScheduler` sees passes through `PromotionWakeups.observe`, which
keeps who requires whom (from `spec.promotion.requires`) and a fingerprint of what the gate reads of each
release (its change, phase and Healthy condition). When an upstream's fingerprint changes (or it is
deleted), the scheduler wakes each downstream release (`ReleaseScheduler.wake`: a pass now, or one more
right after the running one, never two queued). A gate that waits also ends its pass with a wait of its
own (PROMOTION_RECHECK_SECONDS, or what is left of the soak), which the scheduler books as it books any
other wait. With --peering there is no scheduler and no wakeup: kopf's requeue re-checks the gate.

`KubeReleaseDirectory` is the engine's ReleaseDirectory on the apiserver: the upstream read fresh, with
its status, on every pass of a gated release. `KubeUpstreamExports` reads a fromRelease upstream's Git
export with that upstream's own Secret (spec.source.fromRelease also wakes the importing release).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowRelease
from flowrelease.engine.ports import ArtifactStoreError, UpstreamArtifact
from flowrelease.gitops import GitArtifactStore
from flowrelease.k8s.kube_api import KubeApi, ObjectGone
from flowrelease.k8s.secrets import ReferenceUnavailable, load_git_credentials

logger = logging.getLogger(__name__)


def _key(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return f"{metadata.get('namespace') or 'default'}/{metadata.get('name') or ''}"


def required_keys(obj: Mapping[str, Any]) -> frozenset[str]:
    """`namespace/name` of each upstream the object's spec.promotion.requires and spec.source.fromRelease
    name."""
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    spec = obj.get("spec") or {}
    promotion = spec.get("promotion") or {}
    requires = promotion.get("requires") if isinstance(promotion, Mapping) else None
    source = spec.get("source") or {}
    imported = source.get("fromRelease") if isinstance(source, Mapping) else None
    needs = [*(requires if isinstance(requires, list) else []), imported]
    return frozenset(
        f"{need.get('namespace') or namespace}/{need.get('name')}"
        for need in needs
        if isinstance(need, Mapping) and need.get("name")
    )


def gate_fingerprint(obj: Mapping[str, Any]) -> str:
    """What a downstream gate reads of this release; a change in it is worth waking downstream for."""
    status = obj.get("status") or {}
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    healthy = next(
        (c for c in conditions or [] if isinstance(c, Mapping) and c.get("type") == C.HEALTHY), None
    )
    facts = {
        "promotion": status.get("promotion"),
        "phase": status.get("phase"),
        "artifact": status.get("artifact"),
        "healthy": [healthy.get("status"), healthy.get("lastTransitionTime")] if healthy else None,
    }
    return json.dumps(facts, sort_keys=True, default=str)


class PromotionWakeups:
    """Who requires whom, and what the gate last read of each release; `observe` says whom an event wakes."""

    def __init__(self) -> None:
        self._requires: dict[str, frozenset[str]] = {}
        self._fingerprints: dict[str, str] = {}

    def observe(self, event_type: str | None, obj: Mapping[str, Any]) -> frozenset[str]:
        """Record one watch event; the downstream releases to wake because of it."""
        key = _key(obj)
        if event_type == "DELETED":
            self._requires.pop(key, None)
            changed = self._fingerprints.pop(key, None) is not None
        else:
            required = required_keys(obj)
            if required:
                self._requires[key] = required
            else:  # most releases: kept out, so finding a release's downstream scans only gated ones
                self._requires.pop(key, None)
            fingerprint = gate_fingerprint(obj)
            changed = self._fingerprints.get(key) not in (None, fingerprint)
            self._fingerprints[key] = fingerprint
        if not changed:
            return frozenset()
        return self.downstream_of(key)

    def downstream_of(self, key: str) -> frozenset[str]:
        return frozenset(down for down, ups in self._requires.items() if key in ups)


class KubeUpstreamExports:
    """The engine's UpstreamExports in the operator: the upstream's spec.export.git, read with the Secret its
    spec.export.git.secretRef names in the upstream's own namespace."""

    def __init__(self, api: KubeApi, artifacts: GitArtifactStore) -> None:
        self.api = api
        self.artifacts = artifacts

    async def read_export(self, upstream: FlowRelease) -> UpstreamArtifact:
        export = upstream.spec.export.git if upstream.spec.export is not None else None
        if export is None:
            raise ArtifactStoreError(f"{upstream.key} has no spec.export.git", permanent=True)
        try:
            credentials = await load_git_credentials(self.api, upstream.metadata.namespace, upstream.spec)
        except ReferenceUnavailable as error:
            raise ArtifactStoreError(f"{upstream.key}'s {error}", permanent=True) from None
        return await self.artifacts.read_artifact(export, credentials or {})


class KubeReleaseDirectory:
    """The engine's ReleaseDirectory on the apiserver."""

    def __init__(self, api: KubeApi) -> None:
        self.api = api

    async def find_release(self, namespace: str, name: str) -> FlowRelease | None:
        try:
            obj = await self.api.get_release(namespace, name)
        except ObjectGone:
            return None
        try:
            return FlowRelease.model_validate(obj)
        except ValidationError:
            logger.warning("upstream %s/%s is not a valid FlowRelease; treated as missing", namespace, name)
            return None
