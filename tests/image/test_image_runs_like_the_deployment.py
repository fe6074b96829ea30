"""The operator image, built from the repository's Dockerfile, run exactly as deploy/deployment.yaml runs it
(uid 10001, read-only root filesystem, the emptyDirs /tmp and /var/lib/flowrelease the only writable mounts,
all capabilities dropped, the Deployment's args, env and limits) against a real apiserver with deploy/
applied, logged in as the operator's ServiceAccount, the emulator and an HTTPS Git server on loopback."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cluster, is_ready, release_manifest
from tests.e2e.operator_process import free_port
from tests.image.container import CONTAINER_UID, OperatorContainer, http_get
from tests.support.emulator import EmulatorHandle
from tests.support.git_http import GitHttpServer
from tests.support.kube import KubeCluster
from tests.support.podman import BuiltImage, podman

pytestmark = [pytest.mark.kube, pytest.mark.image, pytest.mark.timeout(900)]


@pytest.fixture
def container(
    operator_image: BuiltImage,
    deployment: dict[str, Any],
    operator_kubeconfig: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[OperatorContainer]:
    ports = {
        int(p["containerPort"]): free_port()
        for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    running = OperatorContainer(deployment, operator_image.tag, operator_kubeconfig, tmp_path, ports)
    try:
        yield running.start()
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"--- container logs ({running.name}) ---\n{running.logs()[-15000:]}")
        running.remove()


def _exec(container: OperatorContainer, script: str) -> subprocess.CompletedProcess[str]:
    return podman("exec", container.name, "sh", "-c", script, check=False)


def test_runs_as_the_pod_user_with_only_the_emptydirs_writable(container: OperatorContainer) -> None:
    assert _exec(container, "id -u; id -G").stdout.split() == [str(CONTAINER_UID), str(CONTAINER_UID)]
    for path in ("/", "/opt/flowrelease", "/etc", "/var/lib", "/home"):
        result = _exec(container, f"touch {path}/probe-write")
        assert result.returncode != 0, f"{path} is writable"
        assert "Read-only file system" in result.stderr, result.stderr
    assert container.run is not None
    for path in container.run.writable:
        assert _exec(container, f"touch {path}/probe-write && rm {path}/probe-write").returncode == 0, path
    assert set(container.run.writable) == {"/tmp", "/var/lib/flowrelease"}
    capabilities = _exec(container, "grep CapEff /proc/self/status").stdout.split()
    assert capabilities == ["CapEff:", "0000000000000000"]
    assert _exec(container, "grep NoNewPrivs /proc/self/status").stdout.split() == ["NoNewPrivs:", "1"]


def test_probes_and_metrics_answer_and_sigterm_ends_it_cleanly_within_the_grace_period(
    container: OperatorContainer,
) -> None:
    assert container.run is not None
    for kind, (path, port) in container.run.probes.items():
        status, body = http_get(f"http://127.0.0.1:{port}{path}")
        assert status == 200, (kind, body)
    status, metrics = http_get(container.url("metrics", "/metrics"))
    assert status == 200
    assert "# HELP flowrelease_releases_in_flight " in metrics
    assert "flowrelease_releases_in_flight 0.0" in metrics

    code, seconds = container.terminate()

    assert code == 0, container.logs()[-4000:]
    assert seconds < container.run.grace_seconds
    logs = container.logs()
    assert "Signal SIGTERM is received. Operator is stopping." in logs
    assert "Traceback" not in logs


def test_a_release_goes_ready_and_is_exported_over_https_by_git_inside_the_container(
    container: OperatorContainer,
    deployed_cluster: KubeCluster,
    emulator: EmulatorHandle,
    git_http_server: GitHttpServer,
) -> None:
    namespace = deployed_cluster.create_namespace("contact-center")
    cluster = Cluster(deployed_cluster, namespace)
    client_id, client_secret = f"image-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    emulator.control.seed(
        {"clients": [{"id": client_id, "secret": client_secret, "rateLimitPerMinute": 6000}]}
    )
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "genesys"},
            "stringData": {"clientId": client_id, "clientSecret": client_secret},
        }
    )
    repo = git_http_server.create_repo("flows.git")
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "flows-git"},
            "stringData": {
                "username": git_http_server.username,
                "password": git_http_server.password,
                "ca.crt": git_http_server.ca_certificate,
            },
        }
    )
    export = {
        "url": git_http_server.url("flows.git"),
        "branch": "main",
        "path": "flows/support-ivr",
        "secretRef": {"name": "flows-git"},
    }
    cluster.apply(
        release_manifest(
            "support-ivr", environment=emulator.base_url, version="3.0", secret="genesys", export=export
        )
    )

    try:
        obj = cluster.wait_release("support-ivr", is_ready, timeout=180, what="Ready=True")
    finally:
        cluster.close()

    log = subprocess.run(
        ["git", "--git-dir", str(repo), "log", "--format=%B", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Flow-Version: 3.0" in log
    assert f"FlowRelease: {namespace}/support-ivr" in log
    assert obj["status"]["publishedVersion"] == "3.0"
    assert obj["status"]["artifact"]["path"] == "flows/support-ivr"
    pushes = [r for r in git_http_server.requests if "git-receive-pack" in r[1] and r[2] == 200]
    assert pushes and all(r[3] == git_http_server.username for r in pushes)
    publishes = emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish")
    assert len(publishes) == 1
    # The clone lives in the workdir emptyDir (FLOWRELEASE_WORKDIR), the only place besides /tmp it could.
    assert container.run is not None
    assert any(container.run.writable["/var/lib/flowrelease"].rglob("HEAD"))

    status, metrics = http_get(container.url("metrics", "/metrics"))
    assert status == 200
    assert 'flowrelease_releases_total{result="Ready"} 1.0' in metrics
    assert 'flowrelease_genesys_requests_total{method="POST",route="/api/v2/flows/actions/publish"' in metrics
    visible = json.dumps(obj) + container.logs()
    assert client_secret not in visible
    assert git_http_server.password not in visible
