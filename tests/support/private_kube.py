"""A control plane of a test module's own, and a kubeconfig that logs in as a ServiceAccount.

The session's ``kube_cluster`` is shared by every test and keeps their namespaces and FlowReleases; an
operator that watches all namespaces (the Deployment's ``--all-namespaces``) or an install compared object
by object with another needs a cluster with nothing else in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.support.kube import (
    ControlPlaneStartError,
    KubeCluster,
    find_kube_bins,
    skip_or_fail_without_binaries,
)

TOKEN_SECONDS = 3600


@contextmanager
def private_cluster(workdir: Path) -> Iterator[KubeCluster]:
    """A fresh etcd + kube-apiserver for one module (about 3 s to start), stopped afterwards."""
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        skip_or_fail_without_binaries(why)
    cluster = KubeCluster(bin_dir=bin_dir, workdir=workdir)
    try:
        cluster.start()
    except ControlPlaneStartError as exc:
        cluster.stop()
        pytest.fail(f"the test control plane did not start: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


def service_account_kubeconfig(cluster: KubeCluster, namespace: str, name: str, path: Path) -> Path:
    """A kubeconfig for ``system:serviceaccount:<namespace>:<name>``: a token from the TokenRequest API
    (``kubectl create token``), the cluster's CA, nothing of the admin's."""
    token = cluster.kubectl(
        "create", "token", name, "-n", namespace, f"--duration={TOKEN_SECONDS}s"
    ).stdout.strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": admin["clusters"][0]["name"], "user": name, "namespace": namespace},
            }
        ],
        "current-context": name,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o644)  # readable by the container's uid, as a projected token volume is
    return path
