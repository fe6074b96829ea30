"""URL, branch and Secret parsing, the per-command git environment, and scrubbing of git's output."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from flowrelease.gitops.credentials import (
    GitCredentials,
    git_environment,
    install_askpass,
    parse_credentials,
)
from flowrelease.gitops.errors import (
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitCommandFailed,
    GitHostKeyRejected,
    GitRemoteUnreachable,
    GitRepositoryNotFound,
    InvalidGitCredentials,
    InvalidGitTarget,
)
from flowrelease.gitops.failures import git_failure
from flowrelease.gitops.remote import Remote, check_branch, parse_remote, redact

KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("https://git.example.com/cc/flows.git", "http"),
        ("https://robot@git.example.com/cc/flows.git", "http"),
        ("ssh://git@git.example.com:2222/cc/flows.git", "ssh"),
        ("git@github.com:cc/flows.git", "ssh"),
        ("file:///srv/git/flows.git", "file"),
        ("/srv/git/flows.git", "file"),
    ],
)
def test_remote_transports(url: str, transport: str) -> None:
    assert parse_remote(url) == Remote(url=url, transport=transport)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://git.example.com/flows.git", "not a Git URL"),
        ("flows.git", "not a Git URL"),
        ("http://127.0.0.1:8080/flows.git", "unencrypted"),
        (" https://git.example.com/flows.git", "whitespace"),
        ("https:///flows.git", "no host"),
    ],
)
def test_unusable_urls_name_the_field(url: str, fragment: str) -> None:
    with pytest.raises(InvalidGitTarget, match=r"spec\.export\.git\.url") as caught:
        parse_remote(url)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("branch", ["main", "releases/prod", "flowrelease-2026.11"])
def test_valid_branches(branch: str) -> None:
    assert check_branch(branch) == branch


@pytest.mark.parametrize(
    "branch", ["-x", "a..b", "a b", "a~1", "x.lock", "a//b", "@", "a@{1}", "/a", "a/", "a:b"]
)
def test_invalid_branches_name_the_field(branch: str) -> None:
    with pytest.raises(InvalidGitTarget, match=r"spec\.export\.git\.branch"):
        check_branch(branch)


HTTP = Remote("https://git.example.com/flows.git", "http")
SSH = Remote("ssh://git@git.example.com/flows.git", "ssh")
FILE = Remote("file:///srv/flows.git", "file")


@pytest.mark.parametrize(
    ("data", "remote", "expected"),
    [
        ({"username": "robot", "password": "pw"}, HTTP, GitCredentials("basic", "robot", "pw")),
        ({"token": "tk"}, HTTP, GitCredentials("basic", "x-access-token", "tk")),
        ({"token": "tk", "username": "oauth2"}, HTTP, GitCredentials("basic", "oauth2", "tk")),
        ({"username": "robot\n", "password": "pw\n"}, HTTP, GitCredentials("basic", "robot", "pw")),
        ({"token": "tk\r\n"}, HTTP, GitCredentials("basic", "x-access-token", "tk")),
        ({}, HTTP, GitCredentials("none")),
        ({"tls.key": "ignored"}, HTTP, GitCredentials("none")),
        ({"username": "robot", "password": "pw"}, FILE, GitCredentials("none")),
        (
            {"token": "tk", "ca.crt": "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n"},
            HTTP,
            GitCredentials(
                "basic",
                "x-access-token",
                "tk",
                ca_certificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            ),
        ),
        (
            {"ssh-privatekey": KEY, "known_hosts": "host ssh-ed25519 AAAA\r\n"},
            SSH,
            GitCredentials("ssh", private_key=KEY, known_hosts="host ssh-ed25519 AAAA\n"),
        ),
        (
            {"ssh-privatekey": KEY.strip(), "insecure-ignore-host-key": "true"},
            SSH,
            GitCredentials("ssh", private_key=KEY, insecure_ignore_host_key=True),
        ),
        (
            {"ssh-privatekey": KEY, "known_hosts": "h k", "insecure-ignore-host-key": "true"},
            SSH,
            GitCredentials("ssh", private_key=KEY, known_hosts="h k\n"),
        ),
    ],
)
def test_secret_data_becomes_credentials(
    data: dict[str, str], remote: Remote, expected: GitCredentials
) -> None:
    assert parse_credentials(data, remote) == expected


def test_credentials_repr_hides_the_secret_parts() -> None:
    shown = repr(GitCredentials("basic", "robot", "hunter2-password", private_key=KEY))
    assert "hunter2-password" not in shown
    assert "PRIVATE KEY" not in shown


@pytest.mark.parametrize(
    ("data", "remote", "fragment"),
    [
        ({"password": "pw"}, HTTP, "no username"),
        ({"username": "robot"}, HTTP, "no password or token"),
        ({"ssh-privatekey": KEY}, HTTP, "is an HTTP(S) URL"),
        ({"username": "robot", "password": "pw"}, SSH, "must hold ssh-privatekey"),
        ({"ssh-privatekey": "ssh-ed25519 AAAA pub", "known_hosts": "h k"}, SSH, "not a private key"),
        ({"ssh-privatekey": KEY}, SSH, "no known_hosts"),
        ({"ssh-privatekey": KEY, "insecure-ignore-host-key": "no"}, SSH, "no known_hosts"),
    ],
)
def test_unusable_secret_data_names_the_keys(data: dict[str, str], remote: Remote, fragment: str) -> None:
    with pytest.raises(InvalidGitCredentials) as caught:
        parse_credentials(data, remote)
    assert fragment in str(caught.value)
    assert "b3BlbnNzaC1rZXkt" not in str(caught.value)


def test_askpass_answers_git_prompts_from_the_command_environment(tmp_path: Path) -> None:
    askpass = install_askpass(tmp_path)
    assert stat.S_IMODE(askpass.stat().st_mode) == 0o700
    with git_environment(GitCredentials("basic", "robot", "pa$$ 'word\""), askpass=askpass) as env:
        answers = [
            subprocess.run(
                [str(askpass), prompt], env={**os.environ, **env}, capture_output=True, text=True, check=True
            ).stdout
            for prompt in ("Username for 'https://git.example.com': ", "Password for 'https://robot@git': ")
        ]
    assert answers == ["robot\n", "pa$$ 'word\"\n"]
    assert "pa$$" not in askpass.read_text()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_CONFIG_GLOBAL"] == os.devnull
    settings = {
        env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))
    }
    assert settings["credential.helper"] == ""


def test_ssh_environment_writes_private_files_and_removes_them(tmp_path: Path) -> None:
    credentials = GitCredentials("ssh", private_key=KEY, known_hosts="host ssh-ed25519 AAAA\n")
    with git_environment(credentials, askpass=tmp_path / "askpass.sh", scratch_dir=tmp_path / "s") as env:
        command = shlex.split(env["GIT_SSH_COMMAND"])
        identity = Path(command[command.index("-i") + 1])
        known_hosts = Path(next(o for o in command if o.startswith("UserKnownHostsFile=")).split("=", 1)[1])
        assert stat.S_IMODE(identity.stat().st_mode) == 0o600
        assert stat.S_IMODE(identity.parent.stat().st_mode) == 0o700
        assert identity.read_text() == KEY
        assert known_hosts.read_text() == "host ssh-ed25519 AAAA\n"
        assert "StrictHostKeyChecking=yes" in command
        assert KEY not in env["GIT_SSH_COMMAND"]
    assert not identity.exists()
    assert list((tmp_path / "s").iterdir()) == []


def test_ssh_key_files_are_removed_when_the_command_fails(tmp_path: Path) -> None:
    credentials = GitCredentials("ssh", private_key=KEY, insecure_ignore_host_key=True)
    with (
        pytest.raises(RuntimeError),
        git_environment(credentials, askpass=tmp_path / "a", scratch_dir=tmp_path / "s") as env,
    ):
        assert "StrictHostKeyChecking=no" in env["GIT_SSH_COMMAND"]
        raise RuntimeError("git blew up")
    assert list((tmp_path / "s").iterdir()) == []


def test_redact_removes_secrets_and_url_passwords_but_keeps_usernames() -> None:
    text = "fatal: https://robot:s3cr3t@host/x and ssh://git@host/y said s3cr3t and tok-123"
    assert redact(text, ("s3cr3t", "tok-123", "")) == (
        "fatal: https://***@host/x and ssh://git@host/y said *** and ***"
    )


# stderr git printed, the error it is, permanent (retrying cannot help), why
FAILURES: list[tuple[str, type[Exception], bool, str]] = [
    (
        "fatal: Authentication failed for 'https://git.example.com/flows.git/'",
        GitAuthenticationFailed,
        True,
        "wrong password or token",
    ),
    (
        "git@host: Permission denied (publickey).\nfatal: Could not read from remote",
        GitAuthenticationFailed,
        True,
        "deploy key not accepted",
    ),
    ("remote: HTTP Basic: Access denied", GitAuthenticationFailed, True, "GitLab's wrong credentials"),
    (
        "fatal: could not read Username for 'https://x': terminal prompts disabled",
        GitAuthenticationFailed,
        True,
        "credentials needed but none given",
    ),
    (
        "remote: Permission to cc/flows.git denied to bot.\n"
        "fatal: unable to access 'https://x/': The requested URL returned error: 403",
        GitAuthorizationFailed,
        True,
        "a read-only token",
    ),
    (
        "remote: You are not allowed to push code to this project.",
        GitAuthorizationFailed,
        True,
        "GitLab's missing write access",
    ),
    (
        "ERROR: The key you are authenticating with has been marked as read only.\n"
        "fatal: Could not read from remote repository.\n\n"
        "Please make sure you have the correct access rights\nand the repository exists.",
        GitAuthorizationFailed,
        True,
        "GitHub's read-only deploy key over SSH (not an unreachable remote: retrying cannot help)",
    ),
    (
        "repository access denied. access via a deployment key is read-only.\n"
        "fatal: Could not read from remote repository.",
        GitAuthorizationFailed,
        True,
        "Bitbucket's read-only deployment key",
    ),
    (
        "Host key verification failed.\nfatal: Could not read from remote repository.",
        GitHostKeyRejected,
        True,
        "known_hosts lacks the server",
    ),
    (
        "fatal: unable to access 'https://x/': SSL certificate problem: self-signed certificate",
        GitCertificateRejected,
        True,
        "private CA not in ca.crt",
    ),
    ("fatal: repository 'https://x/y.git/' not found", GitRepositoryNotFound, True, "no such repository"),
    (
        "fatal: '/srv/git/nope.git' does not appear to be a git repository",
        GitRepositoryNotFound,
        True,
        "no such path",
    ),
    ("ssh: connect to host x port 22: Connection refused", GitRemoteUnreachable, False, "server down"),
    (
        "fatal: unable to access 'https://x/': Could not resolve host: x",
        GitRemoteUnreachable,
        False,
        "DNS failure",
    ),
    (
        'Timeout: the command "git ls-remote" did not complete in 120 secs.',
        GitRemoteUnreachable,
        False,
        "timeout",
    ),
    (
        "fatal: unable to access 'https://x/': The requested URL returned error: 503",
        GitRemoteUnreachable,
        False,
        "server overloaded",
    ),
    ("fatal: bad object HEAD", GitCommandFailed, False, "unknown: retried"),
]


@pytest.mark.parametrize(("stderr", "kind", "permanent", "reason"), FAILURES, ids=[f[3] for f in FAILURES])
def test_git_failures_map_to_specific_errors_with_the_clean_url(
    stderr: str, kind: type[Exception], permanent: bool, reason: str
) -> None:
    error = git_failure("push", HTTP, stderr + "\nhunter2", ("hunter2",))
    assert type(error) is kind, reason
    assert error.permanent is permanent, reason
    assert str(error).startswith(f"git push {HTTP.url} failed")
    assert "hunter2" not in str(error)
