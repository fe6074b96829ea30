"""Genesys saying no, as the cluster sees it: wrong credentials (401), a flow locked by someone else (409),
and 5xx that the client absorbs."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, release_manifest
from tests.e2e.test_release_lifecycle import published_version, publishes
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(120)]


def stalled(obj: dict[str, object]) -> bool:
    return condition(obj, "Stalled").get("status") == "True"  # type: ignore[arg-type]


def test_wrong_client_secret_stalls_as_authentication_failed_without_leaking_it(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    wrong = GenesysClientCreds(client_id=genesys_client.client_id, client_secret=secrets.token_urlsafe(24))
    cluster.apply_credentials(wrong)
    operator = start_operator(cluster.namespace)
    cluster.apply(release_manifest("bad-creds", environment=emulator.base_url, version="3.0"))

    obj = cluster.wait_release("bad-creds", stalled, timeout=60, what="Stalled")

    assert condition(obj, "Stalled")["reason"] == "AuthenticationFailed", condition(obj, "Stalled")
    assert condition(obj, "Ready")["status"] == "False"
    assert "AuthenticationFailed" in cluster.event_reasons("bad-creds", "AuthenticationFailed")
    assert publishes(emulator) == []
    everything = operator.logs() + json.dumps(cluster.events()) + json.dumps(cluster.releases())
    assert wrong.client_secret not in everything


def test_flow_locked_by_someone_else_fails_under_lock_policy_fail(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.lock_flow(flow_id, client_id="architect-ui", client_name="Jane in Architect")
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("locked", environment=emulator.base_url, version="3.0"))

    obj = cluster.wait_release("locked", stalled, timeout=60, what="Stalled")

    message = condition(obj, "Stalled")["message"]
    assert condition(obj, "Stalled")["reason"] == "FlowLocked", condition(obj, "Stalled")
    assert "Jane in Architect" in message or "architect-ui" in message, message
    assert publishes(emulator) == []
    assert published_version(emulator, "Support IVR") == "2.0"


def test_server_errors_are_retried_until_the_release_is_ready(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    emulator.control.add_fault(method="GET", path="/api/v2/flows*", status=503, count=4)
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace)
    cluster.apply(release_manifest("flaky", environment=emulator.base_url, version="3.0"))

    obj = cluster.wait_release("flaky", is_ready, timeout=90, what="Ready despite 503s")

    assert obj["status"]["publishedVersion"] == "3.0"
    assert emulator.control.request_count(status=503) == 4
    assert len([r for r in publishes(emulator, "3.0") if int(str(r["status"])) < 400]) == 1


def test_debug_logging_leaks_no_credentials(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace, extra_args=("--verbose",))
    cluster.apply(release_manifest("chatty", environment=emulator.base_url, version="3.0"))
    cluster.wait_release("chatty", is_ready, timeout=60, what="Ready")

    logs = operator.logs()
    assert "DEBUG" in logs
    basic = base64.b64encode(f"{genesys_client.client_id}:{genesys_client.client_secret}".encode()).decode()
    for leak in (genesys_client.client_secret, basic, "Bearer ", "access_token"):
        assert leak not in logs, leak
