"""Fixtures for the image tests: the operator image built from the Dockerfile (once per session), the
Deployment as kustomize renders it, and a control plane of the module's own with deploy/ applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.rendered import DEPLOY, NAMESPACE, only, render
from tests.support.kube import KubeCluster, find_kube_bins, skip_or_fail_without_binaries
from tests.support.podman import (
    BuiltImage,
    base_image,
    build_operator_image,
    missing_tools,
    skip_or_fail_without_podman,
)
from tests.support.private_kube import private_cluster, service_account_kubeconfig


@pytest.fixture(scope="session")
def operator_image() -> BuiltImage:
    reason = missing_tools()
    if reason:
        skip_or_fail_without_podman(reason)
    return build_operator_image(base_image())


@pytest.fixture(scope="session")
def deployment() -> dict[str, Any]:
    """The operator Deployment exactly as `kubectl kustomize deploy/` renders it."""
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        skip_or_fail_without_binaries(why)
    return only(render(bin_dir / "kubectl"), "Deployment")


@pytest.fixture(scope="module")
def deployed_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    """An empty control plane with `kubectl apply --server-side -k deploy/` done and the CRD Established."""
    with private_cluster(tmp_path_factory.mktemp("kube-deployed")) as cluster:
        cluster.kubectl("apply", "--server-side", "-k", str(DEPLOY))
        cluster.kubectl(
            "wait", "--for=condition=Established", "--timeout=60s", "crd/flowreleases.flowrelease.io"
        )
        yield cluster


@pytest.fixture(scope="module")
def operator_kubeconfig(deployed_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logs in as the operator's ServiceAccount (deploy/serviceaccount.yaml), so deploy/rbac.yaml is what
    the container can do."""
    path = tmp_path_factory.mktemp("sa") / "kubeconfig"
    return service_account_kubeconfig(deployed_cluster, NAMESPACE, "flowrelease", path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each test's call report on the item, so fixtures can print the container's logs on failure."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
