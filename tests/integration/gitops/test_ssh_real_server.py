"""GitArtifactStore over real SSH: OpenSSH's sshd on a loopback port, logging in with the deploy key.

Needs the `sshd` binary (Debian/Ubuntu: openssh-server); skipped with that hint when it is absent. The
stand-in in test_ssh_credentials.py covers the same paths on machines without sshd.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowrelease.gitops import (
    GitArtifactStore,
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitHostKeyRejected,
    check_remote,
)
from tests.integration.gitops.conftest import Repository, exported, git, provenance, target

SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd", "/sbin/sshd") if os.path.exists(p)), None)

pytestmark = pytest.mark.skipif(
    SSHD is None, reason="needs OpenSSH's sshd (apt-get install openssh-server) for a real SSH Git server"
)


def keygen(path: Path, kind: str = "ed25519") -> tuple[str, str]:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path.read_text(), Path(f"{path}.pub").read_text().strip()


@dataclass
class SshServer:
    port: int
    user: str
    host_public_key: str
    client_private_key: str
    other_private_key: str
    read_only_private_key: str
    """A key the server lets fetch but not push, as a read-only deploy key (GitHub's words on a push)."""
    repo: Repository

    @property
    def known_hosts(self) -> str:
        return f"[127.0.0.1]:{self.port} {' '.join(self.host_public_key.split()[:2])}\n"


READ_ONLY_GATE = """#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  git-upload-pack\\ *) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
esac
echo "ERROR: The key you are authenticating with has been marked as read only." >&2
exit 1
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    assert SSHD is not None
    folder = tmp_path / "sshd"
    folder.mkdir()
    folder.chmod(0o700)
    _, host_public = keygen(folder / "host_key")
    client_private, client_public = keygen(folder / "deploy")
    other_private, _ = keygen(folder / "intruder")
    read_only_private, read_only_public = keygen(folder / "read-only")
    gate = folder / "read-only-gate.sh"
    gate.write_text(READ_ONLY_GATE)
    gate.chmod(0o755)
    (folder / "authorized_keys").write_text(
        f'{client_public}\ncommand="{gate}",no-pty,no-port-forwarding {read_only_public}\n'
    )
    (folder / "authorized_keys").chmod(0o600)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nLogLevel ERROR\n"
    )
    log = (folder / "sshd.log").open("w")
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None:
            pytest.fail(f"sshd exited: {(folder / 'sshd.log').read_text()}")
        time.sleep(0.05)
    repo_path = tmp_path / "served" / "flows.git"
    git("init", "--quiet", "--bare", str(repo_path))
    user = getpass.getuser()
    try:
        yield SshServer(
            port=port,
            user=user,
            host_public_key=host_public,
            client_private_key=client_private,
            other_private_key=other_private,
            read_only_private_key=read_only_private,
            repo=Repository(path=repo_path, url=f"ssh://{user}@127.0.0.1:{port}{repo_path}"),
        )
    finally:
        server.terminate()
        server.wait(10)
        log.close()


async def test_exports_over_real_ssh_with_the_deploy_key_and_checked_host_key(
    sshd: SshServer, workdir: Path, scratch: Path
) -> None:
    store = GitArtifactStore(workdir, scratch_dir=scratch)
    credentials = {"ssh-privatekey": sshd.client_private_key, "known_hosts": sshd.known_hosts}

    first = await store.store(target(sshd.repo.url), credentials, exported("3.0"), provenance("3.0"))
    again = await store.store(target(sshd.repo.url), credentials, exported("3.0"), provenance("3.0"))
    second = await store.store(target(sshd.repo.url), credentials, exported("4.0"), provenance("4.0"))

    assert (first.changed, again.changed, second.changed) == (True, False, True)
    assert sshd.repo.commits() == [second.commit, first.commit]
    assert sshd.repo.trailers(second.commit)["Flow-Version"] == "4.0"
    assert list(scratch.iterdir()) == []
    assert f"url = {sshd.repo.url}\n" in (store.clone_path(sshd.repo.url) / ".git" / "config").read_text()


async def test_real_sshd_refuses_an_unknown_key(sshd: SshServer, workdir: Path, scratch: Path) -> None:
    store = GitArtifactStore(workdir, scratch_dir=scratch)

    with pytest.raises(GitAuthenticationFailed) as caught:
        await store.store(
            target(sshd.repo.url),
            {"ssh-privatekey": sshd.other_private_key, "known_hosts": sshd.known_hosts},
            exported(),
            provenance(),
        )

    assert sshd.other_private_key.splitlines()[1] not in str(caught.value)
    assert list(scratch.iterdir()) == []


async def test_real_ssh_rejects_a_host_key_that_is_not_the_servers(
    sshd: SshServer, workdir: Path, scratch: Path, tmp_path: Path
) -> None:
    _, impostor = keygen(tmp_path / "impostor")
    store = GitArtifactStore(workdir, scratch_dir=scratch)

    with pytest.raises(GitHostKeyRejected):
        await store.store(
            target(sshd.repo.url),
            {
                "ssh-privatekey": sshd.client_private_key,
                "known_hosts": f"[127.0.0.1]:{sshd.port} {' '.join(impostor.split()[:2])}\n",
            },
            exported(),
            provenance(),
        )

    assert sshd.repo.commits() == []
    assert list(scratch.iterdir()) == []


async def test_check_remote_over_real_ssh_passes_with_the_deploy_key(sshd: SshServer, scratch: Path) -> None:
    credentials = {"ssh-privatekey": sshd.client_private_key, "known_hosts": sshd.known_hosts}
    checked = await check_remote(target(sshd.repo.url), credentials, scratch_dir=scratch)
    assert (checked.url, checked.tip) == (sshd.repo.url, None)
    assert list(scratch.iterdir()) == []


async def test_check_remote_over_real_ssh_refuses_an_unknown_key_permanently(
    sshd: SshServer, scratch: Path
) -> None:
    credentials = {"ssh-privatekey": sshd.other_private_key, "known_hosts": sshd.known_hosts}
    with pytest.raises(GitAuthenticationFailed) as caught:
        await check_remote(target(sshd.repo.url), credentials, scratch_dir=scratch)
    assert caught.value.permanent
    assert sshd.other_private_key.splitlines()[1] not in str(caught.value)


async def test_check_remote_over_real_ssh_refuses_a_wrong_host_key_permanently(
    sshd: SshServer, scratch: Path, tmp_path: Path
) -> None:
    _, impostor = keygen(tmp_path / "impostor")
    known_hosts = f"[127.0.0.1]:{sshd.port} {' '.join(impostor.split()[:2])}\n"
    credentials = {"ssh-privatekey": sshd.client_private_key, "known_hosts": known_hosts}
    with pytest.raises(GitHostKeyRejected) as caught:
        await check_remote(target(sshd.repo.url), credentials, scratch_dir=scratch)
    assert caught.value.permanent


async def test_check_remote_over_real_ssh_refuses_a_read_only_deploy_key_before_anything_is_published(
    sshd: SshServer, scratch: Path
) -> None:
    credentials = {"ssh-privatekey": sshd.read_only_private_key, "known_hosts": sshd.known_hosts}
    with pytest.raises(GitAuthorizationFailed) as caught:
        await check_remote(target(sshd.repo.url), credentials, scratch_dir=scratch)
    assert caught.value.permanent, "retrying cannot give a key write access"
    assert str(caught.value).startswith(f"git push --dry-run {sshd.repo.url} failed")
    assert sshd.read_only_private_key.splitlines()[1] not in str(caught.value)
    assert sshd.repo.refs() == {}
