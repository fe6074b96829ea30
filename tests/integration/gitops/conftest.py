"""Real repositories for the Git artifact store: bare repos behind file:// and the loopback HTTP server."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flowrelease.api.models import GitExport
from flowrelease.engine.ports import ArtifactProvenance, ExportedFlow
from flowrelease.gitops import GitArtifactStore
from tests.support.git_http import GitHttpServer

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "Another Writer",
    "GIT_AUTHOR_EMAIL": "another@example.com",
    "GIT_COMMITTER_NAME": "Another Writer",
    "GIT_COMMITTER_EMAIL": "another@example.com",
}

SUPPORT_IVR_YAML = """inboundCall:
  name: Support IVR
  division: Home
  startUpRef: "/inboundCall/menus/menu[Main Menu_10]"
  defaultLanguage: en-us
  menus:
    - menu:
        name: Main Menu
        refId: Main Menu_10
"""


def git(
    *args: str,
    cwd: Path | None = None,
    extra_config: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    options: list[str] = []
    for key, value in (extra_config or {}).items():
        options += ["-c", f"{key}={value}"]
    result = subprocess.run(
        ["git", *options, *args],
        cwd=cwd,
        env={**GIT_ENV, **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class Repository:
    """A bare repository under test, read with plain git commands (not through the code under test)."""

    path: Path
    url: str
    config: dict[str, str] = field(default_factory=dict)
    """`-c` settings another writer needs to reach it (e.g. an Authorization header)."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment another writer needs (e.g. GIT_SSL_CAINFO)."""

    def commits(self, branch: str = "main") -> list[str]:
        if not git("--git-dir", str(self.path), "branch", "--list", branch).strip():
            return []
        return git("--git-dir", str(self.path), "rev-list", branch).split()

    def refs(self) -> dict[str, str]:
        """Every ref of the repository, name to commit (a check that wrote nothing leaves this as it was)."""
        listed = git("--git-dir", str(self.path), "for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split(" ", 1) for line in listed.splitlines())

    def message(self, commit: str) -> str:
        return git("--git-dir", str(self.path), "log", "-1", "--format=%B", commit)

    def trailers(self, commit: str) -> dict[str, str]:
        parsed = subprocess.run(
            ["git", "interpret-trailers", "--parse"],
            input=self.message(commit),
            env=GIT_ENV,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(": ", 1) for line in parsed.splitlines())

    def show(self, ref: str, path: str) -> bytes:
        return subprocess.run(
            ["git", "--git-dir", str(self.path), "show", f"{ref}:{path}"],
            env=GIT_ENV,
            capture_output=True,
            check=True,
        ).stdout

    def files(self, ref: str = "main") -> list[str]:
        return git("--git-dir", str(self.path), "ls-tree", "-r", "--name-only", ref).split()

    def push_as_another_writer(
        self, workspace: Path, files: Mapping[str, str], message: str, branch: str = "main"
    ) -> str:
        """Clone, change `files`, commit and push with plain git, the way a person or CI job would."""
        clone = workspace
        if not (clone / ".git").exists():
            git("clone", "--quiet", self.url, str(clone), extra_config=self.config, extra_env=self.env)
        git("fetch", "--quiet", "origin", cwd=clone, extra_config=self.config, extra_env=self.env)
        remote_branch = git(
            "ls-remote", "--heads", "origin", branch, cwd=clone, extra_config=self.config, extra_env=self.env
        )
        if remote_branch.strip():
            git("checkout", "--quiet", "-B", branch, f"origin/{branch}", cwd=clone)
        else:
            git("checkout", "--quiet", "--orphan", branch, cwd=clone)
        for name, text in files.items():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            git("add", name, cwd=clone)
        git("commit", "--quiet", "-m", message, cwd=clone)
        git(
            "push",
            "--quiet",
            "origin",
            f"HEAD:refs/heads/{branch}",
            cwd=clone,
            extra_config=self.config,
            extra_env=self.env,
        )
        return git("rev-parse", "HEAD", cwd=clone).strip()


def exported(
    version: str = "3.0", *, yaml: str = SUPPORT_IVR_YAML, flow_id: str = "flow-support-ivr"
) -> ExportedFlow:
    return ExportedFlow(
        flow_id=flow_id,
        flow_name="Support IVR",
        flow_type="INBOUNDCALL",
        version=version,
        yaml=yaml,
        configuration={"name": "Support IVR", "version": version, "flowSequenceItemList": [{"id": "m1"}]},
    )


def provenance(
    version: str = "3.0",
    *,
    release: str = "contact-center/support-ivr",
    label: str = "2.4.1",
    operation_id: str = "op-3",
    exported_at: str = "2026-11-28T00:00:00Z",
    flow_id: str = "flow-support-ivr",
) -> ArtifactProvenance:
    return ArtifactProvenance(
        release=release,
        label=label,
        flow_id=flow_id,
        flow_name="Support IVR",
        flow_type="INBOUNDCALL",
        version=version,
        dependency_hash="sha256:" + "ab" * 32,
        operation_id=operation_id,
        exported_at=exported_at,
    )


def target(url: str, path: str = "flows/support-ivr", branch: str = "main") -> GitExport:
    """Built without the model's validation: the store must refuse a bad target on its own too (an object
    written before the CRD had a rule, or a caller that skips the model)."""
    return GitExport.model_construct(url=url, branch=branch, path=path, secret_ref=None)


@pytest.fixture
def bare_repo(tmp_path: Path) -> Repository:
    path = tmp_path / "remote" / "flows.git"
    git("init", "--quiet", "--bare", str(path))
    return Repository(path=path, url=path.as_uri())


@pytest.fixture
def http_repo(git_http_server: GitHttpServer) -> Repository:
    path = git_http_server.create_repo("flows.git")
    # Other writers authenticate with the token, so a `before_push` hook can tell them from the store.
    header = base64.b64encode(f"x-access-token:{git_http_server.token}".encode()).decode()
    return Repository(
        path=path,
        url=git_http_server.url("flows.git"),
        config={"http.extraHeader": f"Authorization: Basic {header}"},
        env={"GIT_SSL_CAINFO": str(git_http_server.ca_file)},
    )


@pytest.fixture
def http_credentials(git_http_server: GitHttpServer) -> dict[str, str]:
    return {
        "username": git_http_server.username,
        "password": git_http_server.password,
        "ca.crt": git_http_server.ca_certificate,
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path


@pytest.fixture
def store(workdir: Path, scratch: Path) -> GitArtifactStore:
    return GitArtifactStore(workdir, scratch_dir=scratch)
