"""The operator exports to an authenticated HTTPS Git server with credentials (and a private CA) read from
the Secret named in spec.export.git.secretRef — and the password appears nowhere a user can read."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, release_manifest
from tests.support.emulator import EmulatorHandle
from tests.support.git_http import GitHttpServer

pytestmark = [pytest.mark.kube, pytest.mark.timeout(240)]


def _git_secret(name: str, server: GitHttpServer, password: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "stringData": {"username": server.username, "password": password, "ca.crt": server.ca_certificate},
    }


def _release_exporting_to(server: GitHttpServer, emulator: EmulatorHandle) -> dict[str, Any]:
    export = {
        "url": server.url("flows.git"),
        "branch": "main",
        "path": "flows/support-ivr",
        "secretRef": {"name": "flows-git"},
    }
    return release_manifest("support-ivr", environment=emulator.base_url, version="3.0", export=export)


def test_export_over_https_uses_the_git_secret_with_its_private_ca(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    git_http_server: GitHttpServer,
    start_operator,
) -> None:
    repo = git_http_server.create_repo("flows.git")
    cluster.apply_credentials(genesys_client)
    cluster.apply(_git_secret("flows-git", git_http_server, git_http_server.password))
    operator = start_operator(cluster.namespace)
    cluster.apply(_release_exporting_to(git_http_server, emulator))

    obj = cluster.wait_release("support-ivr", is_ready, timeout=90, what="Ready=True")

    log = subprocess.run(
        ["git", "--git-dir", str(repo), "log", "--format=%B", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Flow-Version: 3.0" in log
    assert "FlowRelease: " + f"{cluster.namespace}/support-ivr" in log
    assert obj["status"]["artifact"]["path"] == "flows/support-ivr"
    pushes = [r for r in git_http_server.requests if "git-receive-pack" in r[1] and r[2] == 200]
    assert pushes and all(r[3] == git_http_server.username for r in pushes)
    visible = json.dumps(obj) + json.dumps(cluster.events("support-ivr")) + operator.logs()
    assert git_http_server.password not in visible


def test_a_wrong_git_password_is_held_before_publishing_then_a_fixed_secret_releases_it(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    git_http_server: GitHttpServer,
    start_operator,
) -> None:
    """The operator checks the export remote with the Secret before an attempt publishes (as sync does):
    a rejected password holds the release with nothing published; once the Secret is fixed, a requested
    reconcile publishes once and exports. (An export that fails after the publish keeps the version live:
    tests/e2e/test_metrics_for_monitoring.py, a remote refusing the push.)"""
    git_http_server.create_repo("flows.git")
    wrong_password = "wrong-" + git_http_server.password
    cluster.apply_credentials(genesys_client)
    cluster.apply(_git_secret("flows-git", git_http_server, wrong_password))
    operator = start_operator(cluster.namespace)
    cluster.apply(_release_exporting_to(git_http_server, emulator))

    def held(obj: dict[str, Any]) -> bool:
        stalled = condition(obj, "Stalled")
        return stalled.get("status") == "True" and stalled.get("reason") == "ExportUnavailable"

    obj = cluster.wait_release("support-ivr", held, timeout=90, what="Stalled ExportUnavailable")
    assert condition(obj, "Stalled")["message"].startswith("spec.export.git.secretRef: ")
    assert "nothing was published" in condition(obj, "Stalled")["message"]
    publishes = emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish")
    assert publishes == [], "held before the publish"
    assert git_http_server.denied() >= 1
    visible = json.dumps(obj) + json.dumps(cluster.events("support-ivr")) + operator.logs()
    assert wrong_password not in visible
    assert git_http_server.password not in visible

    cluster.apply(_git_secret("flows-git", git_http_server, git_http_server.password))
    cluster.kube.kubectl(
        "annotate", "fr", "support-ivr", "-n", cluster.namespace,
        "reconcile.flowrelease.io/requestedAt=2026-12-01T00:00:00Z", "--overwrite",
    )  # fmt: skip
    cluster.wait_release("support-ivr", is_ready, timeout=90, what="Ready after the Secret was fixed")
    publishes = emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish")
    assert len(publishes) == 1
