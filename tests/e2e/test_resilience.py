"""The operator under stress: killed with SIGKILL in the middle of a publish, and 200 releases at once
against one rate-limited org."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, is_ready, release_manifest
from tests.e2e.test_release_lifecycle import commits, published_version, publishes
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube]

FLEET_SIZE = 200


@pytest.mark.timeout(240)
def test_sigkill_mid_publish_then_restart_converges_with_one_publish(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "flowId": flow_id, "mode": "seconds", "seconds": 6}]
    )
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    cluster.apply(release_manifest("crashy", environment=emulator.base_url, version="3.0"))

    in_flight = cluster.wait_release(
        "crashy",
        lambda o: ((o.get("status") or {}).get("operation") or {}).get("kind") == "publish",
        timeout=60,
        what="the publish intent recorded in status",
    )
    deadline = time.monotonic() + 30
    while not publishes(emulator, "3.0") and time.monotonic() < deadline:
        time.sleep(0.05)
    # Killed after Genesys accepted the POST: the intent is in the cluster, its acknowledgement is not
    # (a poll's status stays in memory), so the restarted operator must find the operation on the flow.
    operator.kill()
    assert len(publishes(emulator, "3.0")) == 1
    assert in_flight["status"]["operation"]["kind"] == "publish"
    assert in_flight["status"]["phase"] == "Publishing"

    operator.start()
    obj = cluster.wait_release("crashy", is_ready, timeout=90, what="Ready after the restart")

    assert obj["status"]["publishedVersion"] == "3.0"
    assert published_version(emulator, "Support IVR") == "3.0"
    assert len(publishes(emulator, "3.0")) == 1, "the restarted operator published again"
    assert "operation" not in obj["status"]


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_two_hundred_releases_against_one_rate_limited_org_all_become_ready(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    names = [f"Fleet IVR {i:03d}" for i in range(FLEET_SIZE)]
    emulator.control.seed(
        {
            "clients": [
                {
                    "id": genesys_client.client_id,
                    "secret": genesys_client.client_secret,
                    "rateLimitPerMinute": 3000,
                }
            ],
            "flows": [
                {
                    "name": name,
                    "type": "INBOUNDCALL",
                    "division": "Home",
                    "versions": [{"queues": ["Support"]}, {"queues": ["Support", "Billing"]}],
                    "publishedVersion": "1.0",
                }
                for name in names
            ],
        }
    )
    # Server-side throttling on top of the bucket: some requests get 429 + Retry-After whatever we do.
    emulator.control.add_fault(
        method="*", path="/api/v2/flows*", status=429, probability=0.05, count=60, retry_after_seconds=1
    )
    cluster.apply_credentials(genesys_client)
    operator = start_operator(
        cluster.namespace, extra_args=("--max-concurrent=24", "--genesys-rate-limit=6000")
    )
    items = [
        release_manifest(f"fleet-{i:03d}", environment=emulator.base_url, version="2.0", flow_name=name)
        for i, name in enumerate(names)
    ]
    cluster.kube.kubectl(
        "apply",
        "-n",
        cluster.namespace,
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
    )

    deadline = time.monotonic() + 300
    ready: list[str] = []
    releases: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        releases = cluster.releases()
        ready = [str(r["metadata"]["name"]) for r in releases if is_ready(r)]  # type: ignore[index]
        if len(ready) == FLEET_SIZE:
            break
        time.sleep(2)
    phases: dict[str, int] = {}
    for release in releases:
        phase = str((release.get("status") or {}).get("phase", "none"))  # type: ignore[union-attr]
        phases[phase] = phases.get(phase, 0) + 1
    assert len(ready) == FLEET_SIZE, f"{len(ready)}/{FLEET_SIZE} Ready; phases: {phases}"

    throttled = emulator.control.request_count(status=429)
    assert throttled > 0, "the test meant to provoke 429s; none happened"
    state = {flow["name"]: flow.get("publishedVersion") for flow in emulator.control.state()["flows"]}
    assert all(state[name] == "2.0" for name in names)
    accepted = [r for r in publishes(emulator, "2.0") if int(str(r["status"])) < 400]
    flows = [str(r["query"]).split("flow=")[1].split("&")[0] for r in accepted]
    assert len(flows) == len(set(flows)) == FLEET_SIZE, "every flow published exactly once"
    for release in releases:
        status = release["status"]
        assert isinstance(status, dict)
        assert not status.get("failedVersion")
        assert status["phase"] == "Ready"
    assert genesys_client.client_secret not in operator.logs()


@pytest.mark.timeout(240)
def test_sigkill_during_a_bake_stage_resumes_from_kopfs_annotations_with_one_commit(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator, tmp_path
) -> None:
    repo = tmp_path / "flows.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True)
    emulator.control.set_analytics(
        emulator.flow_id("Support IVR"),
        version="3.0",
        n_flow=100,
        n_flow_outcome=100,
        n_flow_outcome_failed=1,
    )
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    cluster.apply(
        release_manifest(
            "baking",
            environment=emulator.base_url,
            version="3.0",
            stages=[
                {
                    "name": "bake",
                    "bakeSeconds": 5,
                    "settleSeconds": 0,
                    "maxFailureRatio": 0.05,
                    "minSamples": 10,
                }
            ],
            export={"url": repo.as_uri(), "branch": "main", "path": "flows/support-ivr"},
        )
    )
    baking = cluster.wait_release(
        "baking",
        lambda o: bool(((o.get("status") or {}).get("verification") or {}).get("startedAt")),
        timeout=60,
        what="the bake stage started",
    )
    operator.kill()
    assert baking["status"]["phase"] == "Verifying"

    operator.start()
    obj = cluster.wait_release("baking", is_ready, timeout=90, what="Ready after the restart")

    assert len(publishes(emulator, "3.0")) == 1
    assert len(commits(repo)) == 1
    assert obj["status"]["artifact"]["commit"] == commits(repo)[0].split(" ", 1)[0]
