"""The control-plane fixture keeps its promises to the operator's tests: the kubeconfig works for the
`kubernetes` client and for kopf (watching FlowReleases, patching their status, posting Events), and
kubectl impersonation really drops the admin's rights."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.support.kube import KubeCluster

pytestmark = pytest.mark.kube

HANDLERS = """
import kopf

@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_):
    # The CRD prunes unknown status fields, so kopf keeps its bookkeeping in annotations only.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="flowrelease.io")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix="flowrelease.io")
    settings.posting.level = 0

@kopf.on.create("flowrelease.io", "v1alpha1", "flowreleases")
def created(spec, meta, body, patch, **_):
    patch.status["phase"] = "Pending"
    patch.status["desiredVersion"] = spec["version"]
    patch.status["observedGeneration"] = meta["generation"]
    kopf.info(body, reason="FixtureCheck", message="kopf reached the test apiserver")
"""


def _manifest(name: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": name},
            "spec": {
                "genesys": {"environment": "http://127.0.0.1:1"},
                "flow": {"type": "inboundcall", "name": "Support IVR"},
                "version": "12.0",
            },
        }
    )


def test_kubernetes_client_uses_the_kubeconfig(kube_cluster: KubeCluster, kube_namespace: str) -> None:
    from kubernetes import client

    with kube_cluster.api_client() as api_client:
        names = [ns.metadata.name for ns in client.CoreV1Api(api_client).list_namespace().items]
    assert {"default", "kube-system", kube_namespace} <= set(names)


def test_kopf_watches_flowreleases_patches_status_and_posts_events(
    kube_env: KubeCluster, flowrelease_crd: str, kube_namespace: str, tmp_path: Path
) -> None:
    kube_cluster = kube_env
    from kopf.testing import KopfRunner

    handlers = tmp_path / "handlers.py"
    handlers.write_text(HANDLERS)
    args = ["run", "--standalone", "--namespace", kube_namespace, "--verbose", str(handlers)]
    with KopfRunner(args, timeout=60) as runner:
        kube_cluster.kubectl("apply", "-n", kube_namespace, "-f", "-", input=_manifest("kopf-check"))
        deadline = time.monotonic() + 30
        status: dict[str, object] = {}
        while time.monotonic() < deadline and not status:
            status = kube_cluster.kubectl_json("get", "fr", "kopf-check", "-n", kube_namespace).get(
                "status", {}
            )
            time.sleep(0.3)
    assert runner.exception is None, runner.output
    assert status == {"phase": "Pending", "desiredVersion": "12.0", "observedGeneration": 1}
    events = kube_cluster.kubectl_json("get", "events", "-n", kube_namespace)["items"]
    assert any(e["reason"] == "FixtureCheck" for e in events), runner.output


def test_impersonation_drops_the_admin_rights(kube_cluster: KubeCluster, kube_namespace: str) -> None:
    assert (
        kube_cluster.kubectl("auth", "can-i", "create", "secrets", "-n", kube_namespace).stdout.strip()
        == "yes"
    )
    denied = kube_cluster.kubectl(
        "get", "secrets", "-n", kube_namespace, as_user="jane", as_groups=["developers"], check=False
    )
    assert denied.returncode != 0
    assert 'User "jane" cannot list resource "secrets"' in denied.stderr
