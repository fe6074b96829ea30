"""Bad input the apiserver cannot judge, in a cluster: the operator holds it before publishing, as sync
does. An export remote that does not answer is held by the engine itself (it checks the target before the
first side effect, in both shells); two releases of one flow, one by name and one by id, are one claim:
sync refuses both outright, in a cluster the oldest owns the flow (issue 16).

They run the real operator (`flowrelease operator`) against the real apiserver and the loopback emulator,
through the end-to-end harness of tests/e2e.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import (  # the e2e harness, as fixtures
    Cluster,
    GenesysClientCreds,
    cluster,  # noqa: F401
    condition,
    genesys_client,  # noqa: F401
    release_manifest,
    start_operator,  # noqa: F401
)
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(180)]
PUBLISH = "/api/v2/flows/actions/publish"


def settles(
    view: Cluster, emulator: EmulatorHandle, names: list[str], timeout: float = 60.0
) -> dict[str, Any]:
    """Wait until a publish happens or every release is Stalled; return the releases then."""
    deadline = time.monotonic() + timeout
    releases: dict[str, Any] = {}
    while time.monotonic() < deadline:
        releases = {name: view.release(name) for name in names}
        stalled = all(condition(obj, "Stalled").get("status") == "True" for obj in releases.values())
        if stalled or emulator.control.request_count(method="POST", path=PUBLISH):
            return releases
        time.sleep(0.25)
    return releases


def test_a_release_by_name_and_one_by_id_of_one_flow_have_one_owner_in_a_cluster(
    cluster: Cluster,  # noqa: F811
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,  # noqa: F811
    start_operator: Callable[..., Any],  # noqa: F811
) -> None:
    """sync refuses both (one folder, one run); in a cluster the oldest owns the flow (creationTimestamp,
    then namespace/name: issue 16) and the other is held, naming it, without a publish of its own."""
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    by_name = release_manifest("by-name", environment=emulator.base_url, version="3.0")
    by_id = release_manifest("by-id", environment=emulator.base_url, version="1.0")
    by_id["spec"]["flow"] = {"id": emulator.flow_id("Support IVR")}
    cluster.apply(by_name)
    cluster.apply(by_id)
    created = {name: cluster.release(name)["metadata"] for name in ("by-name", "by-id")}
    owner, held = sorted(created, key=lambda n: (created[n]["creationTimestamp"], created[n]["namespace"], n))

    held_back = cluster.wait_release(
        held,
        lambda o: condition(o, "Stalled").get("reason") == "FlowConflict",
        timeout=60,
        what="Stalled FlowConflict",
    )
    cluster.wait_release(
        owner, lambda o: condition(o, "Ready").get("status") == "True", timeout=60, what="Ready"
    )
    time.sleep(3)  # a fight would publish again within seconds

    stalled = condition(held_back, "Stalled")
    assert f"{cluster.namespace}/{owner}" in stalled["message"], stalled["message"]
    wanted = {"by-name": "3.0", "by-id": "1.0"}
    posted = [str(r.get("query", "")) for r in emulator.control.request_log(method="POST", path=PUBLISH)]
    assert len(posted) == 1 and f"version={wanted[owner]}" in posted[0], posted


def test_an_unreachable_export_remote_is_held_before_publishing_in_a_cluster(
    cluster: Cluster,  # noqa: F811
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,  # noqa: F811
    start_operator: Callable[..., Any],  # noqa: F811
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    export = {"url": f"https://127.0.0.1:{port}/flows.git", "path": "flows/ivr"}
    manifest = release_manifest("unreachable", environment=emulator.base_url, version="3.0", export=export)
    manifest["spec"]["publish"]["timeoutSeconds"] = 15  # how long the engine re-checks a silent remote
    cluster.apply(manifest)

    releases = settles(cluster, emulator, ["unreachable"])

    assert emulator.control.request_count(method="POST", path=PUBLISH) == 0
    stalled = condition(releases["unreachable"], "Stalled")
    assert (stalled.get("status"), stalled.get("reason")) == ("True", "ExportTargetUnreachable"), stalled
    assert "spec.export.git.url: git ls-remote" in stalled.get("message", ""), stalled
