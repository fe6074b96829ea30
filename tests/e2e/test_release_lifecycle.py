"""A FlowRelease applied with kubectl goes all the way: published in the (emulated) org, exported to a real
git server, Ready in the cluster with Events and printer columns — and the failure paths stop for good."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    Cluster,
    GenesysClientCreds,
    condition,
    is_ready,
    phase_is,
    release_manifest,
)
from tests.support.emulator import EmulatorHandle
from tests.support.paths import OWN_ARCHY

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]

PUBLISH_PATH = "/api/v2/flows/actions/publish"


def publishes(emulator: EmulatorHandle, version: str | None = None) -> list[dict[str, object]]:
    requests = emulator.control.request_log(method="POST", path=PUBLISH_PATH)
    if version is None:
        return requests
    return [r for r in requests if f"version={version}" in str(r.get("query", ""))]


def published_version(emulator: EmulatorHandle, flow_name: str) -> str:
    for flow in emulator.control.state()["flows"]:
        if flow["name"] == flow_name:
            return str(flow.get("publishedVersion") or "")
    raise AssertionError(f"no flow {flow_name} in the emulator")


def commits(repo: Path, branch: str = "main") -> list[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(repo), "log", "--format=%H %s", branch],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.splitlines() if out.returncode == 0 else []


def test_apply_publishes_exports_and_reports_ready(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    tmp_path: Path,
    start_operator,
) -> None:
    repo = tmp_path / "flows.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True)
    # Healthy counts for 3.0 (fixed, whatever the window): a stage is never passed on no data
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
            "support-ivr",
            environment=emulator.base_url,
            version="3.0",
            stages=[
                {
                    "name": "bake",
                    "bakeSeconds": 1,
                    "settleSeconds": 0,
                    "maxFailureRatio": 0.05,
                    "minSamples": 10,
                }
            ],
            export={"url": repo.as_uri(), "branch": "main", "path": "flows/support-ivr"},
        )
    )

    obj = cluster.wait_release("support-ivr", is_ready, timeout=90, what="Ready=True")

    status = obj["status"]
    assert status["phase"] == "Ready"
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert status["desiredVersion"] == status["publishedVersion"] == "3.0"
    assert status["lastGoodVersion"] == "2.0"
    assert status["flow"]["id"] == emulator.flow_id("Support IVR")
    assert status["artifact"]["commit"]
    assert "operation" not in status
    types = {c["type"]: c["status"] for c in status["conditions"]}
    assert types["Ready"] == "True"
    assert types.get("Stalled", "False") == "False"
    assert types.get("Reconciling", "False") == "False"
    assert types["Published"] == types["Exported"] == types["Validated"] == "True"

    assert published_version(emulator, "Support IVR") == "3.0"
    assert len(publishes(emulator)) == 1
    history = commits(repo)
    assert len(history) == 1, history
    assert history[0].split(" ", 1)[0] == status["artifact"]["commit"]

    reasons = cluster.event_reasons("support-ivr", "Published", "Exported")
    assert "Published" in reasons and "Exported" in reasons, reasons

    table = cluster.kube.kubectl("get", "fr", "-n", cluster.namespace, "--no-headers").stdout.split()
    assert table[:5] == ["support-ivr", "Support", "IVR", "3.0", "3.0"], table
    assert table[5] == "True", table
    wide = cluster.kube.kubectl("get", "fr", "support-ivr", "-n", cluster.namespace, "-o", "wide").stdout
    assert "Ready" in wide and status["flow"]["id"] in wide

    metrics = operator.metrics()
    assert 'flowrelease_releases_total{result="Ready"}' in metrics
    assert "flowrelease_genesys_requests_total" in metrics
    assert "flowrelease_step_duration_seconds_bucket" in metrics

    # Nothing but the engine's fields is in .status.
    assert set(status) <= {
        "observedGeneration", "attemptGeneration", "phase", "conditions", "flow", "desiredVersion",
        "publishedVersion", "lastGoodVersion", "failedVersion", "operation", "rollback", "job",
        "publishedOperationId", "exportFailure", "exportCheck", "dependencyHash", "sourceDigest",
        "validation", "verification", "artifact", "history", "lastHandledReconcileAt", "promotion",
    }  # fmt: skip
    # Without --peering kopf only watches: it writes no progress or diff-base annotation and no finalizer.
    assert not obj["metadata"].get("finalizers")
    annotations = obj["metadata"].get("annotations") or {}
    assert not [key for key in annotations if key.startswith(("kopf.zalando.org/", "flowrelease.io/"))]

    everything = operator.logs() + json.dumps(cluster.events()) + json.dumps(cluster.releases())
    assert genesys_client.client_secret not in everything
    audit_lines = [json.loads(line) for line in operator.logs().splitlines() if line.startswith("{")]
    assert any(line.get("action") == "publish" for line in audit_lines)


def test_validation_failure_stalls_and_publishes_nothing(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("missing-version", environment=emulator.base_url, version="9.0"))

    obj = cluster.wait_release(
        "missing-version", phase_is("ValidationFailed"), timeout=60, what="ValidationFailed"
    )

    stalled = condition(obj, "Stalled")
    assert stalled["status"] == "True"
    assert "9.0" in stalled["message"], stalled
    assert condition(obj, "Ready")["status"] == "False"
    assert "ValidationFailed" in cluster.event_reasons("missing-version", "ValidationFailed")
    assert publishes(emulator) == []
    assert published_version(emulator, "Support IVR") == "2.0"


def test_missing_credentials_secret_is_named_and_picked_up_once_created(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("no-secret-yet", environment=emulator.base_url, version="3.0"))

    obj = cluster.wait_release(
        "no-secret-yet",
        lambda o: condition(o, "Ready").get("reason") == "ReferenceUnavailable",
        timeout=60,
        what="Ready=False ReferenceUnavailable",
    )
    message = condition(obj, "Ready")["message"]
    assert "spec.genesys.credentialsSecretRef" in message and "genesys-e2e" in message, message
    assert condition(obj, "Reconciling")["status"] == "True"
    assert publishes(emulator) == []

    cluster.apply_credentials(genesys_client)
    cluster.wait_release("no-secret-yet", is_ready, timeout=90, what="Ready once the Secret exists")
    assert published_version(emulator, "Support IVR") == "3.0"


def test_publish_failure_rolls_back_once_and_does_not_retry(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.fail_operation(flow_id, action="PUBLISH", version="3.0", count=1)
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("publish-fails", environment=emulator.base_url, version="3.0"))

    obj = cluster.wait_release("publish-fails", phase_is("RolledBack"), timeout=90, what="RolledBack")

    status = obj["status"]
    assert status["failedVersion"] == "3.0"
    assert status["publishedVersion"] == "2.0"
    assert condition(obj, "Stalled")["status"] == "True"
    assert condition(obj, "RolledBack")["status"] == "True"
    assert published_version(emulator, "Support IVR") == "2.0"
    assert "RolledBack" in cluster.event_reasons("publish-fails", "RolledBack")

    time.sleep(4)  # several requeue periods: a retry loop would show up as a second publish of 3.0
    assert len(publishes(emulator, "3.0")) == 1
    assert cluster.release("publish-fails")["status"]["phase"] == "RolledBack"

    cluster.patch_release("publish-fails", {"spec": {"release": {"label": "e2e-second-try"}}})
    obj = cluster.wait_release("publish-fails", is_ready, timeout=60, what="Ready after the spec changed")
    assert obj["status"]["publishedVersion"] == "3.0"
    assert len(publishes(emulator, "3.0")) == 2


def test_health_breach_rolls_back_to_the_previous_version(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_analytics(
        flow_id, version="3.0", n_flow=100, n_flow_outcome=100, n_flow_outcome_failed=40
    )
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(
        release_manifest(
            "unhealthy",
            environment=emulator.base_url,
            version="3.0",
            stages=[
                {
                    "name": "bake",
                    "bakeSeconds": 1,
                    "settleSeconds": 0,
                    "maxFailureRatio": 0.05,
                    "minSamples": 10,
                }
            ],
        )
    )

    obj = cluster.wait_release("unhealthy", phase_is("RolledBack"), timeout=90, what="RolledBack")

    assert obj["status"]["failedVersion"] == "3.0"
    assert condition(obj, "Healthy")["status"] == "False"
    assert published_version(emulator, "Support IVR") == "2.0"
    reasons = cluster.event_reasons("unhealthy", "HealthBreach", "RolledBack")
    assert "HealthBreach" in reasons and "RolledBack" in reasons, reasons

    time.sleep(4)
    assert len(publishes(emulator, "3.0")) == 1


def test_archy_yaml_from_a_configmap_is_imported_once_the_configmap_exists(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    archy = (OWN_ARCHY / "claims-ivr.yaml").read_text()
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    manifest = release_manifest("from-yaml", environment=emulator.base_url, flow_name="Claims IVR")
    del manifest["spec"]["version"]
    manifest["spec"]["source"] = {"configMapRef": {"name": "ivr-source", "key": "flow.yaml"}}
    cluster.apply(manifest)

    obj = cluster.wait_release(
        "from-yaml",
        lambda o: condition(o, "Ready").get("reason") == "ReferenceUnavailable",
        timeout=60,
        what="waiting for the ConfigMap",
    )
    message = condition(obj, "Ready")["message"]
    assert "spec.source.configMapRef" in message and "ivr-source" in message, message

    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ivr-source"},
            "data": {"flow.yaml": archy},
        }
    )
    obj = cluster.wait_release("from-yaml", is_ready, timeout=90, what="Ready after the import")

    assert obj["status"]["sourceDigest"].startswith("sha256:")
    assert published_version(emulator, "Claims IVR") == obj["status"]["publishedVersion"]
    assert "Importing" in cluster.event_reasons("from-yaml", "Importing")
