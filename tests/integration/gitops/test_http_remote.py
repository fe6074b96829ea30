"""GitArtifactStore against a real Git server (git http-backend) over HTTPS on loopback, with Basic auth."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flowrelease.gitops import (
    GitArtifactStore,
    GitAuthenticationFailed,
    GitCertificateRejected,
    GitPushRejected,
    GitRemoteUnreachable,
    InvalidGitCredentials,
    InvalidGitTarget,
)
from tests.integration.gitops.conftest import SUPPORT_IVR_YAML, Repository, exported, git, provenance, target
from tests.support.git_http import GitHttpServer

REPO = Path(__file__).resolve().parents[3]


def every_file_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


async def test_first_export_reexport_and_new_version_over_authenticated_http(
    store: GitArtifactStore, http_repo: Repository, http_credentials: dict[str, str]
) -> None:
    first = await store.store(target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0"))
    again = await store.store(
        target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0", operation_id="op-again")
    )
    second = await store.store(
        target(http_repo.url),
        http_credentials,
        exported("4.0", yaml=SUPPORT_IVR_YAML.replace("Main Menu", "Menu 4")),
        provenance("4.0", operation_id="op-4"),
    )

    assert (first.changed, again.changed, second.changed) == (True, False, True)
    assert again.commit == first.commit
    assert http_repo.commits() == [second.commit, first.commit]
    assert http_repo.trailers(second.commit)["Flow-Version"] == "4.0"
    assert http_repo.trailers(second.commit)["Operation-Id"] == "op-4"


async def test_a_token_authenticates_as_x_access_token_and_never_lands_on_disk(
    store: GitArtifactStore, http_repo: Repository, git_http_server: GitHttpServer, workdir: Path
) -> None:
    stored = await store.store(
        target(http_repo.url),
        {"token": git_http_server.token, "ca.crt": git_http_server.ca_certificate},
        exported(),
        provenance(),
    )

    assert http_repo.commits() == [stored.commit]
    assert {user for _, _, status, user in git_http_server.requests if status == 200} == {"x-access-token"}
    assert git_http_server.token.encode() not in every_file_under(workdir)
    clone_config = (store.clone_path(http_repo.url) / ".git" / "config").read_text()
    assert f"url = {http_repo.url}\n" in clone_config


async def test_wrong_credentials_fail_clearly_without_leaking_the_secret(
    store: GitArtifactStore,
    http_repo: Repository,
    git_http_server: GitHttpServer,
    workdir: Path,
    scratch: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "wrong-" + git_http_server.password[::-1]
    caplog.set_level(logging.DEBUG)

    with pytest.raises(GitAuthenticationFailed) as caught:
        await store.store(
            target(http_repo.url),
            {
                "username": git_http_server.username,
                "password": wrong,
                "ca.crt": git_http_server.ca_certificate,
            },
            exported(),
            provenance(),
        )

    message = str(caught.value)
    assert http_repo.url in message
    assert "spec.export.git.secretRef" in message
    assert wrong not in message
    assert wrong not in caplog.text
    assert wrong.encode() not in every_file_under(workdir)
    assert list(scratch.iterdir()) == []
    assert f"url = {http_repo.url}\n" in (store.clone_path(http_repo.url) / ".git" / "config").read_text()
    assert git_http_server.denied() >= 1
    assert http_repo.commits() == []

    fixed = await store.store(
        target(http_repo.url),
        {
            "username": git_http_server.username,
            "password": git_http_server.password,
            "ca.crt": git_http_server.ca_certificate,
        },
        exported(),
        provenance(),
    )
    assert http_repo.commits() == [fixed.commit]
    assert git_http_server.password not in caplog.text


async def test_no_credentials_for_a_protected_repository_is_an_authentication_error(
    store: GitArtifactStore, http_repo: Repository, git_http_server: GitHttpServer
) -> None:
    with pytest.raises(GitAuthenticationFailed, match="refused the credentials"):
        await store.store(
            target(http_repo.url), {"ca.crt": git_http_server.ca_certificate}, exported(), provenance()
        )


async def test_an_untrusted_server_certificate_is_refused_with_the_fix(
    store: GitArtifactStore, http_repo: Repository, git_http_server: GitHttpServer, scratch: Path
) -> None:
    credentials = {"username": git_http_server.username, "password": git_http_server.password}

    with pytest.raises(GitCertificateRejected, match=r"ca\.crt") as caught:
        await store.store(target(http_repo.url), credentials, exported(), provenance())

    assert http_repo.url in str(caught.value)
    assert git_http_server.requests == []
    assert http_repo.commits() == []
    assert list(scratch.iterdir()) == []


async def test_a_ca_certificate_that_is_not_pem_is_refused(
    store: GitArtifactStore, http_repo: Repository
) -> None:
    with pytest.raises(InvalidGitCredentials, match="not a PEM certificate"):
        await store.store(target(http_repo.url), {"ca.crt": "hello"}, exported(), provenance())


async def test_a_password_in_the_url_is_refused_and_not_repeated(store: GitArtifactStore) -> None:
    with pytest.raises(InvalidGitTarget) as caught:
        await store.store(
            target("https://robot:hunter2-secret@git.example.com/cc/flows.git"), {}, exported(), provenance()
        )

    assert "hunter2-secret" not in str(caught.value)
    assert "https://git.example.com/cc/flows.git" in str(caught.value)
    assert "spec.export.git.secretRef" in str(caught.value)


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"password": "s3cret-value"}, "no username"),
        ({"username": "robot"}, "no password or token"),
        (
            {"ssh-privatekey": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"},
            "holds ssh-privatekey",
        ),
    ],
)
async def test_incomplete_or_mismatched_http_credentials_name_the_missing_key(
    store: GitArtifactStore, http_repo: Repository, credentials: dict[str, str], expected: str
) -> None:
    with pytest.raises(InvalidGitCredentials, match=expected) as caught:
        await store.store(target(http_repo.url), credentials, exported(), provenance())

    assert "s3cret-value" not in str(caught.value)
    assert "PRIVATE KEY-----\nabc" not in str(caught.value)


async def test_a_remote_that_moves_on_during_the_push_is_fetched_rebased_and_pushed_again(
    store: GitArtifactStore,
    http_repo: Repository,
    http_credentials: dict[str, str],
    git_http_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    await store.store(target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0"))
    theirs: list[str] = []

    def another_writer_pushes_first(user: str) -> None:
        if user == git_http_server.username and not theirs:
            theirs.append(
                http_repo.push_as_another_writer(
                    tmp_path / "other", {"docs/README.md": "# flows\n"}, "Document the flows"
                )
            )

    git_http_server.before_push = another_writer_pushes_first
    ours = await store.store(
        target(http_repo.url), http_credentials, exported("4.0"), provenance("4.0", operation_id="op-4")
    )

    commits = http_repo.commits()
    assert len(commits) == 3
    assert commits[:2] == [ours.commit, theirs[0]]
    assert "docs/README.md" in http_repo.files()
    assert http_repo.trailers(ours.commit)["Flow-Version"] == "4.0"
    assert http_repo.show("main", "flows/support-ivr/release.json").count(b'"version": "4.0"') == 1


async def test_a_conflicting_change_meanwhile_is_replaced_by_a_fresh_write_of_the_artifact(
    store: GitArtifactStore,
    http_repo: Repository,
    http_credentials: dict[str, str],
    git_http_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    await store.store(target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0"))
    theirs: list[str] = []

    def someone_edits_the_exported_flow(user: str) -> None:
        if user == git_http_server.username and not theirs:
            theirs.append(
                http_repo.push_as_another_writer(
                    tmp_path / "other", {"flows/support-ivr/flow.yaml": "hand edited\n"}, "Hand edit"
                )
            )

    git_http_server.before_push = someone_edits_the_exported_flow
    ours = await store.store(
        target(http_repo.url), http_credentials, exported("4.0"), provenance("4.0", operation_id="op-4")
    )

    assert http_repo.commits()[:2] == [ours.commit, theirs[0]]
    assert http_repo.show("main", "flows/support-ivr/flow.yaml") == SUPPORT_IVR_YAML.encode()


async def test_a_branch_that_keeps_moving_gives_up_after_the_bounded_attempts_without_force(
    workdir: Path,
    http_repo: Repository,
    http_credentials: dict[str, str],
    git_http_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    store = GitArtifactStore(workdir, max_push_attempts=3)
    await store.store(target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0"))
    pushed: list[str] = []

    def another_writer_always_wins(user: str) -> None:
        if user == git_http_server.username:
            pushed.append(
                http_repo.push_as_another_writer(
                    tmp_path / "other", {f"notes/{len(pushed)}.md": "x\n"}, f"Note {len(pushed)}"
                )
            )

    git_http_server.before_push = another_writer_always_wins
    with pytest.raises(GitPushRejected, match="rejected 3 times") as caught:
        await store.store(target(http_repo.url), http_credentials, exported("4.0"), provenance("4.0"))

    assert "force" in str(caught.value)
    assert not caught.value.permanent, "losing races is transient: the export is retried later"
    assert len(pushed) == 3
    assert http_repo.commits()[:3] == pushed[::-1]
    assert http_repo.trailers(http_repo.commits()[3])["Flow-Version"] == "3.0"

    git_http_server.before_push = None
    stored = await store.store(target(http_repo.url), http_credentials, exported("4.0"), provenance("4.0"))
    assert http_repo.commits()[:2] == [stored.commit, pushed[-1]]


async def test_a_closed_port_is_reported_as_unreachable_naming_the_url(store: GitArtifactStore) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}/flows.git"

    with pytest.raises(GitRemoteUnreachable) as caught:
        await store.store(target(url), {"token": "tok-unused-123456"}, exported(), provenance())

    assert url in str(caught.value)
    assert "tok-unused-123456" not in str(caught.value)


async def test_a_repository_the_server_does_not_have_is_reported_as_unreachable(
    store: GitArtifactStore, git_http_server: GitHttpServer, http_credentials: dict[str, str]
) -> None:
    with pytest.raises(GitRemoteUnreachable, match="does not exist") as caught:
        await store.store(
            target(git_http_server.url("missing.git")), http_credentials, exported(), provenance()
        )
    assert caught.value.permanent


KILLED_WRITER = """
import asyncio, json, sys
from pathlib import Path
from flowrelease.gitops import GitArtifactStore
from tests.integration.gitops.conftest import exported, provenance, target
settings = json.loads(Path(sys.argv[1]).read_text())
asyncio.run(
    GitArtifactStore(Path(settings["workdir"])).store(
        target(settings["url"]),
        settings["credentials"],
        exported("4.0"),
        provenance("4.0", operation_id="op-killed"),
    )
)
"""


async def test_a_writer_killed_mid_push_leaves_a_clone_the_next_export_repairs_without_duplicates(
    workdir: Path,
    http_repo: Repository,
    http_credentials: dict[str, str],
    git_http_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    """kill -9 of the whole process group (as when a pod dies) after the commit, during the push."""
    store = GitArtifactStore(workdir)
    first = await store.store(target(http_repo.url), http_credentials, exported("3.0"), provenance("3.0"))
    pushing, resume = threading.Event(), threading.Event()

    def stall_the_push(user: str) -> None:
        if user == git_http_server.username:
            pushing.set()
            resume.wait(30)

    git_http_server.before_push = stall_the_push
    settings = tmp_path / "writer.json"
    settings.write_text(
        json.dumps({"workdir": str(workdir), "url": http_repo.url, "credentials": http_credentials})
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(settings)], cwd=REPO, start_new_session=True
    )
    try:
        assert await asyncio.to_thread(pushing.wait, 60), "the writer never reached its push"
        clone = store.clone_path(http_repo.url)
        assert git("-C", str(clone), "log", "-1", "--format=%s").startswith(
            "Publish Support IVR (INBOUNDCALL) version 4.0"
        )
        os.killpg(writer.pid, signal.SIGKILL)
        writer.wait(10)
    finally:
        git_http_server.before_push = None
        resume.set()
    assert http_repo.commits() == [first.commit]

    stored = await store.store(
        target(http_repo.url),
        http_credentials,
        exported("4.0"),
        provenance("4.0", operation_id="op-after-restart"),
    )
    again = await store.store(target(http_repo.url), http_credentials, exported("4.0"), provenance("4.0"))

    assert stored.changed is True
    assert http_repo.commits() == [stored.commit, first.commit]
    assert http_repo.trailers(stored.commit)["Operation-Id"] == "op-after-restart"
    assert (again.changed, again.commit) == (False, stored.commit)
