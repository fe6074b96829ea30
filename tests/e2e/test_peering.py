"""Two replicas with kopf peering: the higher priority works, the lower one pauses, and takes over once the
higher one has left. (Peering is not leader election; docs/operator.md says what it does not promise.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Cluster, GenesysClientCreds, is_ready, release_manifest
from tests.e2e.test_release_lifecycle import published_version
from tests.support.emulator import EmulatorHandle
from tests.support.kube import KubeCluster

pytestmark = [pytest.mark.kube, pytest.mark.timeout(180)]

PEERING_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kopfpeerings.kopf.dev
spec:
  scope: Namespaced
  group: kopf.dev
  names: {kind: KopfPeering, plural: kopfpeerings, singular: kopfpeering}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            status: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def enable_peering(kube_cluster: KubeCluster, cluster: Cluster, tmp_path: Path) -> None:
    """kopf's peering CRD in the cluster and a KopfPeering named `flowrelease` in the test's namespace."""
    crd = tmp_path / "peering-crd.yaml"
    crd.write_text(PEERING_CRD)
    kube_cluster.apply_crd(crd)
    peering = {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "flowrelease"}}
    kube_cluster.kubectl("apply", "-n", cluster.namespace, "-f", "-", input=yaml.safe_dump(peering))


def wait_for_log(process, text: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in process.logs():
            return
        time.sleep(0.25)
    raise AssertionError(f"{text!r} not logged in {timeout}s:\n{process.logs()[-3000:]}")


def test_lower_priority_replica_pauses_then_takes_over(
    kube_cluster: KubeCluster,
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
    tmp_path,
) -> None:
    enable_peering(kube_cluster, cluster, tmp_path)
    cluster.apply_credentials(genesys_client)
    active = start_operator(
        cluster.namespace, extra_args=("--peering=flowrelease", "--priority=20"), standalone=False
    )
    standby = start_operator(
        cluster.namespace, extra_args=("--peering=flowrelease", "--priority=10"), standalone=False
    )
    deadline = time.monotonic() + 30
    peers: dict[str, object] = {}
    while time.monotonic() < deadline and len(peers) < 2:
        peers = (
            cluster.custom.get_namespaced_custom_object(
                "kopf.dev", "v1", cluster.namespace, "kopfpeerings", "flowrelease"
            ).get("status")
            or {}
        )
        time.sleep(0.25)
    assert sorted(int(p["priority"]) for p in peers.values()) == [10, 20], peers  # type: ignore[index]

    cluster.apply(release_manifest("peered", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("peered", is_ready, timeout=60, what="Ready")
    wait_for_log(active, "peered: ready")
    assert "peered: ready" not in standby.logs()

    active.stop()  # a graceful exit withdraws its heartbeat; a crash is noticed after the 60 s lifetime
    wait_for_log(standby, "Resuming operations after the pause")
    cluster.patch_release("peered", {"spec": {"version": "1.0"}})
    cluster.wait_release(
        "peered",
        lambda o: is_ready(o) and o["status"]["publishedVersion"] == "1.0",
        timeout=60,
        what="Ready at 1.0",
    )
    wait_for_log(standby, "peered: ready")
    assert published_version(emulator, "Support IVR") == "1.0"


def test_a_replica_paused_by_a_higher_priority_one_does_nothing_more(
    kube_cluster: KubeCluster,
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
    tmp_path,
) -> None:
    """The replica that was working pauses when a higher one joins; from then on only the higher one acts
    (drift checks, which kopf peering could not pause, are off with --peering: the operator's default)."""
    enable_peering(kube_cluster, cluster, tmp_path)
    cluster.apply_credentials(genesys_client)
    low = start_operator(
        cluster.namespace,
        extra_args=("--peering=flowrelease", "--priority=10"),
        standalone=False,
        drift_interval=None,
    )
    wait_for_log(low, "drift checks off")
    cluster.apply(release_manifest("handover", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("handover", is_ready, timeout=60, what="Ready")
    wait_for_log(low, "handover: ready")

    high = start_operator(
        cluster.namespace,
        extra_args=("--peering=flowrelease", "--priority=20"),
        standalone=False,
        drift_interval=None,
    )
    wait_for_log(low, "Pausing operations")
    paused_at = len(low.logs())
    emulator.control.clear_request_log()
    cluster.patch_release("handover", {"spec": {"version": "1.0"}})
    cluster.wait_release(
        "handover",
        lambda o: is_ready(o) and o["status"]["publishedVersion"] == "1.0",
        timeout=60,
        what="Ready at 1.0",
    )
    wait_for_log(high, "handover: ready")
    time.sleep(2)
    after_pause = low.logs()[paused_at:]
    assert "handover" not in after_pause, after_pause
    assert len(emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish")) == 1


def test_drift_checks_are_refused_together_with_peering(start_operator, cluster: Cluster) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from flowrelease.cli import main; main()",
            "operator",
            "--peering=flowrelease",
            "--drift-interval=5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=cluster.kube.env,
    )
    assert result.returncode == 2
    assert "--drift-interval and --peering contradict each other" in result.stderr
