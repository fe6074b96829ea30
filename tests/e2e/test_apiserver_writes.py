"""What one promotion costs the cluster: the operator's writes to the apiserver, counted by the apiserver.

A promotion without bake stages or export (validate → publish → poll → Ready) must not write the status once
per step or per Genesys poll: each pass writes at most once when it ends, and before a side effect in
Genesys only when the status changed since the last write.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, release_manifest
from tests.support.apiserver_metrics import writes_now, writes_since
from tests.support.emulator import EmulatorHandle
from tests.support.health_eval import HealthEval

PUBLISH_PATH = "/api/v2/flows/actions/publish"

pytestmark = [pytest.mark.kube, pytest.mark.timeout(180)]

OPERATOR_RESOURCES = {"flowreleases", "flowreleases/status", "events"}

# Measured on the shell before this change (kopf 1.45.2, the same test): 8 status patches, 3 Events and
# 1 kopf annotation patch for this promotion.
WRITES_BEFORE = 12
STATUS_WRITES_BEFORE = 8


def test_a_promotion_without_bake_costs_few_apiserver_writes(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    before = writes_now(cluster.kube)
    cluster.apply(release_manifest("counted", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("counted", is_ready, timeout=60, what="Ready")

    writes = writes_since(cluster.kube, before, resources=OPERATOR_RESOURCES)
    print(f"apiserver writes for one promotion: {dict(writes)}")
    status_writes = writes[("flowreleases/status", "PATCH")]
    own_writes = sum(
        count for (resource, verb), count in writes.items() if (resource, verb) != ("flowreleases", "POST")
    )
    assert writes[("flowreleases", "POST")] == 1, "the test's own kubectl apply"
    assert writes[("events", "POST")] == 3, "Publishing, Published, Ready"
    # The intent before the publish POST, and Ready: the POST's acknowledgement and the polls stay in
    # memory (with notifications too, where the next look is the event's or the 16 s safety net's).
    assert status_writes == 2, writes
    assert status_writes < STATUS_WRITES_BEFORE, writes
    assert own_writes == 5 < WRITES_BEFORE, writes


def test_a_new_release_waiting_for_a_slot_already_reads_as_in_progress(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
    health_eval: HealthEval,
) -> None:
    """With one slot taken by a slow publish, the next release gets its Accepted status at once, which
    kstatus reads as InProgress and Argo CD as Progressing (not Current / Healthy before anything ran)."""
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace, extra_args=("--max-concurrent=1",))
    emulator.control.add_fault(path=PUBLISH_PATH, method="POST", latency_ms=8000, count=1)
    cluster.apply(release_manifest("slow", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("slow", lambda o: (o.get("status") or {}).get("phase") == "Publishing", timeout=30)
    cluster.apply(
        release_manifest("queued", environment=emulator.base_url, version="1.0", flow_name="Billing IVR")
    )
    queued = cluster.wait_release("queued", lambda o: bool(o.get("status")), timeout=5, what="a first status")
    assert queued["status"]["phase"] == "Pending", queued["status"]
    assert condition(queued, "Reconciling")["reason"] == "Accepted"
    assert queued["status"]["observedGeneration"] == queued["metadata"]["generation"]
    (health,) = health_eval.judge([queued])
    assert health.pair == ("InProgress", "Progressing")
    cluster.wait_release("queued", is_ready, timeout=60, what="Ready once the slot is free")
