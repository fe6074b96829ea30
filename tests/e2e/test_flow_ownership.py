"""One owner per flow across FlowReleases, in a real cluster: two releases of one flow (in two namespaces,
wanting different versions) end with one owner, one publish, and the other Stalled/FlowConflict naming the
owner; deleting the owner hands the flow over with one publish. A spec whose flow.id is another flow than
its name/type is held before any write."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, release_manifest
from tests.e2e.test_release_lifecycle import published_version, publishes
from tests.support.emulator import EmulatorHandle
from tests.support.kube import KubeCluster

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]


def held_by_conflict(obj: dict[str, Any]) -> bool:
    stalled = condition(obj, "Stalled")
    return stalled.get("status") == "True" and stalled.get("reason") == "FlowConflict"


def owner_order(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (meta["creationTimestamp"], meta["namespace"], meta["name"])


def test_two_releases_of_one_flow_end_with_one_owner_and_the_flow_is_handed_over_on_delete(
    kube_cluster: KubeCluster,
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator: Callable[..., Any],
) -> None:
    other = Cluster(kube_cluster, kube_cluster.create_namespace("owner-other"))
    try:
        for view in (cluster, other):
            view.apply_credentials(genesys_client)
        start_operator(cluster.namespace, other.namespace)
        # Applied together: whichever the operator sees first, the oldest (then namespace/name) owns.
        cluster.apply(release_manifest("wants-one", environment=emulator.base_url, version="1.0"))
        other.apply(release_manifest("wants-three", environment=emulator.base_url, version="3.0"))
        first, second = cluster.release("wants-one"), other.release("wants-three")
        owner, rival = (first, second) if owner_order(first) <= owner_order(second) else (second, first)
        owner_view, rival_view = (cluster, other) if owner is first else (other, cluster)
        owner_name, rival_name = owner["metadata"]["name"], rival["metadata"]["name"]
        owner_version, rival_version = owner["spec"]["version"], rival["spec"]["version"]

        owner_view.wait_release(owner_name, is_ready, timeout=90, what="the owner Ready")
        held = rival_view.wait_release(rival_name, held_by_conflict, timeout=60, what="Stalled FlowConflict")
        message = condition(held, "Stalled")["message"]
        assert f"{owner['metadata']['namespace']}/{owner_name}" in message, message
        assert condition(held, "Ready").get("status") != "True", held["status"]
        time.sleep(5)  # a fight would publish again within seconds
        assert len(publishes(emulator)) == 1, publishes(emulator)
        assert len(publishes(emulator, owner_version)) == 1
        assert published_version(emulator, "Support IVR") == owner_version
        reasons = rival_view.event_reasons(rival_name, "FlowConflict")
        assert reasons.count("FlowConflict") == 1, reasons

        owner_view.kube.kubectl("delete", "flowrelease", owner_name, "-n", owner_view.namespace)
        rival_view.wait_release(rival_name, is_ready, timeout=90, what="the rival Ready after the handover")
        assert len(publishes(emulator, rival_version)) == 1
        assert len(publishes(emulator)) == 2
        assert published_version(emulator, "Support IVR") == rival_version
    finally:
        other.close()


def test_a_release_by_id_and_one_by_name_of_one_flow_are_one_claim(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator: Callable[..., Any],
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    by_name = release_manifest("a-by-name", environment=emulator.base_url, version="3.0")
    cluster.apply(by_name)
    cluster.wait_release("a-by-name", is_ready, timeout=90, what="the release by name Ready")
    by_id = release_manifest("b-by-id", environment=emulator.base_url, version="1.0")
    by_id["spec"]["flow"] = {"id": emulator.flow_id("Support IVR")}
    cluster.apply(by_id)

    held = cluster.wait_release("b-by-id", held_by_conflict, timeout=60, what="Stalled FlowConflict")
    assert f"{cluster.namespace}/a-by-name" in condition(held, "Stalled")["message"]
    assert not publishes(emulator, "1.0")
    assert published_version(emulator, "Support IVR") == "3.0"


def test_a_flow_id_of_another_flow_than_its_name_is_held_before_any_write(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator: Callable[..., Any],
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    manifest = release_manifest("mixed-up", environment=emulator.base_url, version="3.0")
    manifest["spec"]["flow"]["id"] = emulator.flow_id("Billing IVR")
    cluster.apply(manifest)

    held = cluster.wait_release(
        "mixed-up",
        lambda o: condition(o, "Stalled").get("status") == "True",
        timeout=60,
        what="Stalled",
    )
    stalled = condition(held, "Stalled")
    assert stalled["reason"] == "FlowIdentityMismatch", stalled
    assert "Billing IVR" in stalled["message"] and "Support IVR" in stalled["message"], stalled
    assert not publishes(emulator)
    assert not emulator.control.request_count(method="POST", path="/api/v2/flows/actions/checkout")
    assert held["status"].get("observedGeneration") == held["metadata"]["generation"]
