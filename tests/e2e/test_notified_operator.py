"""The operator woken by v2.flows notifications: a finished publish is noticed at once, not at kopf's next
retry or the engine's safety-net poll — also when the wait outlasts one handler call (a parked wait)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from flowrelease.emulator.notifications import control_calls
from tests.e2e.conftest import Cluster, GenesysClientCreds, is_ready, release_manifest
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]

PUBLISH_PATH = "/api/v2/flows/actions/publish"


def epoch(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()


def reads_after_publish(emulator: EmulatorHandle, flow_id: str) -> list[float]:
    log = emulator.control.request_log()
    (posted,) = [epoch(e) for e in log if e["method"] == "POST" and e["path"] == PUBLISH_PATH]
    return [
        epoch(e) - posted
        for e in log
        if e["method"] == "GET" and e["path"] == f"/api/v2/flows/{flow_id}" and epoch(e) > posted
    ]


@pytest.mark.parametrize(
    ("publish_seconds", "safety_looks"),
    [(4.0, 0), (45.0, 2)],
    ids=["within-one-handler-call", "parked-across-handler-calls"],
)
def test_a_finished_publish_wakes_the_operator_at_once(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
    publish_seconds: float,
    safety_looks: int,
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "mode": "seconds", "seconds": publish_seconds}]
    )
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    manifest = release_manifest("notified", environment=emulator.base_url, version="3.0")
    manifest["spec"]["publish"]["timeoutSeconds"] = 120
    cluster.apply(manifest)
    obj = cluster.wait_release("notified", is_ready, timeout=publish_seconds + 60, what="Ready=True")
    assert obj["status"]["publishedVersion"] == "3.0"

    reads = reads_after_publish(emulator, flow_id)
    before = [r for r in reads if r < publish_seconds - 0.05]
    after = [r for r in reads if r >= publish_seconds - 0.05]
    assert len(before) == safety_looks, f"only the safety net looks while it runs (20 s, 40 s): {reads}"
    assert after and after[0] < publish_seconds + 1.0, f"the event woke it: first read {after[0]:.2f} s"
    hub = emulator.control.call(control_calls.state())
    assert len(hub["channels"]) == 1 and hub["counters"]["events_sent"] >= 2


def test_with_notifications_unavailable_the_operator_polls_as_before(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.call(control_calls.configure(available=404))
    emulator.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "mode": "seconds", "seconds": 3.0}]
    )
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    cluster.apply(release_manifest("polled", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("polled", is_ready, timeout=60, what="Ready=True")
    reads = reads_after_publish(emulator, flow_id)
    assert min(reads) < 1.0 and len([r for r in reads if r < 3.0]) >= 3, reads
    logs = operator.logs()
    assert logs.count("flow notifications are not available") == 1, "said once"
    assert "flowrelease_notification_fallbacks_total 1.0" in operator.metrics()
