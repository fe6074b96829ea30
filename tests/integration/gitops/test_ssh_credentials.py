"""SSH credentials: key and known_hosts handling, safe by default, and no key file left behind.

No sshd is available on the test machine, so `ssh_program` points at a small stand-in for ssh + sshd on
loopback: it checks the offered key against an authorized public key (as sshd would), checks the host key
against the known_hosts file ssh was told to use (as ssh would with StrictHostKeyChecking=yes), records how
it was called, then runs the real git-upload-pack / git-receive-pack on a bare repository. Everything git
does is real; only the encrypted channel is missing. Real OpenSSH is used for the unreachable-host path.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flowrelease.gitops import (
    GitArtifactStore,
    GitAuthenticationFailed,
    GitHostKeyRejected,
    GitRemoteUnreachable,
    InvalidGitCredentials,
)
from tests.integration.gitops.conftest import Repository, exported, git, provenance, target

FAKE_SSH = r'''#!{python}
"""Stand-in for `ssh host command` + sshd: authorize the key, verify the host key, run the git command."""
import json, os, shlex, stat, subprocess, sys

ROOT = {root!r}
AUTHORIZED = {authorized!r}
HOST_KEY = {host_key!r}
RECORD = {record!r}

args = sys.argv[1:]
options, identity, positional = {{}}, None, []
index = 0
while index < len(args):
    arg = args[index]
    if arg in ("-o", "-i", "-F", "-p"):
        value = args[index + 1]
        if arg == "-o":
            key, _, val = value.partition("=")
            options[key] = val
        elif arg == "-i":
            identity = value
        index += 2
        continue
    positional.append(arg)
    index += 1
host, command = positional[0], positional[-1]
mode = oct(stat.S_IMODE(os.stat(identity).st_mode)) if identity and os.path.exists(identity) else None
known_hosts_file = options.get("UserKnownHostsFile", "")
known_hosts = ""
if known_hosts_file and known_hosts_file != "/dev/null" and os.path.exists(known_hosts_file):
    known_hosts = open(known_hosts_file).read()
with open(RECORD, "a") as log:
    log.write(json.dumps({{"options": options, "identity": identity, "mode": mode, "host": host,
                          "known_hosts": known_hosts, "command": command}}) + "\n")
hostname = host.rpartition("@")[2]
if options.get("StrictHostKeyChecking") != "no":
    if not any(line.split()[:1] == [hostname] and HOST_KEY in line for line in known_hosts.splitlines()):
        sys.stderr.write("No ED25519 host key is known for %s and you have requested strict checking.\n"
                         "Host key verification failed.\n" % hostname)
        sys.exit(255)
derived = subprocess.run(["ssh-keygen", "-y", "-f", identity], capture_output=True, text=True)
offered = derived.stdout.split()[:2]
if offered != AUTHORIZED.split()[:2]:
    sys.stderr.write("%s: Permission denied (publickey).\n" % host)
    sys.exit(255)
program, path = shlex.split(command)
sys.exit(subprocess.run([program, os.path.join(ROOT, path.lstrip("/"))]).returncode)
'''


def keypair(folder: Path, name: str) -> tuple[str, str]:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path.read_text(), (folder / f"{name}.pub").read_text().strip()


class SshWorld:
    def __init__(self, tmp_path: Path) -> None:
        keys = tmp_path / "keys"
        keys.mkdir()
        self.private_key, self.public_key = keypair(keys, "deploy")
        self.other_private_key, _ = keypair(keys, "intruder")
        _, host_public = keypair(keys, "host")
        _, other_host_public = keypair(keys, "other-host")
        self.host_key = " ".join(host_public.split()[:2])
        self.known_hosts = f"127.0.0.1 {self.host_key}\n"
        self.wrong_known_hosts = f"127.0.0.1 {' '.join(other_host_public.split()[:2])}\n"
        self.root = tmp_path / "ssh-root"
        self.repo_path = self.root / "flows.git"
        git("init", "--quiet", "--bare", str(self.repo_path))
        self.record = tmp_path / "ssh-calls.jsonl"
        self.program = tmp_path / "fake-ssh"
        self.program.write_text(
            FAKE_SSH.format(
                python=sys.executable,
                root=str(self.root),
                authorized=self.public_key,
                host_key=self.host_key,
                record=str(self.record),
            )
        )
        self.program.chmod(0o755)
        self.repo = Repository(path=self.repo_path, url="ssh://git@127.0.0.1/flows.git")

    def calls(self) -> list[dict[str, object]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def store(self, workdir: Path, scratch: Path) -> GitArtifactStore:
        return GitArtifactStore(workdir, scratch_dir=scratch, ssh_program=str(self.program))


@pytest.fixture
def ssh(tmp_path: Path) -> SshWorld:
    return SshWorld(tmp_path)


async def test_an_ssh_key_with_known_hosts_exports_checking_the_host_key_and_removes_the_key_file(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    store = ssh.store(workdir, scratch)
    credentials = {"ssh-privatekey": ssh.private_key, "known_hosts": ssh.known_hosts}

    first = await store.store(target(ssh.repo.url), credentials, exported("3.0"), provenance("3.0"))
    again = await store.store(target(ssh.repo.url), credentials, exported("3.0"), provenance("3.0"))

    assert (first.changed, again.changed) == (True, False)
    assert ssh.repo.commits() == [first.commit]
    assert ssh.repo.trailers(first.commit)["Flow-Version"] == "3.0"
    calls = ssh.calls()
    assert {call["command"].split()[0] for call in calls} == {"git-upload-pack", "git-receive-pack"}
    for call in calls:
        assert call["mode"] == "0o600"
        assert call["known_hosts"] == ssh.known_hosts
        assert call["options"]["StrictHostKeyChecking"] == "yes"
        assert call["options"]["BatchMode"] == "yes"
        assert call["options"]["IdentitiesOnly"] == "yes"
        assert str(call["identity"]).startswith(str(scratch))
    assert list(scratch.iterdir()) == []
    assert ssh.private_key.encode() not in b"".join(
        path.read_bytes() for path in workdir.rglob("*") if path.is_file()
    )


async def test_an_scp_style_url_is_treated_as_ssh(ssh: SshWorld, workdir: Path, scratch: Path) -> None:
    store = ssh.store(workdir, scratch)
    url = "git@127.0.0.1:flows.git"

    stored = await store.store(
        target(url),
        {"ssh-privatekey": ssh.private_key, "known_hosts": ssh.known_hosts},
        exported(),
        provenance(),
    )

    assert ssh.repo.commits() == [stored.commit]
    assert ssh.calls()[0]["host"] == "git@127.0.0.1"


async def test_without_known_hosts_ssh_is_refused_before_connecting(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    store = ssh.store(workdir, scratch)

    with pytest.raises(InvalidGitCredentials) as caught:
        await store.store(target(ssh.repo.url), {"ssh-privatekey": ssh.private_key}, exported(), provenance())

    message = str(caught.value)
    assert "known_hosts" in message
    assert "insecure-ignore-host-key" in message
    assert "PRIVATE KEY" not in message
    assert ssh.calls() == []
    assert list(scratch.iterdir()) == []


async def test_the_insecure_opt_in_skips_host_key_checking_explicitly(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    store = ssh.store(workdir, scratch)

    stored = await store.store(
        target(ssh.repo.url),
        {"ssh-privatekey": ssh.private_key, "insecure-ignore-host-key": "true"},
        exported(),
        provenance(),
    )

    assert ssh.repo.commits() == [stored.commit]
    assert {call["options"]["StrictHostKeyChecking"] for call in ssh.calls()} == {"no"}
    assert list(scratch.iterdir()) == []


async def test_a_host_key_not_in_known_hosts_is_rejected(ssh: SshWorld, workdir: Path, scratch: Path) -> None:
    store = ssh.store(workdir, scratch)

    with pytest.raises(GitHostKeyRejected, match="known_hosts") as caught:
        await store.store(
            target(ssh.repo.url),
            {"ssh-privatekey": ssh.private_key, "known_hosts": ssh.wrong_known_hosts},
            exported(),
            provenance(),
        )

    assert ssh.repo.url in str(caught.value)
    assert ssh.repo.commits() == []
    assert list(scratch.iterdir()) == []


async def test_a_key_the_server_does_not_accept_is_an_authentication_error_without_the_key(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    store = ssh.store(workdir, scratch)

    with pytest.raises(GitAuthenticationFailed) as caught:
        await store.store(
            target(ssh.repo.url),
            {"ssh-privatekey": ssh.other_private_key, "known_hosts": ssh.known_hosts},
            exported(),
            provenance(),
        )

    body_line = ssh.other_private_key.splitlines()[1]
    assert body_line not in str(caught.value)
    assert "spec.export.git.secretRef" in str(caught.value)
    assert list(scratch.iterdir()) == []


async def test_something_that_is_not_a_private_key_is_refused(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    store = ssh.store(workdir, scratch)

    with pytest.raises(InvalidGitCredentials, match="not a private key"):
        await store.store(
            target(ssh.repo.url),
            {"ssh-privatekey": ssh.public_key, "known_hosts": ssh.known_hosts},
            exported(),
            provenance(),
        )


async def test_real_openssh_to_a_closed_port_is_unreachable_and_leaves_no_key_file(
    ssh: SshWorld, workdir: Path, scratch: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"ssh://git@127.0.0.1:{port}/flows.git"
    store = GitArtifactStore(workdir, scratch_dir=scratch)

    with pytest.raises(GitRemoteUnreachable) as caught:
        await store.store(
            target(url),
            {"ssh-privatekey": ssh.private_key, "known_hosts": f"[127.0.0.1]:{port} {ssh.host_key}\n"},
            exported(),
            provenance(),
        )

    assert url in str(caught.value)
    assert list(scratch.iterdir()) == []
