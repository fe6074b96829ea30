"""What an operator instance takes responsibility for (namespaces, label-selector shards), what it refuses to
start with, and inputs it must explain: an unknown environment, a rotated credentials Secret."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, phase_is, release_manifest
from tests.e2e.test_release_lifecycle import published_version, publishes
from tests.support.emulator import EmulatorHandle
from tests.support.kube import KubeCluster

SHARD_LABEL = "flowrelease.io/shard"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from flowrelease.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--all-namespaces", "--namespace=team-a"], "--all-namespaces and --namespace"),
        (["--standalone", "--peering=flowrelease"], "--standalone and --peering"),
        (["--standalone", "--priority=5"], "--priority"),
        (["--selector=shard in a,b)"], "--selector"),
        (["--max-concurrent=0"], "--max-concurrent"),
        (["--liveness=localhost:8080"], "--liveness"),
        (["--metrics-port=70000"], "--metrics-port"),
        (["--genesys-rate-limit=0"], "--genesys-rate-limit"),
    ],
)
def test_contradictory_or_malformed_flags_are_refused_before_connecting(args: list[str], named: str) -> None:
    result = run_cli("operator", *args)
    assert result.returncode == 2, result
    assert named in result.stderr, result.stderr


def test_help_lists_every_flag_the_deployment_uses() -> None:
    result = run_cli("operator", "--help")
    assert result.returncode == 0
    for flag in (
        "--namespace",
        "--all-namespaces",
        "--selector",
        "--liveness",
        "--metrics-port",
        "--max-concurrent",
        "--peering",
        "--standalone",
        "--priority",
        "--git-workdir",
        "--drift-interval",
        "--genesys-rate-limit",
        "--verbose",
    ):
        assert flag in result.stdout, flag


@pytest.mark.kube
@pytest.mark.timeout(180)
def test_cluster_wide_operator_reconciles_only_its_label_shard(
    kube_cluster: KubeCluster,
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
) -> None:
    other = Cluster(kube_cluster, kube_cluster.create_namespace("shard-other"))
    shard = secrets.token_hex(4)
    for view in (cluster, other):
        view.apply_credentials(genesys_client)
    start_operator(extra_args=("--all-namespaces", f"--selector={SHARD_LABEL}={shard}"))

    mine = release_manifest("mine", environment=emulator.base_url, version="3.0", labels={SHARD_LABEL: shard})
    also_mine = release_manifest(
        "also-mine",
        environment=emulator.base_url,
        version="1.0",
        flow_name="Billing IVR",
        labels={SHARD_LABEL: shard},
    )
    not_mine = release_manifest(
        "not-mine",
        environment=emulator.base_url,
        version="1.0",
        flow_name="Support In-Queue",
        flow_type="inqueuecall",
    )
    not_mine["metadata"]["labels"] = {SHARD_LABEL: "someone-else"}
    cluster.apply(mine)
    cluster.apply(not_mine)
    other.apply(also_mine)

    cluster.wait_release("mine", is_ready, timeout=60, what="Ready")
    other.wait_release("also-mine", is_ready, timeout=60, what="Ready in the other namespace")
    time.sleep(2)
    assert "status" not in cluster.release("not-mine")
    assert published_version(emulator, "Support In-Queue") == "1.0"
    assert len(publishes(emulator)) == 2

    # Relabelled out of the shard: the operator lets go of it (the watch reports it as deleted).
    cluster.patch_release(
        "mine", {"metadata": {"labels": {SHARD_LABEL: "someone-else"}}, "spec": {"version": "1.0"}}
    )
    time.sleep(3)
    assert cluster.release("mine")["status"]["publishedVersion"] == "3.0"
    assert published_version(emulator, "Support IVR") == "3.0"
    assert len(publishes(emulator)) == 2
    other.close()


@pytest.mark.kube
@pytest.mark.timeout(120)
def test_unknown_environment_stalls_with_the_field_named(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("nowhere", environment="mars-north-1", version="3.0"))

    obj = cluster.wait_release("nowhere", phase_is("Failed"), timeout=60, what="Failed")

    stalled = condition(obj, "Stalled")
    assert stalled["status"] == "True"
    assert "spec.genesys.environment" in stalled["message"] and "mars-north-1" in stalled["message"]
    assert condition(obj, "Ready")["status"] == "False"
    assert cluster.event_reasons("nowhere", "UnknownEnvironment").count("UnknownEnvironment") == 1
    assert emulator.control.request_log() == []

    cluster.patch_release("nowhere", {"metadata": {"labels": {"touched": "yes"}}})  # one more pass
    time.sleep(2)
    assert cluster.event_reasons("nowhere").count("UnknownEnvironment") == 1, "the Event was posted again"


@pytest.mark.kube
@pytest.mark.timeout(180)
def test_rotated_credentials_secret_is_used_on_the_next_release(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    cluster.apply(release_manifest("rotating", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("rotating", is_ready, timeout=60, what="Ready at 3.0")

    rotated = GenesysClientCreds(
        client_id=f"e2e-rotated-{secrets.token_hex(3)}", client_secret=secrets.token_urlsafe(24)
    )
    emulator.control.seed({"clients": [{"id": rotated.client_id, "secret": rotated.client_secret}]})
    cluster.apply_credentials(rotated)
    cluster.patch_release("rotating", {"spec": {"version": "1.0"}})
    cluster.wait_release(
        "rotating",
        lambda o: is_ready(o) and o["status"]["publishedVersion"] == "1.0",
        timeout=60,
        what="Ready at 1.0",
    )

    by_new_client = emulator.control.request_log(
        method="POST", path="/api/v2/flows/actions/publish", client_id=rotated.client_id
    )
    assert [str(r["query"]).endswith("version=1.0") for r in by_new_client] == [True]
    logs = operator.logs()
    assert genesys_client.client_secret not in logs and rotated.client_secret not in logs
