"""What happens after the first release: a spec change releases again, suspend freezes the release, the
requestedAt annotation buys exactly one more attempt, and drift is enforced or reported."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, phase_is, release_manifest
from tests.e2e.test_release_lifecycle import published_version, publishes
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]

REQUESTED_AT = "reconcile.flowrelease.io/requestedAt"


def publish_out_of_band(emulator: EmulatorHandle, flow_name: str, version: str) -> None:
    """Someone publishes in Architect behind flowrelease's back (the real API, the demo client)."""
    with httpx.Client(base_url=emulator.base_url, timeout=10) as http:
        token = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(emulator.client_id, emulator.client_secret),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        flow_id = emulator.flow_id(flow_name)
        response = http.post(
            "/api/v2/flows/actions/publish", params={"flow": flow_id, "version": version}, headers=headers
        )
        response.raise_for_status()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            flow = http.get(f"/api/v2/flows/{flow_id}", headers=headers).json()
            if (flow.get("publishedVersion") or {}).get("id") == version:
                return
            time.sleep(0.1)
    raise AssertionError(f"out-of-band publish of {flow_name} {version} did not complete")


def published(version: str):  # type: ignore[no-untyped-def]
    def check(obj: dict[str, object]) -> bool:
        status = obj.get("status") or {}
        assert isinstance(status, dict)
        return is_ready(obj) and status.get("publishedVersion") == version

    return check


def test_spec_change_releases_the_new_version(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("ivr", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("ivr", published("3.0"), timeout=60, what="Ready at 3.0")

    cluster.patch_release("ivr", {"spec": {"version": "1.0", "release": {"label": "hotfix"}}})
    obj = cluster.wait_release("ivr", published("1.0"), timeout=60, what="Ready at 1.0")

    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"] == 2
    assert obj["status"]["lastGoodVersion"] == "3.0"
    assert published_version(emulator, "Support IVR") == "1.0"
    assert [len(publishes(emulator, v)) for v in ("3.0", "1.0")] == [1, 1]
    assert [entry["version"] for entry in obj["status"]["history"]][-2:] == ["3.0", "1.0"]


def test_suspend_freezes_the_release_until_resumed(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("frozen", environment=emulator.base_url, version="3.0", suspend=True))

    obj = cluster.wait_release("frozen", phase_is("Suspended"), timeout=60, what="Suspended")
    time.sleep(2)
    assert publishes(emulator) == []
    assert published_version(emulator, "Support IVR") == "2.0"
    assert condition(obj, "Ready").get("status") != "True"

    cluster.patch_release("frozen", {"spec": {"suspend": False}})
    cluster.wait_release("frozen", published("3.0"), timeout=60, what="Ready at 3.0 after resuming")
    assert len(publishes(emulator)) == 1


def test_requested_at_lifts_a_stall_exactly_once(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.fail_operation(flow_id, action="PUBLISH", version="3.0", count=1)
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("retry-me", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("retry-me", phase_is("RolledBack"), timeout=90, what="RolledBack")
    assert len(publishes(emulator, "3.0")) == 1

    stamp = "2026-11-28T01:00:00Z"
    cluster.kube.kubectl("annotate", "fr", "retry-me", "-n", cluster.namespace, f"{REQUESTED_AT}={stamp}")
    obj = cluster.wait_release("retry-me", published("3.0"), timeout=90, what="Ready after requestedAt")

    assert obj["status"]["lastHandledReconcileAt"] == stamp
    assert obj["status"].get("failedVersion", "") == ""
    assert len(publishes(emulator, "3.0")) == 2
    assert condition(obj, "Stalled").get("status", "False") == "False"


def test_drift_is_enforced_by_the_periodic_check(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace, drift_interval=1.0)
    cluster.apply(release_manifest("enforced", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("enforced", published("3.0"), timeout=60, what="Ready at 3.0")

    publish_out_of_band(emulator, "Support IVR", "1.0")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and published_version(emulator, "Support IVR") != "3.0":
        time.sleep(0.25)
    assert published_version(emulator, "Support IVR") == "3.0"
    obj = cluster.wait_release("enforced", published("3.0"), timeout=30, what="Ready again")
    assert len(publishes(emulator, "3.0")) == 2
    assert cluster.event_reasons("enforced", "Drifted").count("Published") == 2
    drifted = [e["message"] for e in cluster.events("enforced") if e["reason"] == "Drifted"]
    assert drifted and "Enforce" in drifted[0], drifted
    assert not obj["metadata"].get("finalizers"), "drift checks must not need a finalizer"


def test_drift_is_reported_under_observe(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace, drift_interval=1.0)
    manifest = release_manifest("observed", environment=emulator.base_url, version="3.0")
    manifest["spec"]["driftPolicy"] = "Observe"
    cluster.apply(manifest)
    cluster.wait_release("observed", published("3.0"), timeout=60, what="Ready at 3.0")

    publish_out_of_band(emulator, "Support IVR", "1.0")

    obj = cluster.wait_release(
        "observed", lambda o: condition(o, "Drifted").get("status") == "True", timeout=30, what="Drifted=True"
    )
    assert "1.0" in condition(obj, "Drifted")["message"]
    time.sleep(2)
    assert published_version(emulator, "Support IVR") == "1.0"
    assert len(publishes(emulator, "3.0")) == 1


def test_deleting_a_release_leaves_the_flow_alone(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    cluster.apply(release_manifest("short-lived", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("short-lived", published("3.0"), timeout=60, what="Ready at 3.0")
    requests_before = len(emulator.control.request_log())

    operator.stop()  # no operator running: deletion must not wait for one (no finalizer)
    cluster.kube.kubectl("delete", "fr", "short-lived", "-n", cluster.namespace, "--timeout=20s")
    assert cluster.releases() == []
    assert published_version(emulator, "Support IVR") == "3.0"
    assert len(emulator.control.request_log()) == requests_before
