"""End to end: the real `flowrelease sync` CLI against the loopback emulator, exporting into real repos.

Exactly one commit per published version, carrying the provenance trailers; a re-run commits nothing; git
credentials from a Secret manifest reach the authenticated HTTPS server and appear in no output or file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.gitops.conftest import Repository
from tests.support.emulator import EmulatorHandle
from tests.support.git_http import GitHttpServer

CLI = [sys.executable, "-c", "from flowrelease.cli import main; main()"]

GENESYS_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {{name: genesys, namespace: cc}}
stringData: {{clientId: {client_id}, clientSecret: {client_secret}}}
"""

RELEASE = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: {name}, namespace: cc}}
spec:
  genesys:
    environment: {environment}
    credentialsSecretRef: {{name: genesys}}
  flow: {{type: {flow_type}, name: {flow_name}}}
  version: "{version}"
  release: {{label: "{label}"}}
  export:
    git: {{url: "{url}", branch: main, path: {path}{secret_ref}}}
"""


class Workspace:
    def __init__(self, root: Path, emulator: EmulatorHandle) -> None:
        self.root = root
        self.manifests = root / "manifests"
        self.manifests.mkdir(parents=True)
        self.emulator = emulator
        (self.manifests / "genesys.yaml").write_text(
            GENESYS_SECRET.format(client_id=emulator.client_id, client_secret=emulator.client_secret)
        )

    def git_secret(self, name: str, server: GitHttpServer, password: str) -> None:
        ca = "".join(f"    {line}\n" for line in server.ca_certificate.splitlines())
        (self.manifests / f"{name}.yaml").write_text(
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: cc}}\nstringData:\n"
            f"  username: {server.username}\n  password: {password}\n  ca.crt: |\n{ca}"
        )

    def release(
        self,
        name: str,
        url: str,
        *,
        flow_name: str = "Support IVR",
        flow_type: str = "inboundcall",
        version: str = "3.0",
        label: str = "2.4.1",
        secret: str = "",
    ) -> None:
        (self.manifests / f"{name}.yaml").write_text(
            RELEASE.format(
                name=name,
                environment=self.emulator.base_url,
                flow_type=flow_type,
                flow_name=flow_name,
                version=version,
                label=label,
                url=url,
                path=f"flows/{name}",
                secret_ref=f", secretRef: {{name: {secret}}}" if secret else "",
            )
        )

    def sync(
        self, *, expect_exit: int = 0, timeout: str = "120"
    ) -> tuple[dict[str, dict[str, object]], subprocess.CompletedProcess[str]]:
        done = subprocess.run(
            [
                *CLI,
                "sync",
                str(self.manifests),
                "--output",
                "json",
                "--state",
                str(self.root / "state.json"),
                "--git-workdir",
                str(self.root / "git"),
                "--timeout",
                timeout,
            ],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == expect_exit, done.stderr + done.stdout
        summary = json.loads(done.stdout)
        releases = {str(item["release"]): item for item in summary.get("releases", [])}
        return releases, done


def test_sync_leaves_exactly_one_commit_per_published_version_with_trailers(
    tmp_path: Path, emulator: EmulatorHandle, bare_repo: Repository
) -> None:
    workspace = Workspace(tmp_path / "work", emulator)
    workspace.release("support-ivr", bare_repo.url, version="3.0", label="2.4.1")
    workspace.release(
        "in-queue",
        bare_repo.url,
        flow_name="Support In-Queue",
        flow_type="inqueuecall",
        version="2.0",
        label="q1",
    )

    releases, _ = workspace.sync()
    assert {key: item["phase"] for key, item in releases.items()} == {
        "cc/support-ivr": "Ready",
        "cc/in-queue": "Ready",
    }
    commits = bare_repo.commits()
    assert len(commits) == 2
    by_release = {bare_repo.trailers(commit)["FlowRelease"]: commit for commit in commits}
    assert set(by_release) == {"cc/support-ivr", "cc/in-queue"}
    ivr = bare_repo.trailers(by_release["cc/support-ivr"])
    assert ivr["Flow-Id"] == emulator.flow_id("Support IVR")
    assert ivr["Flow-Version"] == "3.0"
    assert ivr["Release-Label"] == "2.4.1"
    assert ivr["Dependency-Hash"].startswith("sha256:")
    assert ivr["Operation-Id"]
    assert bare_repo.message(by_release["cc/support-ivr"]).startswith(
        "Publish Support IVR (INBOUNDCALL) version 3.0 — release 2.4.1\n"
    )
    assert bare_repo.trailers(by_release["cc/in-queue"])["Flow-Version"] == "2.0"
    metadata = json.loads(bare_repo.show("main", "flows/support-ivr/release.json"))
    assert metadata["flow"]["version"] == "3.0"
    assert metadata["operationId"] == ivr["Operation-Id"]
    assert b"inboundCall" in bare_repo.show("main", "flows/support-ivr/flow.yaml")

    workspace.sync()
    assert bare_repo.commits() == commits

    workspace.release("support-ivr", bare_repo.url, version="1.0", label="2.4.2-revert")
    releases, _ = workspace.sync()
    assert releases["cc/support-ivr"]["publishedVersion"] == "1.0"
    newest, *rest = bare_repo.commits()
    assert rest == commits
    assert bare_repo.trailers(newest)["Flow-Version"] == "1.0"
    assert bare_repo.trailers(newest)["Release-Label"] == "2.4.2-revert"
    assert json.loads(bare_repo.show("main", "flows/support-ivr/release.json"))["flow"]["version"] == "1.0"


def test_sync_pushes_with_secret_credentials_over_http_and_shows_them_nowhere(
    tmp_path: Path, emulator: EmulatorHandle, git_http_server: GitHttpServer, http_repo: Repository
) -> None:
    workspace = Workspace(tmp_path / "work", emulator)
    workspace.git_secret("flows-git", git_http_server, git_http_server.password)
    workspace.release("support-ivr", http_repo.url, secret="flows-git")

    releases, done = workspace.sync()

    assert releases["cc/support-ivr"]["phase"] == "Ready"
    (commit,) = http_repo.commits()
    assert http_repo.trailers(commit)["FlowRelease"] == "cc/support-ivr"
    password = git_http_server.password
    assert password not in done.stdout + done.stderr
    for path in (workspace.root / "state.json", workspace.root / "audit.jsonl"):
        if path.exists():
            assert password not in path.read_text()
    assert all(
        password.encode() not in path.read_bytes()
        for path in (workspace.root / "git").rglob("*")
        if path.is_file()
    )


def test_a_rejected_git_password_blocks_the_run_before_anything_is_published(
    tmp_path: Path, emulator: EmulatorHandle, git_http_server: GitHttpServer, http_repo: Repository
) -> None:
    workspace = Workspace(tmp_path / "work", emulator)
    wrong = "wrong-" + git_http_server.password
    workspace.git_secret("flows-git", git_http_server, wrong)
    workspace.release("support-ivr", http_repo.url, secret="flows-git")

    _, done = workspace.sync(expect_exit=2, timeout="20")

    problems = json.loads(done.stdout)["problems"]
    assert "spec.export.git.secretRef: git ls-remote " + http_repo.url in problems[0]
    assert "refused the credentials" in problems[0] and problems[0].endswith("nothing was published")
    assert problems[-1].startswith("blocked before any release started")
    assert emulator.control.request_count(method="POST", path="/api/v2/flows/actions/publish") == 0
    assert emulator.control.request_count(method="POST", path="/api/v2/flows/jobs") == 0
    assert http_repo.commits() == []
    assert not (workspace.root / "state.json").exists() and not (workspace.root / "audit.jsonl").exists()
    assert wrong not in done.stdout + done.stderr

    workspace.git_secret("flows-git", git_http_server, git_http_server.password)
    releases, _ = workspace.sync()
    assert releases["cc/support-ivr"]["phase"] == "Ready"
    (commit,) = http_repo.commits()
    assert http_repo.trailers(commit)["Flow-Version"] == "3.0"
    assert emulator.control.request_count(method="POST", path="/api/v2/flows/actions/publish") == 1


def test_a_permanent_git_failure_after_publishing_stalls_keeps_the_version_live_and_hides_the_secret(
    tmp_path: Path, emulator: EmulatorHandle, git_http_server: GitHttpServer, http_repo: Repository
) -> None:
    """The token passes the preflight, then is revoked before the push (as a rotation mid-run would): a
    rejected credential is permanent, so the release stalls at once instead of retrying until --timeout."""
    workspace = Workspace(tmp_path / "work", emulator)
    good = git_http_server.password
    workspace.git_secret("flows-git", git_http_server, good)
    workspace.release("support-ivr", http_repo.url, secret="flows-git")

    def revoke(user: str) -> None:
        # The preflight's dry-run push asks for receive-pack too; revoke only once something is published.
        if emulator.control.request_count(method="POST", path="/api/v2/flows/actions/publish"):
            git_http_server.password = "rotated-" + good

    git_http_server.before_push = revoke
    releases, done = workspace.sync(expect_exit=1, timeout="60")

    result = releases["cc/support-ivr"]
    assert (result["result"], result["publishedVersion"], result["phase"]) == ("stalled", "3.0", "Failed")
    assert "refused the credentials" in str(result["message"])
    assert http_repo.url in done.stdout + done.stderr
    assert http_repo.commits() == []
    state = json.loads((workspace.root / "state.json").read_text())["releases"]["cc/support-ivr"]["status"]
    stalled = next(c for c in state["conditions"] if c["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", "ExportFailed")
    assert state["exportFailure"]["permanent"] is True
    for text in (done.stdout, done.stderr, (workspace.root / "state.json").read_text()):
        assert good not in text
    assert emulator.control.request_count(method="POST", path="/api/v2/flows/actions/publish") == 1


def test_plan_asks_each_export_remote_once(
    tmp_path: Path, emulator: EmulatorHandle, git_http_server: GitHttpServer, http_repo: Repository
) -> None:
    workspace = Workspace(tmp_path / "work", emulator)
    workspace.git_secret("flows-git", git_http_server, git_http_server.password)
    workspace.release("support-ivr", http_repo.url, secret="flows-git", version="3.0")
    workspace.sync()
    workspace.release("support-ivr", http_repo.url, secret="flows-git", version="1.0")
    git_http_server.requests.clear()
    git_http_server.advertised.clear()

    done = subprocess.run(
        [*CLI, "plan", str(workspace.manifests), "--state", str(workspace.root / "state.json")],
        cwd=workspace.root,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 3, done.stderr + done.stdout
    assert done.stdout.startswith("cc/support-ivr (Support IVR): publish 1.0"), done.stdout
    conversations = [service for service, status, _ in git_http_server.advertised if status == 200]
    assert conversations == ["git-upload-pack", "git-receive-pack"], git_http_server.advertised
    # the preflight's ls-remote and its dry-run push, once each; not one more
