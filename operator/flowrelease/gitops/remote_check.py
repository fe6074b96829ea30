"""Before anything is published: can the export target be written with these credentials, as far as Git can
tell without writing? `check_remote` checks the URL, branch, path and Secret as the store would, then runs
`git ls-remote` against the remote (in a worker thread, with the store's hermetic environment and the
credentials for that one command) and raises the classified ArtifactStoreError: a wrong token, an unknown
host key, an untrusted certificate or a missing repository are `permanent`; a network failure or timeout is
not. `ls-remote` proves the remote answers and the credentials may read it; a read-only token passes it and
is refused at push time (GitAuthorizationFailed, permanent).
"""

from __future__ import annotations

import asyncio
import os
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
    # A folder of its own as the working directory, with discovery stopped there: ls-remote needs no
    # repository, and must not read the config of one it happens to run inside.
    cwd = Path(tempfile.mkdtemp(prefix="flowrelease-ls-remote-"))
    try:
        askpass = install_askpass(workdir if workdir is not None else cwd)
        with git_environment(
            credentials, askpass=askpass, scratch_dir=scratch_dir, ssh_program=ssh_program
        ) as env:
            env = {**os.environ, **env, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
            ref = f"refs/heads/{branch}"
            try:
                done = subprocess.run(
                    ["git", "ls-remote", "--heads", "--", remote.url, ref],
                    cwd=cwd,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as error:
                raise GitRemoteUnreachable(
                    f"git ls-remote {remote.url} did not answer within {timeout:g}s; check "
                    "spec.export.git.url and the network (this is retried)"
                ) from error
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    if done.returncode != 0:
        raise git_failure("ls-remote", remote, done.stderr, credentials.secrets())
    for line in done.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == ref:
            return RemoteCheck(remote.url, branch, sha.strip())
    return RemoteCheck(remote.url, branch, None)
