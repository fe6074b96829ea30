"""The status store writes one status per engine run, yet the intent is in the cluster before every side
effect: the real engine, the real GenesysClient to the emulator, the real apiserver. A probe around the
Genesys client reads the FlowRelease from the apiserver at the moment the publish POST leaves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.ports import OperationState
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient
from flowrelease.k8s.kube_api import KubeApi
from flowrelease.k8s.status_first import StatusFirstFlowApi
from flowrelease.k8s.status_store import KubeStatusStore
from tests.e2e.conftest import Cluster, release_manifest
from tests.integration.engine.harness import ListAuditSink
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(120)]


class ClusterAtPublish(GenesysClient):
    """The real client; records what the cluster holds when a publish is sent."""

    api: KubeApi
    key: tuple[str, str]
    seen: list[dict[str, Any]]

    async def publish_version(self, flow_id: str, version_id: str) -> OperationState:
        obj = await self.api.get_release(*self.key)
        self.seen.append(dict(obj.get("status") or {}))
        return await super().publish_version(flow_id, version_id)


async def test_the_intent_is_in_the_cluster_when_the_publish_leaves_and_a_run_writes_once_more(
    cluster: Cluster, emulator: EmulatorHandle
) -> None:
    # Each run follows the last at once, without the engine's wait: work finishes on the first look (the
    # ideal transitions), not by time as the e2e default has it, so every run sees something new.
    emulator.control.set_transition_mode("polls", polls=1)
    cluster.apply(release_manifest("intent", environment=emulator.base_url, version="3.0"))
    obj = cluster.release("intent")
    api = await KubeApi.connect(kubeconfig=str(cluster.kube.kubeconfig))
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            client = ClusterAtPublish(
                http,
                base_url=emulator.base_url,
                client_id=emulator.client_id,
                client_secret=emulator.client_secret,
            )
            client.api, client.key, client.seen = api, (cluster.namespace, "intent"), []
            store = KubeStatusStore(api)
            engine = ReleaseReconciler(
                flow_api=StatusFirstFlowApi(client, store),
                statuses=store,
                audit=ListAuditSink(),
                clock=SystemClock(),
            )
            release = FlowRelease.model_validate(obj)
            key = f"{cluster.namespace}/intent"
            store.remember(key, {})
            status = FlowReleaseStatus()
            runs = 0
            for _ in range(10):
                runs += 1
                async with store.pass_of(key):
                    outcome = await engine.reconcile(release, status, generation=1)
                status = outcome.status
                if outcome.kind is not OutcomeKind.WAITING:
                    break
    finally:
        await api.close()

    assert outcome.kind is OutcomeKind.READY, outcome.message
    (at_publish,) = client.seen
    assert at_publish["phase"] == "Publishing"
    assert at_publish["operation"]["kind"] == "publish" and at_publish["operation"]["version"] == "3.0"
    assert at_publish["observedGeneration"] == 1
    assert cluster.release("intent")["status"] == outcome.status.to_wire()
    # Resolve, begin, validate and the intent: one write, before the POST; then one when each engine run
    # ends (the operation id and polls, or published, verified and Ready). Not one per step.
    assert store.writes == runs + 1
