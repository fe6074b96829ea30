"""GitArtifactStore against a real bare repository behind a file:// URL."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowrelease.engine.ports import ArtifactStoreError
from flowrelease.gitops import (
    GitArtifactStore,
    GitPushRejected,
    GitRemoteUnreachable,
    GitRepositoryNotFound,
    InvalidArtifact,
    UnsafeExportPath,
)
from tests.integration.gitops.conftest import (
    SUPPORT_IVR_YAML,
    Repository,
    exported,
    git,
    provenance,
    target,
)

DEPENDENCY_HASH = "sha256:" + "ab" * 32


async def test_first_export_writes_the_layout_and_one_commit_with_provenance_trailers(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    stored = await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))

    assert stored.changed is True
    assert stored.path == "flows/support-ivr"
    assert bare_repo.commits() == [stored.commit]
    assert bare_repo.files() == [
        "flows/support-ivr/configuration.json",
        "flows/support-ivr/flow.yaml",
        "flows/support-ivr/release.json",
    ]
    assert bare_repo.show("main", "flows/support-ivr/flow.yaml") == SUPPORT_IVR_YAML.encode()
    assert bare_repo.show("main", "flows/support-ivr/configuration.json") == (
        b'{\n  "flowSequenceItemList": [\n    {\n      "id": "m1"\n    }\n  ],\n'
        b'  "name": "Support IVR",\n  "version": "3.0"\n}\n'
    )
    assert json.loads(bare_repo.show("main", "flows/support-ivr/release.json")) == {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowArtifact",
        "flow": {"id": "flow-support-ivr", "name": "Support IVR", "type": "INBOUNDCALL", "version": "3.0"},
        "dependencyHash": DEPENDENCY_HASH,
        "release": {"namespace": "contact-center", "name": "support-ivr", "label": "2.4.1"},
        "operationId": "op-3",
        "exportedAt": "2026-11-28T00:00:00Z",
    }
    message = bare_repo.message(stored.commit)
    assert message.splitlines()[0] == "Publish Support IVR (INBOUNDCALL) version 3.0 — release 2.4.1"
    assert bare_repo.trailers(stored.commit) == {
        "FlowRelease": "contact-center/support-ivr",
        "Flow-Id": "flow-support-ivr",
        "Flow-Version": "3.0",
        "Dependency-Hash": DEPENDENCY_HASH,
        "Operation-Id": "op-3",
        "Release-Label": "2.4.1",
    }
    identity = git("--git-dir", str(bare_repo.path), "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main")
    assert identity.strip() == "flowrelease <flowrelease@localhost>|flowrelease <flowrelease@localhost>"


async def test_reexporting_the_same_version_makes_no_commit_and_keeps_the_first_export_time(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    first = await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    crlf = exported("3.0", yaml=SUPPORT_IVR_YAML.replace("\n", "\r\n") + "\r\n")
    again = await store.store(
        target(bare_repo.url),
        {},
        crlf,
        provenance("3.0", operation_id="op-3-retry", exported_at="2026-11-28T05:00:00Z"),
    )

    assert again.changed is False
    assert again.commit == first.commit
    assert bare_repo.commits() == [first.commit]
    metadata = json.loads(bare_repo.show("main", "flows/support-ivr/release.json"))
    assert (metadata["exportedAt"], metadata["operationId"]) == ("2026-11-28T00:00:00Z", "op-3")


async def test_a_new_version_makes_one_new_commit_on_top_of_the_previous_one(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    first = await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    yaml_v4 = SUPPORT_IVR_YAML.replace("Main Menu", "Main Menu v4")
    second = await store.store(
        target(bare_repo.url),
        {},
        exported("4.0", yaml=yaml_v4),
        provenance("4.0", label="2.5.0", operation_id="op-4", exported_at="2026-11-28T01:00:00Z"),
    )

    assert second.changed is True
    assert bare_repo.commits() == [second.commit, first.commit]
    assert bare_repo.show("main", "flows/support-ivr/flow.yaml") == yaml_v4.encode()
    assert json.loads(bare_repo.show("main", "flows/support-ivr/release.json"))["exportedAt"] == (
        "2026-11-28T01:00:00Z"
    )
    assert bare_repo.trailers(second.commit)["Flow-Version"] == "4.0"
    assert bare_repo.trailers(second.commit)["Release-Label"] == "2.5.0"


async def test_a_changed_dependency_hash_for_the_same_version_is_committed(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    changed = provenance("3.0")
    changed = type(changed)(**{**changed.__dict__, "dependency_hash": "sha256:" + "cd" * 32})

    stored = await store.store(target(bare_repo.url), {}, exported("3.0"), changed)

    assert stored.changed is True
    assert len(bare_repo.commits()) == 2


async def test_commits_land_on_top_of_what_others_pushed_meanwhile(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    theirs = bare_repo.push_as_another_writer(
        tmp_path / "other", {"README.md": "# flows\n"}, "Document the repository"
    )

    ours = await store.store(
        target(bare_repo.url), {}, exported("4.0"), provenance("4.0", operation_id="op-4")
    )

    commits = bare_repo.commits()
    assert commits[:2] == [ours.commit, theirs]
    assert len(commits) == 3
    assert "README.md" in bare_repo.files()


async def test_creates_the_branch_when_the_remote_lacks_it_and_leaves_other_branches_alone(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    main = bare_repo.push_as_another_writer(tmp_path / "other", {"README.md": "# flows\n"}, "Initial commit")

    stored = await store.store(
        target(bare_repo.url, branch="releases/prod"), {}, exported("3.0"), provenance("3.0")
    )

    assert bare_repo.commits("releases/prod") == [stored.commit]
    assert bare_repo.commits("main") == [main]
    assert bare_repo.files("releases/prod") == [
        "flows/support-ivr/configuration.json",
        "flows/support-ivr/flow.yaml",
        "flows/support-ivr/release.json",
    ]


async def test_eight_releases_exporting_concurrently_into_one_branch_make_eight_commits(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    releases = [f"ivr-{index}" for index in range(8)]

    results = await asyncio.gather(
        *(
            store.store(
                target(bare_repo.url, path=f"flows/{name}"),
                {},
                exported("1.0", flow_id=f"flow-{name}"),
                provenance("1.0", release=f"contact-center/{name}", flow_id=f"flow-{name}"),
            )
            for name in releases
        )
    )

    assert all(result.changed for result in results)
    commits = bare_repo.commits()
    assert len(commits) == 8
    assert sorted(commits) == sorted(result.commit for result in results)
    assert {bare_repo.trailers(commit)["FlowRelease"] for commit in commits} == {
        f"contact-center/{name}" for name in releases
    }
    assert len(bare_repo.files()) == 24


async def test_separate_clones_racing_on_one_branch_rebase_and_lose_nothing(
    bare_repo: Repository, tmp_path: Path
) -> None:
    """Four processes (own workdirs, so no shared lock) push at once: rejected pushes fetch, rebase, retry."""
    stores = [GitArtifactStore(tmp_path / f"replica-{index}", max_push_attempts=10) for index in range(4)]

    results = await asyncio.gather(
        *(
            replica.store(
                target(bare_repo.url, path=f"flows/team-{index}"),
                {},
                exported("1.0", flow_id=f"flow-{index}"),
                provenance("1.0", release=f"team-{index}/ivr", flow_id=f"flow-{index}"),
            )
            for index, replica in enumerate(stores)
        )
    )

    commits = bare_repo.commits()
    assert len(commits) == 4
    assert {bare_repo.trailers(commit)["FlowRelease"] for commit in commits} == {
        f"team-{index}/ivr" for index in range(4)
    }
    assert commits[0] in {result.commit for result in results}
    assert git("--git-dir", str(bare_repo.path), "rev-list", "--merges", "main").strip() == ""


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside", '".."'),
        ("flows/../../etc", '".."'),
        ("/etc/flows", "absolute"),
        (".git/hooks", ".git"),
        ("flows/.GIT/config", ".git"),
        ("flows\\ivr", "backslash"),
        ("./", "repository root"),
        ("flows/\nivr", "control characters"),
    ],
)
async def test_unsafe_export_paths_are_refused_before_touching_git(
    store: GitArtifactStore, bare_repo: Repository, workdir: Path, path: str, reason: str
) -> None:
    with pytest.raises(UnsafeExportPath) as caught:
        await store.store(target(bare_repo.url, path=path), {}, exported(), provenance())

    assert "spec.export.git.path" in str(caught.value)
    assert reason in str(caught.value)
    assert bare_repo.commits() == []
    assert not (workdir / "repos").exists()


async def test_a_path_through_a_symlink_in_the_repository_is_refused(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    bare_repo.push_as_another_writer(other, {"README.md": "x\n"}, "Initial commit")
    (other / "flows").symlink_to("/tmp")
    git("add", "flows", cwd=other)
    git("commit", "--quiet", "-m", "Link flows elsewhere", cwd=other)
    git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=other)

    with pytest.raises(UnsafeExportPath, match="symbolic link"):
        await store.store(target(bare_repo.url, path="flows/support-ivr"), {}, exported(), provenance())

    assert len(bare_repo.commits()) == 2


async def test_an_empty_export_is_refused_with_a_clear_error(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    with pytest.raises(InvalidArtifact, match="YAML is empty"):
        await store.store(target(bare_repo.url), {}, exported(yaml="\r\n\n"), provenance())

    assert bare_repo.commits() == []


async def test_a_missing_repository_is_reported_as_not_found_naming_the_url(
    store: GitArtifactStore, tmp_path: Path
) -> None:
    url = (tmp_path / "no-such-repo.git").as_uri()

    with pytest.raises(GitRepositoryNotFound) as caught:
        await store.store(target(url), {}, exported(), provenance())

    assert isinstance(caught.value, GitRemoteUnreachable)
    assert caught.value.permanent, "retrying cannot create the repository"
    assert url in str(caught.value)
    assert "spec.export.git.url" in str(caught.value)


async def test_a_push_refused_by_a_server_hook_fails_clearly_and_the_clone_stays_usable(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    hook = bare_repo.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n")
    hook.chmod(0o755)

    with pytest.raises(GitPushRejected, match="branch protection") as caught:
        await store.store(target(bare_repo.url), {}, exported(), provenance())
    assert isinstance(caught.value, ArtifactStoreError)
    assert caught.value.permanent, "a protected branch stays protected: report it, do not retry"
    assert bare_repo.commits() == []

    hook.unlink()
    stored = await store.store(target(bare_repo.url), {}, exported(), provenance())
    assert bare_repo.commits() == [stored.commit]


async def test_a_clone_left_broken_by_a_killed_process_is_repaired(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    first = await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    clone = store.clone_path(bare_repo.url)
    (clone / "flows" / "support-ivr" / "flow.yaml").write_text("half written")
    git("-C", str(clone), "commit", "--quiet", "-am", "unpushed local commit")
    (clone / "stray.txt").write_text("left over")
    (clone / ".git" / "index.lock").write_text("")

    again = await store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0"))
    assert again.changed is False
    assert again.commit == first.commit

    (clone / ".git" / "HEAD").unlink()
    third = await store.store(target(bare_repo.url), {}, exported("4.0"), provenance("4.0"))
    assert bare_repo.commits() == [third.commit, first.commit]
    assert not (clone / "stray.txt").exists()


async def test_a_relative_workdir_is_anchored_where_the_store_was_created(
    bare_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = GitArtifactStore(Path(".flowrelease/git"))

    stored = await store.store(target(bare_repo.url), {}, exported(), provenance())

    assert bare_repo.commits() == [stored.commit]
    assert store.clone_path(bare_repo.url).is_relative_to(tmp_path / ".flowrelease" / "git")


async def test_one_clone_serves_several_branches_of_one_repository_concurrently(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    branches = ["main", "releases/prod", "main", "releases/prod"]

    results = await asyncio.gather(
        *(
            store.store(
                target(bare_repo.url, branch=branch, path=f"flows/ivr-{index}"),
                {},
                exported("1.0", flow_id=f"flow-{index}"),
                provenance("1.0", release=f"cc/ivr-{index}", flow_id=f"flow-{index}"),
            )
            for index, branch in enumerate(branches)
        )
    )

    assert all(result.changed for result in results)
    assert len(bare_repo.commits("main")) == 2
    assert len(bare_repo.commits("releases/prod")) == 2
    assert [name for name in bare_repo.files("main") if name.endswith("flow.yaml")] == [
        "flows/ivr-0/flow.yaml",
        "flows/ivr-2/flow.yaml",
    ]
    assert len(list(store.clone_path(bare_repo.url).parent.glob("*.lock"))) == 1


async def test_a_cancelled_export_does_not_corrupt_the_next_one(
    store: GitArtifactStore, bare_repo: Repository
) -> None:
    """Cancelling the awaiting task cannot stop git in its thread; the clone's file lock keeps them apart."""
    first = asyncio.create_task(store.store(target(bare_repo.url), {}, exported("3.0"), provenance("3.0")))
    await asyncio.sleep(0.05)
    first.cancel()

    second = await store.store(target(bare_repo.url), {}, exported("4.0"), provenance("4.0"))

    assert bare_repo.commits()[0] == second.commit
    assert bare_repo.trailers(second.commit)["Flow-Version"] == "4.0"
    assert len(bare_repo.commits()) in (1, 2)


async def test_a_gitignore_in_the_repository_does_not_keep_the_artifact_out(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    bare_repo.push_as_another_writer(tmp_path / "other", {".gitignore": "*.json\nflows/\n"}, "Ignore JSON")

    stored = await store.store(target(bare_repo.url), {}, exported(), provenance())

    assert stored.changed is True
    assert "flows/support-ivr/release.json" in bare_repo.files()
    assert "flows/support-ivr/configuration.json" in bare_repo.files()


async def test_crlf_checkout_attributes_do_not_cause_a_commit_per_export(
    store: GitArtifactStore, bare_repo: Repository, tmp_path: Path
) -> None:
    bare_repo.push_as_another_writer(tmp_path / "other", {".gitattributes": "* text=auto eol=crlf\n"}, "CRLF")
    first = await store.store(target(bare_repo.url), {}, exported(), provenance())

    again = await store.store(target(bare_repo.url), {}, exported(), provenance(operation_id="op-again"))

    assert (first.changed, again.changed) == (True, False)
    assert again.commit == first.commit
    assert b"\r" not in bare_repo.show("main", "flows/support-ivr/flow.yaml")


NO_GIT_WRITER = """
import asyncio, sys
from pathlib import Path
from flowrelease.gitops import GitArtifactStore, GitCommandFailed
from tests.integration.gitops.conftest import exported, provenance, target
try:
    asyncio.run(GitArtifactStore(Path(sys.argv[1])).store(target(sys.argv[2]), {}, exported(), provenance()))
except GitCommandFailed as error:
    print(error)
"""


def test_without_git_installed_the_export_fails_clearly_and_importing_needs_no_git(
    bare_repo: Repository, tmp_path: Path
) -> None:
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", NO_GIT_WRITER, str(tmp_path / "store"), bare_repo.url],
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "PATH": str(empty_bin)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "git is not installed or not on PATH" in done.stdout
    assert bare_repo.url in done.stdout
