"""A Secret that goes missing: a settled release keeps what it reports (a Warning Event says why it cannot
look), and a spec change made meanwhile (one the engine only sees through the generation) still starts its
attempt once the Secret is back."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    CREDENTIALS_SECRET,
    Cluster,
    GenesysClientCreds,
    condition,
    is_ready,
    release_manifest,
)
from tests.e2e.test_release_lifecycle import published_version, publishes
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]


def test_a_ready_release_stays_ready_without_its_secret_and_a_spec_change_waits_for_it(
    cluster: Cluster, emulator: EmulatorHandle, genesys_client: GenesysClientCreds, start_operator
) -> None:
    cluster.apply_credentials(genesys_client)
    start_operator(cluster.namespace, drift_interval=2.0)
    cluster.apply(release_manifest("keeps", environment=emulator.base_url, version="3.0"))
    ready = cluster.wait_release("keeps", is_ready, timeout=60, what="Ready")

    cluster.kube.kubectl("delete", "secret", CREDENTIALS_SECRET, "-n", cluster.namespace)
    # the next drift check finds the Secret gone
    reasons = cluster.event_reasons("keeps", "ReferenceUnavailable", timeout=30)
    assert "ReferenceUnavailable" in reasons, reasons
    assert cluster.release("keeps")["status"] == ready["status"], "a settled release keeps its status"

    # a change the engine only sees through the generation (the version stays): it must still be handled
    cluster.patch_release("keeps", {"spec": {"publish": {"timeoutSeconds": 120}}})
    waiting = cluster.wait_release(
        "keeps",
        lambda o: condition(o, "Ready").get("reason") == "ReferenceUnavailable",
        timeout=60,
        what="the spec change waiting for the Secret",
    )
    assert waiting["status"]["observedGeneration"] == waiting["metadata"]["generation"]
    assert condition(waiting, "Reconciling")["status"] == "True"

    cluster.apply_credentials(genesys_client)
    done = cluster.wait_release("keeps", is_ready, timeout=90, what="Ready again once the Secret is back")
    assert done["status"]["observedGeneration"] == done["metadata"]["generation"]
    assert condition(done, "Reconciling") == {}
    assert [h["result"] for h in done["status"]["history"]] == ["Ready", "Ready"], "a second attempt ran"
    assert published_version(emulator, "Support IVR") == "3.0"
    assert len(publishes(emulator, "3.0")) == 1, "the version was live already: not published again"
