"""The operator's ServiceAccount, impersonated against a real apiserver with deploy/ applied, can do exactly
what the operator needs and nothing more: no writes to Secrets, no cluster-wide writes."""

from __future__ import annotations

import pytest

from tests.deploy.rendered import DEPLOY, SERVICE_ACCOUNT
from tests.support.kube import KubeCluster

pytestmark = pytest.mark.kube

# What every authenticated user may do (system:basic-user); not granted by us.
BASELINE = {
    "selfsubjectreviews.authentication.k8s.io",
    "selfsubjectaccessreviews.authorization.k8s.io",
    "selfsubjectrulesreviews.authorization.k8s.io",
}

EXPECTED_RULES = {
    "flowreleases.flowrelease.io": {"get", "list", "watch", "patch"},
    "flowreleases.flowrelease.io/status": {"get", "patch"},
    "events": {"create", "patch"},
    "secrets": {"get", "list", "watch"},
    "configmaps": {"get", "list", "watch"},
    "namespaces": {"list", "watch"},
    "customresourcedefinitions.apiextensions.k8s.io": {"get", "list", "watch"},
}


@pytest.fixture(scope="module")
def deployed(kube_cluster: KubeCluster) -> KubeCluster:
    kube_cluster.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(DEPLOY))
    return kube_cluster


@pytest.fixture(scope="module")
def tenant_namespace(deployed: KubeCluster) -> str:
    """A namespace where users keep FlowReleases, Secrets and ConfigMaps."""
    return deployed.create_namespace("contact-center")


def _can(cluster: KubeCluster, *args: str) -> bool:
    result = cluster.kubectl("auth", "can-i", *args, as_user=SERVICE_ACCOUNT, check=False)
    answer = result.stdout.strip()
    assert answer in {"yes", "no"}, result.stderr
    return answer == "yes"


def _rules(cluster: KubeCluster, *scope: str) -> dict[str, set[str]]:
    """`kubectl auth can-i --list` as {resource: verbs}, resource rules only."""
    lines = cluster.kubectl("auth", "can-i", "--list", *scope, as_user=SERVICE_ACCOUNT).stdout.splitlines()
    rules: dict[str, set[str]] = {}
    for line in lines[1:]:
        if not line.strip() or line.startswith(" "):
            continue  # non-resource URLs (discovery, health) have an empty resource column
        resource, *_, verbs = line.split(maxsplit=3)
        rules.setdefault(resource, set()).update(verbs.strip("[]").split())
    return rules


def test_service_account_holds_exactly_the_operator_rules_in_a_tenant_namespace(
    deployed: KubeCluster, tenant_namespace: str
) -> None:
    rules = _rules(deployed, "-n", tenant_namespace)
    assert {r: v for r, v in rules.items() if r not in BASELINE} == EXPECTED_RULES


def test_service_account_holds_the_same_rules_cluster_wide_and_nothing_else(deployed: KubeCluster) -> None:
    rules = _rules(deployed)
    assert {r: v for r, v in rules.items() if r not in BASELINE} == EXPECTED_RULES


@pytest.mark.parametrize(
    "args",
    [
        ("watch", "flowreleases.flowrelease.io", "--all-namespaces"),
        ("list", "flowreleases.flowrelease.io", "--all-namespaces"),
        ("patch", "flowreleases.flowrelease.io"),
        ("patch", "flowreleases.flowrelease.io", "--subresource=status"),
        ("create", "events"),
        ("patch", "events"),
        ("get", "secrets/genesys-prod"),
        ("watch", "configmaps"),
        ("list", "namespaces"),
        ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
    ],
    ids=lambda a: " ".join(a),
)
def test_service_account_can_do_what_the_operator_needs(
    deployed: KubeCluster, tenant_namespace: str, args: tuple[str, ...]
) -> None:
    scope = () if "--all-namespaces" in args or args[1] in {"namespaces"} else ("-n", tenant_namespace)
    assert _can(deployed, *args, *scope)


@pytest.mark.parametrize(
    "args",
    [
        ("create", "secrets"),
        ("update", "secrets/genesys-prod"),
        ("patch", "secrets/genesys-prod"),
        ("delete", "secrets/genesys-prod"),
        ("create", "configmaps"),
        ("update", "configmaps"),
        ("delete", "configmaps"),
        ("create", "flowreleases.flowrelease.io"),
        ("delete", "flowreleases.flowrelease.io"),
        ("update", "flowreleases.flowrelease.io"),
        ("update", "flowreleases.flowrelease.io", "--subresource=status"),
        ("delete", "events"),
        ("create", "pods"),
        ("create", "deployments.apps"),
        ("create", "rolebindings.rbac.authorization.k8s.io"),
        ("create", "leases.coordination.k8s.io"),
        ("create", "kopfpeerings.kopf.dev"),
    ],
    ids=lambda a: " ".join(a),
)
def test_service_account_cannot_write_anything_else_in_a_namespace(
    deployed: KubeCluster, tenant_namespace: str, args: tuple[str, ...]
) -> None:
    assert not _can(deployed, *args, "-n", tenant_namespace)


@pytest.mark.parametrize(
    "args",
    [
        ("create", "namespaces"),
        ("delete", "namespaces"),
        ("get", "namespaces/kube-system"),
        ("create", "customresourcedefinitions.apiextensions.k8s.io"),
        ("patch", "customresourcedefinitions.apiextensions.k8s.io"),
        ("delete", "customresourcedefinitions.apiextensions.k8s.io"),
        ("create", "clusterroles.rbac.authorization.k8s.io"),
        ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
        ("escalate", "clusterroles.rbac.authorization.k8s.io"),
        ("bind", "clusterroles.rbac.authorization.k8s.io"),
        ("impersonate", "users"),
        ("create", "clusterkopfpeerings.kopf.dev"),
        ("get", "nodes"),
        ("*", "*"),
    ],
    ids=lambda a: " ".join(a),
)
def test_service_account_has_no_cluster_wide_write(deployed: KubeCluster, args: tuple[str, ...]) -> None:
    assert not _can(deployed, *args)
