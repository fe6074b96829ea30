"""The operator exports to an authenticated HTTPS Git server with credentials (and a private CA) read from
the Secret named in spec.export.git.secretRef — and the password appears nowhere a user can read."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import (
    Cluster,
    GenesysClientCreds,
    condition,
    is_ready,
    phase_is,
    release_manifest,
)
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


def test_a_wrong_git_password_is_held_before_anything_is_published(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    git_http_server: GitHttpServer,
    start_operator,
) -> None:
    git_http_server.create_repo("flows.git")
    wrong_password = "wrong-" + git_http_server.password
    cluster.apply_credentials(genesys_client)
    cluster.apply(_git_secret("flows-git", git_http_server, wrong_password))
    operator = start_operator(cluster.namespace)
    cluster.apply(_release_exporting_to(git_http_server, emulator))

    obj = cluster.wait_release(
        "support-ivr", phase_is("ValidationFailed"), timeout=90, what="ValidationFailed before publishing"
    )

    stalled = condition(obj, "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", "ExportTargetInvalid"), stalled
    assert stalled["message"].startswith(
        "Validation failed, nothing was published: spec.export.git.secretRef: git ls-remote "
    ), stalled["message"]
    assert emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish") == []
    assert git_http_server.denied() >= 1
    visible = json.dumps(obj) + json.dumps(cluster.events("support-ivr")) + operator.logs()
    assert wrong_password not in visible
    assert git_http_server.password not in visible


def test_a_git_host_refusing_pushes_keeps_the_version_live_and_reports_exported_false(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    git_http_server: GitHttpServer,
    start_operator,
) -> None:
    """The target answered the check before publishing; the push after it meets an outage (503)."""
    git_http_server.create_repo("flows.git")

    def outage_after_the_check(user: str) -> None:
        # The preflight's dry-run push is the first to ask for receive-pack; every later ask meets the outage.
        git_http_server.unavailable.add("git-receive-pack")

    git_http_server.before_push = outage_after_the_check
    cluster.apply_credentials(genesys_client)
    cluster.apply(_git_secret("flows-git", git_http_server, git_http_server.password))
    operator = start_operator(cluster.namespace)
    cluster.apply(_release_exporting_to(git_http_server, emulator))

    def export_failed(obj: dict[str, Any]) -> bool:
        conditions = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
        return conditions.get("Exported", {}).get("status") == "False" and bool(
            obj.get("status", {}).get("publishedVersion") == "3.0"
        )

    obj = cluster.wait_release("support-ivr", export_failed, timeout=90, what="Exported=False, 3.0 live")

    publishes = emulator.control.request_log(method="POST", path="/api/v2/flows/actions/publish")
    assert len(publishes) == 1, "a Git failure must not roll back or republish"
    assert any(status == 503 for _, _, status, _ in git_http_server.requests), "the push met the outage"
    visible = json.dumps(obj) + json.dumps(cluster.events("support-ivr")) + operator.logs()
    assert git_http_server.password not in visible
