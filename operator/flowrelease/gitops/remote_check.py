"""Before anything is published: can the export target be written with these credentials, as far as Git can
tell without writing? `check_remote` checks the URL, branch, path and Secret as the store would, then runs
`git ls-remote` and a `git push --dry-run` against the remote (in a worker thread, with the store's hermetic
environment and the credentials for those commands) and raises the classified ArtifactStoreError: a wrong
token, a read-only token, an unknown host key, an untrusted certificate or a missing repository are
`permanent`; a network failure or timeout is not. The dry run proves the remote lets these credentials push
as far as Git can tell without writing; branch protection and server hooks are judged only by a real push.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flowrelease.api.models import GitExport
from flowrelease.gitops.credentials import GitCredentials, git_environment, install_askpass, parse_credentials
from flowrelease.gitops.errors import GitCommandFailed, GitRemoteUnreachable
from flowrelease.gitops.failures import git_failure
from flowrelease.gitops.layout import export_folder
from flowrelease.gitops.remote import Remote, check_branch, parse_remote

DEFAULT_CHECK_TIMEOUT = 60.0


@dataclass(frozen=True)
class RemoteCheck:
    url: str
    """The clean URL that was checked."""
    branch: str
    tip: str | None
    """The branch's commit on the remote, or None when the branch does not exist yet (it will be created)."""


async def check_remote(
    target: GitExport,
    credentials: Mapping[str, str],
    *,
    workdir: Path | None = None,
    scratch_dir: Path | None = None,
    ssh_program: str = "ssh",
    network_timeout: float = DEFAULT_CHECK_TIMEOUT,
) -> RemoteCheck:
    """Raise the ArtifactStoreError the export would meet, before there is anything to export."""
    remote = parse_remote(target.url)
    branch = check_branch(target.branch)
    export_folder(target.path)
    parsed = parse_credentials(credentials, remote)
    return await asyncio.to_thread(
        _ls_remote, remote, branch, parsed, workdir, scratch_dir, ssh_program, network_timeout
    )


def _ls_remote(
    remote: Remote,
    branch: str,
    credentials: GitCredentials,
    workdir: Path | None,
    scratch_dir: Path | None,
    ssh_program: str,
    timeout: float,
) -> RemoteCheck:
    if shutil.which("git") is None:
        raise GitCommandFailed(
            f"cannot run git to check {remote.url}: git is not installed or not on PATH; install git 2.32 "
            "or newer (the flowrelease image has it)"
        )
    # A folder of its own as the working directory, with discovery stopped there: the check must not read
    # the config of a repository it happens to run inside.
    cwd = Path(tempfile.mkdtemp(prefix="flowrelease-ls-remote-"))
    try:
        askpass = install_askpass(workdir if workdir is not None else cwd)
        with git_environment(
            credentials, askpass=askpass, scratch_dir=scratch_dir, ssh_program=ssh_program
        ) as env:
            env = {**os.environ, **env, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
            ref = f"refs/heads/{branch}"
            listed = _git(
                "ls-remote", ["ls-remote", "--heads", "--", remote.url, ref], cwd, env, timeout, remote
            )
            if listed.returncode != 0:
                raise git_failure("ls-remote", remote, listed.stderr, credentials.secrets())
            pushed = _dry_run_push(remote, cwd, env, timeout)
            if pushed.returncode != 0:
                raise git_failure("push --dry-run", remote, pushed.stderr, credentials.secrets())
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    for line in listed.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == ref:
            return RemoteCheck(remote.url, branch, sha.strip())
    return RemoteCheck(remote.url, branch, None)


def _dry_run_push(
    remote: Remote, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`git push --dry-run` of an empty commit to a branch name nobody uses: the remote checks that these
    credentials may push (smart HTTP asks for the receive-pack service, SSH starts git-receive-pack) and
    nothing is sent or written. A read-only token fails here, before anything is published."""
    probe = cwd / "write-check.git"
    made = _git("init", ["init", "--quiet", "--bare", str(probe)], cwd, env, timeout, remote)
    if made.returncode != 0:
        raise GitCommandFailed(f"git init for the write check of {remote.url} failed: {made.stderr.strip()}")
    local = {**env, **_PROBE_AUTHOR}
    tree = _git(
        "hash-object",
        ["--git-dir", str(probe), "hash-object", "-t", "tree", "-w", "--stdin"],
        cwd,
        local,
        timeout,
        remote,
    )
    commit = _git(
        "commit-tree",
        ["--git-dir", str(probe), "commit-tree", tree.stdout.strip(), "-m", "flowrelease write check"],
        cwd,
        local,
        timeout,
        remote,
    )
    if tree.returncode != 0 or commit.returncode != 0:
        said = (tree.stderr + commit.stderr).strip()
        raise GitCommandFailed(f"git could not make the write check's commit for {remote.url}: {said}")
    target = f"{commit.stdout.strip()}:refs/heads/flowrelease-write-check-{secrets.token_hex(6)}"
    return _git(
        "push --dry-run",
        ["--git-dir", str(probe), "push", "--dry-run", "--porcelain", "--", remote.url, target],
        cwd,
        env,
        timeout,
        remote,
    )


_PROBE_AUTHOR = {
    "GIT_AUTHOR_NAME": "flowrelease",
    "GIT_AUTHOR_EMAIL": "flowrelease@localhost",
    "GIT_COMMITTER_NAME": "flowrelease",
    "GIT_COMMITTER_EMAIL": "flowrelease@localhost",
}


def _git(
    verb: str, args: list[str], cwd: Path, env: dict[str, str], timeout: float, remote: Remote
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise GitRemoteUnreachable(
            f"git {verb} {remote.url} did not answer within {timeout:g}s; check spec.export.git.url and the "
            "network (this is retried)"
        ) from error
