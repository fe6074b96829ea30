"""`check_remote`: `git ls-remote` and `git push --dry-run` against real file:// and HTTPS (git
http-backend) remotes before anything is published, failing with the classified error — permanent for what
retrying cannot fix — and never showing a credential. (The SSH cases are in test_ssh_real_server.py, next
to the real sshd.)"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from flowrelease.gitops import (
    GitArtifactStore,
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitRemoteUnreachable,
    GitRepositoryNotFound,
    InvalidGitCredentials,
    InvalidGitTarget,
    UnsafeExportPath,
    check_remote,
)
from tests.integration.gitops.conftest import Repository, exported, provenance, target
from tests.support.git_http import GitHttpServer


async def test_a_new_repository_answers_with_no_branch_yet(bare_repo: Repository) -> None:
    checked = await check_remote(target(bare_repo.url), {})
    assert (checked.url, checked.branch, checked.tip) == (bare_repo.url, "main", None)
    assert bare_repo.refs() == {}, "the write check wrote nothing"


async def test_an_existing_branch_reports_its_tip(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    stored = await store.store(target(bare_repo.url), {}, exported(), provenance())
    checked = await store.check_remote(target(bare_repo.url), {})
    assert checked.tip == stored.commit
    assert bare_repo.commits() == [stored.commit], "checking wrote nothing"
    assert bare_repo.refs() == {"refs/heads/main": stored.commit}, "not even another branch"


async def test_a_missing_file_repository_is_permanent(tmp_path: Path) -> None:
    url = (tmp_path / "nowhere" / "flows.git").as_uri()
    with pytest.raises(GitRepositoryNotFound) as caught:
        await check_remote(target(url), {})
    assert caught.value.permanent
    assert url in str(caught.value)


async def test_https_with_the_right_credentials_passes(
    http_repo: Repository, http_credentials: dict[str, str], git_http_server: GitHttpServer
) -> None:
    checked = await check_remote(target(http_repo.url), http_credentials)
    assert checked.tip is None
    assert git_http_server.requests, "the server was asked"
    assert git_http_server.requests[-1][2:] == (200, git_http_server.username), "authenticated in the end"
    assert not any(
        method == "POST" and path.endswith("git-receive-pack")
        for method, path, _, _ in git_http_server.requests
    ), "the push was a dry run: nothing was sent"
    assert http_repo.refs() == {}, "and nothing was written"


async def test_a_read_only_token_is_refused_before_anything_is_published_and_not_shown(
    http_repo: Repository, git_http_server: GitHttpServer
) -> None:
    credentials = {
        "username": "reader",
        "password": git_http_server.reader_token,
        "ca.crt": git_http_server.ca_certificate,
    }
    with pytest.raises(GitAuthorizationFailed) as caught:
        await check_remote(target(http_repo.url), credentials)
    assert caught.value.permanent
    message = str(caught.value)
    assert message.startswith(f"git push --dry-run {http_repo.url} failed: ") and "write access" in message
    assert git_http_server.reader_token not in message
    assert [
        (service, status) for service, status, user in git_http_server.advertised if user == "reader"
    ] == [
        ("git-upload-pack", 200),
        ("git-receive-pack", 403),
    ], "it could read, and was refused the push"
    assert http_repo.refs() == {}


@pytest.mark.parametrize(
    ("credentials", "reason"),
    [
        ({"username": "flowrelease-test", "password": "wrong-password-123"}, "wrong password"),
        ({"token": "wrong-token-1234567890"}, "wrong token"),
        ({}, "no credentials at all"),
    ],
    ids=["wrong-password", "wrong-token", "none"],
)
async def test_https_refusing_the_credentials_is_permanent_and_shows_none_of_them(
    http_repo: Repository, git_http_server: GitHttpServer, credentials: dict[str, str], reason: str
) -> None:
    given = {**credentials, "ca.crt": git_http_server.ca_certificate}
    with pytest.raises(GitAuthenticationFailed) as caught:
        await check_remote(target(http_repo.url), given)
    assert caught.value.permanent, reason
    for value in credentials.values():
        if value != "flowrelease-test":
            assert value not in str(caught.value)
    assert "spec.export.git.secretRef" in str(caught.value)


async def test_https_without_the_private_ca_is_permanent(
    http_repo: Repository, git_http_server: GitHttpServer
) -> None:
    credentials = {"username": git_http_server.username, "password": git_http_server.password}
    with pytest.raises(GitCertificateRejected) as caught:
        await check_remote(target(http_repo.url), credentials)
    assert caught.value.permanent
    assert git_http_server.password not in str(caught.value)
    assert "ca.crt" in str(caught.value)


async def test_https_repository_the_server_lacks_is_permanent(
    git_http_server: GitHttpServer, http_credentials: dict[str, str]
) -> None:
    with pytest.raises(GitRepositoryNotFound) as caught:
        await check_remote(target(git_http_server.url("missing.git")), http_credentials)
    assert caught.value.permanent


async def test_a_closed_port_is_unreachable_and_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GitRemoteUnreachable) as caught:
        await check_remote(target(f"https://127.0.0.1:{port}/flows.git"), {"token": "tok-unused-123456"})
    assert not caught.value.permanent
    assert "tok-unused-123456" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "path", "branch", "credentials", "kind"),
    [
        ("https://bot:hunter22@git.example.com/flows.git", "flows", "main", {}, InvalidGitTarget),
        ("https://git.example.com/flows.git", "../outside", "main", {}, UnsafeExportPath),
        ("https://git.example.com/flows.git", "flows", "bad..branch", {}, InvalidGitTarget),
        (
            "https://git.example.com/flows.git",
            "flows",
            "main",
            {"ssh-privatekey": "k"},
            InvalidGitCredentials,
        ),
    ],
    ids=["password-in-url", "path-escapes", "bad-branch", "ssh-key-for-https"],
)
async def test_a_target_wrong_on_its_face_is_refused_without_running_git(
    url: str, path: str, branch: str, credentials: dict[str, str], kind: type[Exception]
) -> None:
    with pytest.raises(kind) as caught:  # git.example.com does not resolve: reaching git would fail otherwise
        await check_remote(target(url, path=path, branch=branch), credentials)
    assert getattr(caught.value, "permanent", False)
    assert "hunter22" not in str(caught.value)


async def test_the_check_runs_off_the_event_loop(
    http_repo: Repository, http_credentials: dict[str, str]
) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    try:
        await check_remote(target(http_repo.url), http_credentials)
    finally:
        task.cancel()
    assert ticks > 1, "the loop kept running while git ls-remote ran"
