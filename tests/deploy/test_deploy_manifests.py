"""deploy/ renders with kustomize, is hardened as promised, and a real apiserver accepts it (dry run)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.deploy.rendered import DEPLOY, NAMESPACE, REPO_ROOT, by_kind, only, render
from tests.support.kube import KubeCluster, find_kube_bins, skip_or_fail_without_binaries


@pytest.fixture(scope="module")
def kubectl_bin() -> Path:
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        skip_or_fail_without_binaries(why)
    return bin_dir / "kubectl"


@pytest.fixture(scope="module")
def objects(kubectl_bin: Path) -> list[dict[str, Any]]:
    return render(kubectl_bin)


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def test_kustomize_renders_namespace_crd_rbac_operator_and_metrics_service(
    objects: list[dict[str, Any]],
) -> None:
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objects) == [
        ("ClusterRole", "flowrelease-operator"),
        ("ClusterRole", "flowrelease-read-sources"),
        ("ClusterRoleBinding", "flowrelease-operator"),
        ("ClusterRoleBinding", "flowrelease-read-sources"),
        ("CustomResourceDefinition", "flowreleases.flowrelease.io"),
        ("Deployment", "flowrelease-operator"),
        ("Namespace", NAMESPACE),
        ("Service", "flowrelease-metrics"),
        ("ServiceAccount", "flowrelease"),
    ]
    for obj in (
        by_kind(objects, "Deployment") + by_kind(objects, "Service") + by_kind(objects, "ServiceAccount")
    ):
        assert obj["metadata"]["namespace"] == NAMESPACE


def test_the_crd_in_deploy_is_the_one_in_crds(objects: list[dict[str, Any]]) -> None:
    source = yaml.safe_load((REPO_ROOT / "crds" / "flowreleases.flowrelease.io.yaml").read_text())
    rendered = only(objects, "CustomResourceDefinition")
    assert rendered["spec"] == source["spec"]


def test_operator_pod_is_non_root_read_only_and_drops_all_capabilities(objects: list[dict[str, Any]]) -> None:
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    container = _container(objects)
    assert pod["serviceAccountName"] == "flowrelease"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    # The only writable paths are emptyDirs: /tmp and the git work dir the operator is told about.
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    assert set(mounts) == {"/tmp", "/var/lib/flowrelease"}
    assert set(mounts.values()) == empty_dirs
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["FLOWRELEASE_WORKDIR"] == "/var/lib/flowrelease"


def test_operator_has_requests_limits_probes_on_kopf_health_and_a_named_metrics_port(
    objects: list[dict[str, Any]],
) -> None:
    container = _container(objects)
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"health": 8080, "metrics": 9090}
    assert container["args"][0] == "operator"
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]
    assert "--metrics-port=9090" in container["args"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    service = only(objects, "Service")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert (
        service["spec"]["selector"].items()
        <= only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_image_is_pinned_to_a_release_tag(objects: list[dict[str, Any]]) -> None:
    image = _container(objects)["image"]
    name, _, tag = image.rpartition(":")
    assert name == "ghcr.io/flowrelease/flowrelease"
    assert tag and tag != "latest"


@pytest.mark.kube
def test_server_side_dry_run_apply_of_deploy_succeeds_without_pod_security_warnings(
    kube_cluster: KubeCluster,
) -> None:
    # A dry run cannot create the namespace its other objects live in, so create that one for real first.
    kube_cluster.kubectl("apply", "--server-side", "-f", str(DEPLOY / "namespace.yaml"))
    result = kube_cluster.kubectl("apply", "--server-side", "--dry-run=server", "-k", str(DEPLOY))
    assert "deployment.apps/flowrelease-operator serverside-applied (server dry run)" in result.stdout
    assert "clusterrolebinding.rbac.authorization.k8s.io/flowrelease-operator" in result.stdout
    assert "would violate PodSecurity" not in result.stderr, result.stderr
    # Client-side apply (last-applied annotation) also fits: the CRD is far below the annotation limit.
    client_side = kube_cluster.kubectl("apply", "--dry-run=server", "-k", str(DEPLOY))
    assert "deployment.apps/flowrelease-operator" in client_side.stdout


@pytest.mark.kube
def test_pod_security_check_in_the_dry_run_does_catch_a_privileged_operator(
    kube_cluster: KubeCluster, objects: list[dict[str, Any]]
) -> None:
    """The previous test's "no warning" is meaningful: a weakened Deployment does get the warning."""
    kube_cluster.kubectl("apply", "--server-side", "-f", str(DEPLOY / "namespace.yaml"))
    weakened = copy.deepcopy(only(objects, "Deployment"))
    weakened["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = (
        True
    )
    result = kube_cluster.kubectl(
        "apply", "--server-side", "--dry-run=server", "-f", "-", input=yaml.safe_dump(weakened)
    )
    assert "would violate PodSecurity" in result.stderr
    assert "allowPrivilegeEscalation != false" in result.stderr


def test_deployment_args_are_accepted_by_the_real_operator_command(objects: list[dict[str, Any]]) -> None:
    """The Deployment and `flowrelease operator` agree on option names (parsed, not run)."""
    from flowrelease.cli import main

    container = _container(objects)
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    command = main.get_command(click.Context(main), container["args"][0])
    assert command is not None
    with click.Context(command) as parent:
        context = command.make_context("operator", list(container["args"][1:]), parent=parent)
    assert context.params["all_namespaces"] is True
    assert context.params["standalone"] is True
    assert context.params["liveness"] == "http://0.0.0.0:8080/healthz"
    assert context.params["metrics_port"] == 9090
    # The git work dir the operator derives from FLOWRELEASE_WORKDIR is inside the writable emptyDir.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["FLOWRELEASE_WORKDIR"] in mounts
