"""The FlowRelease CRD against a real kube-apiserver: what users apply is accepted, mistakes are rejected
with a message that says the fix, status survives a round trip, and `kubectl get fr` shows the columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.crd.manifests import (
    REPO_ROOT,
    InvalidCase,
    crd_schema,
    full_status,
    invalid_cases,
    kubernetes_documents,
    leaf_paths,
    valid_manifests,
    value_paths,
)
from tests.support.kube import KubeCluster

pytestmark = pytest.mark.kube

INVALID = invalid_cases()


def _apply(cluster: KubeCluster, namespace: str, doc: dict[str, Any], check: bool = True) -> Any:
    return cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(doc), check=check)


def _patch(
    cluster: KubeCluster,
    namespace: str,
    name: str,
    patch: dict[str, Any],
    *,
    status: bool,
    check: bool = True,
) -> Any:
    """A JSON merge patch, through the status subresource when `status`."""
    args = ["patch", "fr", name, "-n", namespace, "--type=merge", "-p", json.dumps(patch)]
    if status:
        args.append("--subresource=status")
    return cluster.kubectl(*args, check=check)


def _minimal(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": name},
        "spec": {
            "genesys": {"environment": "mypurecloud.com", "credentialsSecretRef": {"name": "genesys"}},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "version": "12.0",
        },
    }


@pytest.mark.parametrize("path", valid_manifests(), ids=lambda p: str(Path(p).relative_to(REPO_ROOT)))
def test_valid_manifest_is_accepted_and_stored_as_written(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str, path: Path
) -> None:
    docs = kubernetes_documents(path)
    named = {d["metadata"]["namespace"] for d in docs if d.get("metadata", {}).get("namespace")}
    for target_ns in named:  # an example that names its namespace is applied as-is, into that namespace
        kube_cluster.kubectl("create", "namespace", target_ns, check=False)
    default_ns = "default" if named else kube_namespace
    kube_cluster.kubectl("apply", *([] if named else ["-n", kube_namespace]), "-f", str(path))

    for doc in docs:
        if doc["kind"] != "FlowRelease":
            continue
        ns = doc["metadata"].get("namespace", default_ns)
        stored = kube_cluster.kubectl_json("get", "fr", doc["metadata"]["name"], "-n", ns)
        _assert_contains(stored["spec"], doc["spec"], "spec")


def _assert_contains(stored: Any, written: Any, path: str) -> None:
    """Everything the user wrote is stored unchanged (defaults may add fields, nothing is pruned)."""
    if isinstance(written, dict):
        assert isinstance(stored, dict), path
        for key, value in written.items():
            assert key in stored, f"{path}.{key} was pruned by the apiserver"
            _assert_contains(stored[key], value, f"{path}.{key}")
    elif isinstance(written, list):
        assert isinstance(stored, list) and len(stored) == len(written), f"{path}: stored {stored!r}"
        for index, (stored_item, written_item) in enumerate(zip(stored, written, strict=True)):
            _assert_contains(stored_item, written_item, f"{path}[{index}]")
    else:
        assert stored == written, f"{path}: stored {stored!r}, wrote {written!r}"


def test_at_least_twelve_invalid_manifests_each_with_an_expected_message() -> None:
    assert len(INVALID) >= 12
    assert all(case.expected for case in INVALID), [c.name for c in INVALID if not c.expected]


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c.name)
def test_invalid_manifest_is_rejected_with_a_message_that_says_the_fix(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str, case: InvalidCase
) -> None:
    result = kube_cluster.kubectl("apply", "-n", kube_namespace, "-f", str(case.path), check=False)
    assert result.returncode != 0, f"{case.name} was accepted:\n{result.stdout}"
    for expected in case.expected:
        assert expected in result.stderr, f"expected {expected!r} in:\n{result.stderr}"
    missing = kube_cluster.kubectl(
        "get", "fr", case.document["metadata"]["name"], "-n", kube_namespace, check=False
    )
    assert "NotFound" in missing.stderr


def test_defaults_fill_in_every_policy_the_user_left_out(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    doc = _minimal("defaults")
    doc["spec"]["verify"] = {"stages": [{"name": "bake", "bakeSeconds": 60}]}
    doc["spec"]["export"] = {"git": {"url": "https://git.example.com/flows.git", "path": "flows"}}
    _apply(kube_cluster, kube_namespace, doc)

    spec = kube_cluster.kubectl_json("get", "fr", "defaults", "-n", kube_namespace)["spec"]
    assert spec["publish"] == {"timeoutSeconds": 900, "lockPolicy": "Fail"}
    assert spec["validation"] == {"failOnWarnings": False, "requireValidateJob": False}
    assert spec["rollback"] == {"strategy": "PreviousVersion"}
    assert spec["driftPolicy"] == "Enforce"
    assert spec["suspend"] is False
    assert spec["verify"]["stages"] == [
        {
            "name": "bake",
            "bakeSeconds": 60,
            "maxFailureRatio": 0.05,
            "minSamples": 10,
            "settleSeconds": 120,
            "onInsufficientData": "Extend",
        }
    ]
    assert spec["export"]["git"]["branch"] == "main"


def test_status_patch_round_trips_every_status_field(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    status = full_status()
    declared = leaf_paths(crd_schema()["properties"]["status"])
    assert value_paths(status) == declared, "status-full.yaml must set every field the CRD declares"

    _apply(kube_cluster, kube_namespace, _minimal("round-trip"))
    _patch(kube_cluster, kube_namespace, "round-trip", {"status": status}, status=True)
    stored = kube_cluster.kubectl_json("get", "fr", "round-trip", "-n", kube_namespace)
    assert stored["status"] == status


def test_status_and_spec_are_separate_subresources(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    _apply(kube_cluster, kube_namespace, _minimal("subresource"))
    before = kube_cluster.kubectl_json("get", "fr", "subresource", "-n", kube_namespace)

    # A status write does not bump the generation (the operator's writes never look like spec changes) ...
    generation = before["metadata"]["generation"]
    _patch(
        kube_cluster,
        kube_namespace,
        "subresource",
        {"status": {"phase": "Ready", "observedGeneration": generation}},
        status=True,
    )
    # ... and status sent through the main resource is ignored, while the spec change bumps the generation.
    _patch(
        kube_cluster,
        kube_namespace,
        "subresource",
        {"spec": {"version": "13.0"}, "status": {"phase": "Failed"}},
        status=False,
    )
    after = kube_cluster.kubectl_json("get", "fr", "subresource", "-n", kube_namespace)
    assert after["metadata"]["generation"] == generation + 1
    assert after["status"] == {"phase": "Ready", "observedGeneration": generation}
    assert after["spec"]["version"] == "13.0"


def test_status_with_unknown_phase_is_rejected(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    _apply(kube_cluster, kube_namespace, _minimal("bad-status"))
    result = _patch(
        kube_cluster, kube_namespace, "bad-status", {"status": {"phase": "Done"}}, status=True, check=False
    )
    assert result.returncode != 0
    assert 'status.phase: Unsupported value: "Done"' in result.stderr


def test_kubectl_get_fr_shows_flow_desired_published_ready_gate_and_age(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    _apply(kube_cluster, kube_namespace, _minimal("columns"))
    _patch(kube_cluster, kube_namespace, "columns", {"status": full_status()}, status=True)

    header, row = kube_cluster.kubectl("get", "fr", "-n", kube_namespace).stdout.splitlines()
    assert header.split() == ["NAME", "FLOW", "DESIRED", "PUBLISHED", "READY", "GATE", "AGE"]
    assert row.split()[:7] == ["columns", "Support", "IVR", "13.0", "14.0", "False", "Blocked"]

    wide_header, wide_row = kube_cluster.kubectl(
        "get", "fr", "-n", kube_namespace, "-o", "wide"
    ).stdout.splitlines()
    assert wide_header.split()[7:10] == ["PHASE", "FLOW", "ID"]
    assert "RolledBack" in wide_row and "6d2f4b9e-6a55-4f0a-9f5e-0c1f3f0d8a11" in wide_row
    assert "restored 12.0" in wide_row


def test_resource_is_discoverable_by_short_name_and_categories(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    _apply(kube_cluster, kube_namespace, _minimal("discovery"))
    for alias in ("fr", "flowrelease", "flowreleases.flowrelease.io", "genesys", "flowrelease"):
        names = kube_cluster.kubectl("get", alias, "-n", kube_namespace, "-o", "name").stdout.split()
        assert names == ["flowrelease.flowrelease.io/discovery"], alias
    resources = kube_cluster.kubectl("api-resources", "--api-group=flowrelease.io", "-o", "wide").stdout
    assert "flowreleases" in resources and " fr " in resources and "FlowRelease" in resources
