"""`flowrelease sync` woken by v2.flows notifications (realistic profile, real socket, subprocess CLI).

A publish takes 3 s of real time here, and the engine's safety-net poll would only look 16 s in: a release
that is Ready within seconds, without reading the flow while the publish ran, was woken by its event.
Every other case — events lost, duplicated, a socket closed or a channel expired mid-publish, a topic
refused, the topic limit — must still end Ready, by the safety net or by polling as before (a publish whose
start is never heard is polled from 5 s after its POST).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from flowrelease.emulator.notifications import control_calls
from flowrelease.engine.poll_schedule import PUSHED_POLL
from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli, cli_process
from tests.support.emulator import EmulatorHandle
from tests.support.orgs import support_ivr_yaml

PUBLISH_SECONDS = 3.0
SLOW = {
    "publishSeconds": PUBLISH_SECONDS,
    "checkinSeconds": 0.2,
    "importJobSeconds": PUBLISH_SECONDS,
    "exportJobSeconds": 0.2,
    "validateJobSeconds": 0.2,
    "jitter": 0,
}


def epoch(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()


def flow_reads_after_publish(emulator: EmulatorHandle, flow_id: str) -> tuple[float, list[float]]:
    """(publish time, seconds after it of every GET of the flow)."""
    log = emulator.control.request_log()
    posted = [epoch(e) for e in log if e["method"] == "POST" and e["path"] == PUBLISH_PATH]
    assert len(posted) == 1, posted
    reads = [
        epoch(e) - posted[0]
        for e in log
        if e["method"] == "GET" and e["path"] == f"/api/v2/flows/{flow_id}" and epoch(e) > posted[0]
    ]
    return posted[0], reads


def sync_json(manifests: ManifestFolder, tmp_path: Path, *args: str) -> dict[str, dict[str, object]]:
    run = cli("sync", str(manifests.path), "--output", "json", "-v", *args, cwd=tmp_path)
    assert run.exit_code == 0, run.stderr[-3000:]
    return run.releases()


@pytest.fixture
def slow(emulator: EmulatorHandle) -> EmulatorHandle:
    emulator.control.set_behaviour(timing=SLOW)
    return emulator


def test_a_publish_is_noticed_by_its_event_not_by_polling(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    manifests.release("support-ivr")
    releases = sync_json(manifests, tmp_path)
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    _, reads = flow_reads_after_publish(slow, slow.flow_id("Support IVR"))
    assert reads and min(reads) >= PUBLISH_SECONDS - 0.05, f"the flow was polled while publishing: {reads}"
    # Woken by the event: the safety net's first look would be 16 s after the POST (the margin is for a
    # loaded machine, not for the engine).
    assert reads[0] < PUBLISH_SECONDS + 8.0, f"first read {reads[0]:.2f} s after the POST"
    # R1: the event runs ahead of the lagging read; the engine read again until the read agreed
    assert len(reads) <= 5, reads
    hub = slow.control.call(control_calls.state())
    assert hub["counters"]["events_sent"] >= 2 and len(hub["channels"]) == 1


def test_the_same_run_without_notifications_polls_as_before(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    manifests.release("support-ivr")
    releases = sync_json(manifests, tmp_path, "--no-notifications")
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    _, reads = flow_reads_after_publish(slow, slow.flow_id("Support IVR"))
    assert min(reads) < 1.0, "polling starts at once"
    assert slow.control.request_count(path="/api/v2/notifications/*") == 0


def test_lost_events_end_ready_polled_from_the_silence_after_the_post(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    slow.control.call(control_calls.configure(drop_fraction=1.0))
    manifests.release("support-ivr")
    releases = sync_json(manifests, tmp_path)
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    _, reads = flow_reads_after_publish(slow, slow.flow_id("Support IVR"))
    assert 4.5 <= reads[0] <= 8, f"no start heard 5 s after the POST: looked at {reads[0]:.1f} s, not 16 s"


def test_duplicated_events_end_ready_with_the_same_reads(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    slow.control.call(control_calls.configure(duplicate_fraction=1.0))
    manifests.release("support-ivr")
    assert sync_json(manifests, tmp_path)["cc/support-ivr"]["phase"] == "Ready"
    _, reads = flow_reads_after_publish(slow, slow.flow_id("Support IVR"))
    assert min(reads) >= PUBLISH_SECONDS - 0.05 and len(reads) <= 5, reads
    assert slow.control.request_count(method="POST", path=PUBLISH_PATH) == 1


@pytest.mark.parametrize("mishap", ["socket-closed", "channel-expired"])
def test_a_socket_closed_or_a_channel_expired_mid_publish_still_ends_ready(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle, mishap: str
) -> None:
    manifests.release("support-ivr")
    process = cli_process("sync", str(manifests.path), "--output", "json", cwd=tmp_path)

    def strike_once_publishing() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if slow.control.request_count(method="POST", path=PUBLISH_PATH):
                time.sleep(0.5)
                call = (
                    control_calls.close_sockets(warn=False)
                    if mishap == "socket-closed"
                    else control_calls.expire_channels()
                )
                slow.control.call(call)
                return
            time.sleep(0.05)

    striker = threading.Thread(target=strike_once_publishing)
    striker.start()
    stdout, stderr = process.communicate(timeout=60)
    striker.join()
    assert process.returncode == 0, stderr[-3000:]
    assert '"phase": "Ready"' in stdout
    hub = slow.control.call(control_calls.state())
    assert hub["counters"]["connections"] >= 2, "reconnected"
    if mishap == "channel-expired":
        assert hub["counters"]["channels_created"] == 2 and hub["counters"]["channels_expired"] == 1
    _, reads = flow_reads_after_publish(slow, slow.flow_id("Support IVR"))
    assert reads[0] < PUBLISH_SECONDS, "the resync after the reconnect looked at once"
    assert any(PUBLISH_SECONDS - 0.05 <= r < PUBLISH_SECONDS + 1.0 for r in reads), "then its event woke it"


def test_a_flow_whose_topic_is_refused_is_polled_and_said_so(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    flow_id = slow.flow_id("Support IVR")
    slow.control.call(control_calls.configure(rejected_topics=[f"v2.flows.{flow_id}"]))
    manifests.release("support-ivr")
    run = cli("sync", str(manifests.path), "--output", "json", "-v", cwd=tmp_path)
    assert run.exit_code == 0 and run.releases()["cc/support-ivr"]["phase"] == "Ready", run.stderr[-3000:]
    assert run.stderr.count(f"Genesys refused the notification topic of flow {flow_id}") == 1
    _, reads = flow_reads_after_publish(slow, flow_id)
    assert min(reads) < 1.0, "polled from the start, as without notifications"


def test_many_releases_share_one_channel_and_the_topic_limit_leaves_the_rest_polling(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    slow.control.set_behaviour(timing={**SLOW, "publishSeconds": 1.0})
    flows = [f"Fleet Flow {index}" for index in range(6)]
    slow.control.seed(
        {
            "flows": [
                {
                    "name": name,
                    "type": "INBOUNDCALL",
                    "versions": [{"queues": ["Support"]}] * 2,
                    "publishedVersion": "1.0",
                }
                for name in flows
            ]
        }
    )
    slow.control.call(control_calls.configure(topic_limit=3))
    for index, name in enumerate(flows):
        manifests.release(f"fleet-{index}", flow_name=name, version="2.0")
    releases = sync_json(manifests, tmp_path, "--concurrency", "6")
    assert {item["phase"] for item in releases.values()} == {"Ready"}
    hub = slow.control.call(control_calls.state())
    assert hub["counters"]["channels_created"] == 1, "one channel for every release of the client"
    assert slow.control.request_count(method="POST", path=PUBLISH_PATH) == 6


IMPORT_RELEASE = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: support-ivr-flow, namespace: cc}}
data:
  flow.yaml: |
{indented}---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr, namespace: cc}}
spec:
  genesys:
    environment: {environment}
    credentialsSecretRef: {{name: genesys}}
  flow: {{type: inboundcall, name: Support IVR}}
  source:
    configMapRef: {{name: support-ivr-flow, key: flow.yaml}}
    substitutions: {{support_queue: GeneralSupport}}
"""
UPLOAD_PREFIX = "/_uploads/"


def job_reads_after_upload(emulator: EmulatorHandle) -> list[float]:
    """Seconds after the one upload of every GET of an Architect job (the emulator's request log)."""
    log = emulator.control.request_log()
    uploads = [epoch(e) for e in log if e["method"] == "PUT" and str(e["path"]).startswith(UPLOAD_PREFIX)]
    assert len(uploads) == 1, uploads
    return [
        epoch(e) - uploads[0]
        for e in log
        if e["method"] == "GET" and str(e["path"]).startswith("/api/v2/flows/jobs/") and epoch(e) > uploads[0]
    ]


def write_import(manifests: ManifestFolder) -> None:
    indented = "".join(f"    {line}\n" for line in support_ivr_yaml("Welcome, imported.").splitlines())
    text = IMPORT_RELEASE.format(indented=indented, environment=manifests.environment)
    (manifests.path / "support-ivr.yaml").write_text(text)


def test_an_import_into_a_known_flow_is_noticed_by_its_event_not_by_the_net(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    # Realistic R6: the job is Registered for 3 GETs or 1 s, whichever comes first — a Genesys job runs on
    # its own clock, so no one has to read it for it to finish and publish the flow, whose topic is live.
    write_import(manifests)
    releases = sync_json(manifests, tmp_path)
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    reads = job_reads_after_upload(slow)
    # The net's first look would be 16 s after the upload; the event comes when the 3 s job ends.
    assert reads and reads[0] < PUBLISH_SECONDS + 8.0, f"first job read {reads[0]:.2f} s after the upload"
    assert min(reads) >= PUBLISH_SECONDS - 0.05, f"the job was polled while it ran: {reads}"


def test_an_import_whose_job_moves_only_when_read_still_ends_ready_on_the_net(
    tmp_path: Path, manifests: ManifestFolder, slow: EmulatorHandle
) -> None:
    # The adversarial reading of R6 (only GETs release a Registered job): no event can come until the job
    # is read, so the safety net's look 16 s after the upload starts it; it still converges.
    slow.control.set_behaviour(job_registered_seconds=None)
    write_import(manifests)
    releases = sync_json(manifests, tmp_path)
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    reads = job_reads_after_upload(slow)
    # The net's look is 16 s after the POST, moved by up to its jitter (±10 %): never sooner than 14.4 s.
    earliest = PUSHED_POLL.initial * (1 - PUSHED_POLL.jitter) - 0.05
    assert reads[0] >= earliest, f"a job announces no start: its first look is the net's, not {reads[0]:.2f}"
