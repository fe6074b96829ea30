"""Git credentials from a Secret's data, handed to one git command at a time, never written to .git/config.

Secret keys (Kubernetes conventions, `kubernetes.io/basic-auth` and `kubernetes.io/ssh-auth`):

    HTTPS   username + password            basic auth
            token [+ username]             a personal access / app token; username defaults to x-access-token
            ca.crt                         optional: the CA (PEM) that signed the server's certificate
    SSH     ssh-privatekey [+ known_hosts] unencrypted private key (OpenSSH or PEM)
            insecure-ignore-host-key: "true"   skip host key checking (only when known_hosts is absent)

HTTPS credentials reach git through GIT_ASKPASS (a fixed script that echoes two environment variables set
for that one command). SSH uses GIT_SSH_COMMAND with the key and known_hosts, and HTTPS a `ca.crt` through
GIT_SSL_CAINFO, written to a private temporary folder (0700, files 0600) removed when the commands are done.
Git runs without system or global config (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null) and with
credential helpers cleared, so nothing is cached or stored and no terminal prompt can hang a reconcile.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flowrelease.gitops.errors import InvalidGitCredentials
from flowrelease.gitops.remote import Remote

USERNAME_KEY = "username"
PASSWORD_KEY = "password"  # noqa: S105 - a key name
TOKEN_KEY = "token"  # noqa: S105 - a key name
SSH_PRIVATE_KEY = "ssh-privatekey"
KNOWN_HOSTS_KEY = "known_hosts"
INSECURE_IGNORE_HOST_KEY = "insecure-ignore-host-key"
CA_CERTIFICATE_KEY = "ca.crt"
DEFAULT_TOKEN_USERNAME = "x-access-token"  # noqa: S105 - a user name

_USERNAME_ENV = "FLOWRELEASE_GIT_USERNAME"
_PASSWORD_ENV = "FLOWRELEASE_GIT_PASSWORD"  # noqa: S105 - a variable name

ASKPASS_SCRIPT = f"""#!/bin/sh
# flowrelease: answers git's credential prompts from the environment of the one git command running now.
case "$1" in
  Username*) printf '%s\\n' "${_USERNAME_ENV}" ;;
  *) printf '%s\\n' "${_PASSWORD_ENV}" ;;
esac
"""

_SECRET_HINT = "the Secret named by spec.export.git.secretRef"  # noqa: S105 - words


@dataclass(frozen=True)
class GitCredentials:
    kind: Literal["none", "basic", "ssh"]
    username: str = ""
    password: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)
    known_hosts: str = ""
    insecure_ignore_host_key: bool = False
    ca_certificate: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Every string that must never be shown: scrubbed from git's output before it reaches an error."""
        values: list[str] = []
        if self.password:
            values.append(self.password)
            basic = f"{self.username}:{self.password}".encode()
            values.append(base64.b64encode(basic).decode("ascii"))
        if self.private_key:
            values.append(self.private_key.strip())
            values.extend(line.strip() for line in self.private_key.splitlines() if len(line.strip()) >= 16)
        return tuple(values)


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1")


def parse_credentials(data: Mapping[str, str], remote: Remote) -> GitCredentials:
    """Decide which credential the Secret holds for this remote; errors name the keys, never their values."""
    if remote.transport == "file":
        return GitCredentials(kind="none")
    if remote.transport == "http":
        if SSH_PRIVATE_KEY in data:
            raise InvalidGitCredentials(
                f"spec.export.git.url ({remote.url}) is an HTTP(S) URL but {_SECRET_HINT} holds "
                f"{SSH_PRIVATE_KEY}; use an ssh:// or git@host:path URL, or give "
                f"{USERNAME_KEY}+{PASSWORD_KEY} or {TOKEN_KEY}"
            )
        # Secrets made with `echo ... | kubectl create secret --from-file` often end in a newline.
        ca_certificate = data.get(CA_CERTIFICATE_KEY, "").replace("\r\n", "\n").strip()
        if ca_certificate and "BEGIN CERTIFICATE" not in ca_certificate:
            raise InvalidGitCredentials(
                f"{CA_CERTIFICATE_KEY} in {_SECRET_HINT} is not a PEM certificate (expected a "
                "'-----BEGIN CERTIFICATE-----' block)"
            )
        ca = ca_certificate + "\n" if ca_certificate else ""
        token = data.get(TOKEN_KEY, "").strip("\r\n")
        password = data.get(PASSWORD_KEY, "").strip("\r\n")
        username = data.get(USERNAME_KEY, "").strip()
        if token:
            return GitCredentials(
                kind="basic", username=username or DEFAULT_TOKEN_USERNAME, password=token, ca_certificate=ca
            )
        if password and not username:
            raise InvalidGitCredentials(
                f"{_SECRET_HINT} has {PASSWORD_KEY} but no {USERNAME_KEY}; add {USERNAME_KEY}, or store "
                f"a token under {TOKEN_KEY}"
            )
        if username and not password:
            raise InvalidGitCredentials(
                f"{_SECRET_HINT} has {USERNAME_KEY} but no {PASSWORD_KEY} or {TOKEN_KEY}; add one of them"
            )
        if username:
            return GitCredentials(kind="basic", username=username, password=password, ca_certificate=ca)
        return GitCredentials(kind="none", ca_certificate=ca)
    key = data.get(SSH_PRIVATE_KEY, "")
    if not key.strip():
        raise InvalidGitCredentials(
            f"spec.export.git.url ({remote.url}) is an SSH URL; {_SECRET_HINT} must hold "
            f"{SSH_PRIVATE_KEY} (and {KNOWN_HOSTS_KEY}), or use an https:// URL with "
            f"{USERNAME_KEY}+{PASSWORD_KEY} or {TOKEN_KEY}"
        )
    if "PRIVATE KEY" not in key:
        raise InvalidGitCredentials(
            f"{SSH_PRIVATE_KEY} in {_SECRET_HINT} is not a private key (expected a '-----BEGIN ... PRIVATE "
            "KEY-----' block, e.g. from ssh-keygen -t ed25519)"
        )
    known_hosts = data.get(KNOWN_HOSTS_KEY, "")
    insecure = _truthy(data.get(INSECURE_IGNORE_HOST_KEY, ""))
    if not known_hosts.strip() and not insecure:
        raise InvalidGitCredentials(
            f"{_SECRET_HINT} has {SSH_PRIVATE_KEY} but no {KNOWN_HOSTS_KEY}, so the server's host key "
            f"cannot be checked; add {KNOWN_HOSTS_KEY} (e.g. the output of ssh-keyscan <host>), or set "
            f'{INSECURE_IGNORE_HOST_KEY}: "true" to accept any host key (not recommended)'
        )
    normalised_key = key.replace("\r\n", "\n").strip() + "\n"
    return GitCredentials(
        kind="ssh",
        private_key=normalised_key,
        known_hosts=known_hosts.replace("\r\n", "\n").strip() + "\n" if known_hosts.strip() else "",
        insecure_ignore_host_key=insecure and not known_hosts.strip(),
    )


def base_environment(askpass: Path) -> dict[str, str]:
    """Environment every git command runs with: hermetic config, no prompts, no credential storage."""
    settings = {
        "credential.helper": "",
        "core.autocrlf": "false",
        "core.hooksPath": os.devnull,
        "commit.gpgSign": "false",
        "gc.autoDetach": "false",
        "init.defaultBranch": "main",
        "advice.detachedHead": "false",
        "http.lowSpeedLimit": "1000",
        "http.lowSpeedTime": "30",
    }
    env = {
        "LC_ALL": "C",  # git's messages in English: failures.py classifies them
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": str(askpass),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_EDITOR": "true",
        "GIT_SSH_VARIANT": "ssh",
        "GIT_CONFIG_COUNT": str(len(settings)),
        _USERNAME_ENV: "",
        _PASSWORD_ENV: "",
    }
    for index, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def install_askpass(folder: Path) -> Path:
    """Write the askpass script (no secrets in it) once; rewritten atomically if it differs."""
    path = folder / "askpass.sh"
    if not path.is_file() or path.read_text() != ASKPASS_SCRIPT:
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".askpass.{os.getpid()}.tmp"
        staging.write_text(ASKPASS_SCRIPT)
        staging.chmod(0o700)
        staging.replace(path)
    return path


def _write_private(path: Path, content: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)


@contextmanager
def git_environment(
    credentials: GitCredentials,
    *,
    askpass: Path,
    scratch_dir: Path | None = None,
    ssh_program: str = "ssh",
    connect_timeout: int = 15,
) -> Iterator[dict[str, str]]:
    """The environment for git commands using `credentials`; key and CA files exist only inside the block."""
    env = base_environment(askpass)
    if credentials.kind == "basic":
        env[_USERNAME_ENV] = credentials.username
        env[_PASSWORD_ENV] = credentials.password
    if credentials.kind != "ssh" and not credentials.ca_certificate:
        yield env
        return
    if scratch_dir is not None:
        scratch_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="flowrelease-git-", dir=scratch_dir))
    try:
        if credentials.ca_certificate:
            ca_file = folder / "ca.crt"
            _write_private(ca_file, credentials.ca_certificate)
            env["GIT_SSL_CAINFO"] = str(ca_file)
        if credentials.kind == "ssh":
            env["GIT_SSH_COMMAND"] = _ssh_command(credentials, folder, ssh_program, connect_timeout)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ssh_command(credentials: GitCredentials, folder: Path, ssh_program: str, connect_timeout: int) -> str:
    """ssh with only this key, batch mode, and host keys checked against only the given known_hosts."""
    identity = folder / "identity"
    _write_private(identity, credentials.private_key)
    options = ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes"]
    options += ["-o", f"ConnectTimeout={connect_timeout}", "-o", "GlobalKnownHostsFile=/dev/null"]
    if credentials.insecure_ignore_host_key:
        options += [
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
        ]
    else:
        known_hosts = folder / "known_hosts"
        _write_private(known_hosts, credentials.known_hosts)
        options += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}"]
    return shlex.join([ssh_program, "-F", os.devnull, "-i", str(identity), *options])
