"""Promotion across orgs in the operator: dev -> test -> prod on a real apiserver, each org its own emulator.

Each environment is a namespace holding its Secret, ConfigMap (the same Archy YAML) and FlowRelease; the
operator watches the three. prod waits at its gate (`WaitingForPromotion`, the `Gate` column) while test
bakes, is woken by test's status change, and survives a SIGKILL of the operator mid-promotion without
importing twice; a health breach in test blocks prod with nothing imported there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from flowrelease.engine.archy_source import source_digest
from tests.e2e.conftest import condition, is_ready, phase_is
from tests.e2e.operator_process import OperatorProcess
from tests.support.kube import KubeCluster
from tests.support.orgs import ENVIRONMENTS, Org, promotion_documents, support_ivr_yaml

pytestmark = pytest.mark.kube

V1 = support_ivr_yaml("Welcome to support.")
CHAIN: dict[str, tuple[str, ...]] = {"dev": (), "test": ("dev",), "prod": ("test",)}


@pytest.fixture
def namespaces(kube_cluster: KubeCluster, flowrelease_crd: str) -> dict[str, str]:
    return {env: kube_cluster.create_namespace(f"promo-{env}") for env in ENVIRONMENTS}


def get(kube: KubeCluster, namespace: str, env: str) -> dict[str, Any]:
    from kubernetes import client

    with kube.api_client() as api:
        obj: dict[str, Any] = client.CustomObjectsApi(api).get_namespaced_custom_object(
            "flowrelease.io", "v1alpha1", namespace, "flowreleases", f"support-ivr-{env}"
        )
    return obj


def wait_for(
    kube: KubeCluster,
    namespace: str,
    env: str,
    predicate: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 120.0,
    what: str = "",
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    obj: dict[str, Any] = {}
    while time.monotonic() < deadline:
        obj = get(kube, namespace, env)
        if predicate(obj):
            return obj
        time.sleep(0.25)
    raise AssertionError(f"support-ivr-{env}: {what} not reached in {timeout}s; status: {obj.get('status')}")


def gate_is(state: str) -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        return ((obj.get("status") or {}).get("promotion") or {}).get("gate") == state

    return check


def apply_chain(
    kube: KubeCluster, orgs: dict[str, Org], namespaces: dict[str, str], bake: dict[str, int]
) -> None:
    for env in ("prod", "test", "dev"):  # downstream first: the gate, not the order, must hold prod back
        text = promotion_documents(
            orgs[env], flow_yaml=V1, requires=CHAIN[env], bake_seconds=bake[env], namespaces=namespaces
        )
        kube.kubectl("apply", "-f", "-", input=text)


def test_prod_waits_for_test_is_woken_and_survives_a_restart_mid_promotion(
    kube_cluster: KubeCluster,
    orgs: dict[str, Org],
    namespaces: dict[str, str],
    start_operator: Callable[..., OperatorProcess],
) -> None:
    operator = start_operator(*namespaces.values())
    apply_chain(kube_cluster, orgs, namespaces, {"dev": 1, "test": 12, "prod": 1})

    waiting = wait_for(kube_cluster, namespaces["prod"], "prod", gate_is("Waiting"), what="gate Waiting")
    message = condition(waiting, "WaitingForPromotion")["message"]
    assert f"{namespaces['test']}/support-ivr-test" in message and source_digest(V1) in message, message
    assert condition(waiting, "Reconciling")["reason"] == "WaitingForPromotion"
    assert orgs["prod"].imports() == 0
    columns = kube_cluster.kubectl("get", "fr", "-A").stdout
    assert "GATE" in columns.splitlines()[0] and "Waiting" in columns, columns

    wait_for(kube_cluster, namespaces["test"], "test", phase_is("Verifying"), what="test baking")
    operator.kill()  # mid-promotion: test bakes, prod waits at its gate
    restarted = start_operator(*namespaces.values())

    prod = wait_for(kube_cluster, namespaces["prod"], "prod", is_ready, what="prod Ready")
    test = get(kube_cluster, namespaces["test"], "test")
    assert prod["status"]["promotion"]["gate"] == "Open"
    assert prod["status"]["promotion"]["change"] == source_digest(V1) == test["status"]["promotion"]["change"]
    assert condition(prod, "WaitingForPromotion") == {}
    assert orgs["test"].imports() == 1, "the restarted operator imported into test again"
    assert orgs["prod"].imports() == 1, "prod imported exactly once"
    assert "Open" in kube_cluster.kubectl("get", "fr", "-n", namespaces["prod"]).stdout
    woken = (
        f"waking {namespaces['prod']}/support-ivr-prod: its upstream {namespaces['test']}/support-ivr-test"
    )
    assert woken in restarted.logs(), "prod was not woken by test's status change"


def test_a_health_breach_in_test_blocks_prod(
    kube_cluster: KubeCluster,
    orgs: dict[str, Org],
    namespaces: dict[str, str],
    start_operator: Callable[..., OperatorProcess],
) -> None:
    test_flow = orgs["test"].control.flow_id("Support IVR")
    orgs["test"].control.set_analytics(test_flow, failure_ratio=0.4, samples=200)
    start_operator(*namespaces.values())
    apply_chain(kube_cluster, orgs, namespaces, {"dev": 1, "test": 2, "prod": 1})

    wait_for(kube_cluster, namespaces["test"], "test", phase_is("RolledBack"), what="test rolled back")
    prod = wait_for(kube_cluster, namespaces["prod"], "prod", gate_is("Blocked"), what="prod blocked")
    stalled = condition(prod, "Stalled")
    assert stalled["reason"] == "PromotionBlocked"
    assert (
        f"{namespaces['test']}/support-ivr-test rolled back source {source_digest(V1)}" in stalled["message"]
    )
    assert orgs["prod"].imports() == 0, "nothing was imported into prod"
