"""spec.source.fromRelease in the operator: prod imports what test exported to Git, on a real apiserver,
each org its own emulator (realistic profile) and a real bare repository behind file://.

prod is applied first: it waits (WaitingForPromotion, the Gate column) while test has not exported, is woken
by test's status change, and imports test's exported flow.yaml byte for byte with its own replacement.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from flowrelease.engine.archy_source import source_digest
from tests.e2e.conftest import condition, is_ready
from tests.e2e.operator_process import OperatorProcess
from tests.e2e.test_promotion import gate_is, get, wait_for
from tests.support.kube import KubeCluster
from tests.support.orgs import Org, promotion_documents, queue_of, support_ivr_yaml

pytestmark = pytest.mark.kube

V1 = support_ivr_yaml("Welcome to support.")


def prod_documents(org: Org, namespace: str, upstream_namespace: str) -> str:
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: genesys-prod, namespace: {namespace}}}
stringData: {{clientId: {org.client_id}, clientSecret: {org.client_secret}}}
---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr-prod, namespace: {namespace}}}
spec:
  genesys:
    environment: {org.base_url}
    credentialsSecretRef: {{name: genesys-prod}}
  flow: {{type: inboundcall, name: Support IVR}}
  source:
    fromRelease: {{name: support-ivr-test, namespace: {upstream_namespace}}}
    substitutions: {{'{queue_of("test")}': '{queue_of("prod")}'}}
  verify:
    stages:
      - {{name: bake, bakeSeconds: 1, maxFailureRatio: 0.05, minSamples: 1, settleSeconds: 0}}
  promotion:
    requires:
      - {{name: support-ivr-test, namespace: {upstream_namespace}}}
"""


def test_prod_imports_what_test_exported_once_test_has_exported_it(
    kube_cluster: KubeCluster,
    orgs: dict[str, Org],
    flowrelease_crd: str,
    start_operator: Callable[..., OperatorProcess],
    tmp_path: Path,
) -> None:
    bare = tmp_path / "flows.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True)
    test_ns = kube_cluster.create_namespace("from-test")
    prod_ns = kube_cluster.create_namespace("from-prod")
    start_operator(test_ns, prod_ns)
    kube_cluster.kubectl("apply", "-f", "-", input=prod_documents(orgs["prod"], prod_ns, test_ns))
    test = promotion_documents(
        orgs["test"], flow_yaml=V1, bake_seconds=6, namespaces={"test": test_ns, "dev": "x", "prod": "y"}
    ).replace(
        "  verify:\n", f"  export:\n    git: {{url: '{bare.as_uri()}', path: flows/test}}\n  verify:\n", 1
    )

    waiting = wait_for(kube_cluster, prod_ns, "prod", gate_is("Waiting"), what="prod waiting")
    message = condition(waiting, "WaitingForPromotion")["message"]
    assert f"{test_ns}/support-ivr-test does not exist" in message, message
    assert orgs["prod"].imports() == 0
    kube_cluster.kubectl("apply", "-f", "-", input=test)

    prod = wait_for(kube_cluster, prod_ns, "prod", is_ready, timeout=180, what="prod Ready")
    tested = get(kube_cluster, test_ns, "test")
    exported = subprocess.run(
        ["git", "--git-dir", str(bare), "show", "main:flows/test/flow.yaml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert orgs["prod"].control.uploads() == [exported.replace(queue_of("test"), queue_of("prod"))]
    assert (
        prod["status"]["promotion"]["change"] == tested["status"]["promotion"]["change"] == source_digest(V1)
    )
    assert prod["status"]["promotion"]["gate"] == "Open"
