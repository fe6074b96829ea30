"""One working clone of a remote repository, driven with git through GitPython. Blocking: run it in a thread.

The clone is a cache, never a source of truth: `sync` resets it to the remote branch (or to an empty branch
when the remote has none) before anything is written, and stale locks or a half-done rebase left by a killed
process are cleared first. Every command names the clone explicitly (`--git-dir`/`--work-tree`), so git never
discovers an enclosing repository.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from flowrelease.gitops.errors import GitCommandFailed, GitPushRejected, UnsafeExportPath
from flowrelease.gitops.failures import git_failure
from flowrelease.gitops.remote import Remote, redact

_logger = logging.getLogger("flowrelease.gitops")

_LOST_RACE_SIGNS = (
    "[rejected]",
    "failed to update ref",
    "failed to lock",
    "cannot lock ref",
    "incorrect old value",
    "stale info",
)
"""Push summaries meaning another writer moved the branch first (before or during our push): retry."""
_STALE_LOCKS = ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")


@dataclass(frozen=True)
class Identity:
    """Who flowrelease commits as (author and committer)."""

    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


class WorkingClone:
    def __init__(
        self,
        path: Path,
        remote: Remote,
        env: Mapping[str, str],
        *,
        identity: Identity,
        secrets: tuple[str, ...],
        network_timeout: float,
    ) -> None:
        self.path = path
        self.remote = remote
        self._env = dict(env)
        self._identity = identity
        self._secrets = secrets
        self._network_timeout = network_timeout
        self._git_dir = path / ".git"

    # ----------------------------------------------------------------------------------- commands

    def _run(
        self, action: str, *args: str, network: bool = False, check: bool = True, commits: bool = False
    ) -> tuple[int, str, str]:
        env = {**self._env, **(self._identity.env() if commits else {})}
        command = ["git", f"--git-dir={self._git_dir}", f"--work-tree={self.path}", *args]
        try:
            # Imported here: GitPython refuses to import without a git binary, and releases that export
            # nothing must not need one.
            import git
        except ImportError as error:
            raise self._git_missing() from error
        try:
            result = git.Git(str(self.path)).execute(
                command,
                with_extended_output=True,
                with_exceptions=False,
                env=env,
                kill_after_timeout=self._network_timeout if network else None,
            )
        except (git.GitCommandNotFound, OSError) as error:
            raise self._git_missing() from error
        status, stdout, stderr = int(result[0]), str(result[1]), str(result[2])
        if check and status != 0:
            raise git_failure(action, self.remote, stderr, self._secrets)
        return status, stdout, stderr

    def _git_missing(self) -> GitCommandFailed:
        return GitCommandFailed(
            f"cannot run git to export to {self.remote.url}: git is not installed or not on PATH; "
            "install git 2.32 or newer (the flowrelease image has it)"
        )

    # ------------------------------------------------------------------------------- preparation

    def prepare(self) -> None:
        """Make sure a usable clone of `remote` exists here; rebuild it when it is broken or foreign."""
        if self.path.exists() and not self._is_clone_of_remote():
            _logger.warning("rebuilding the working clone of %s at %s", self.remote.url, self.path)
            shutil.rmtree(self.path)
        if not self.path.exists():
            self.path.mkdir(parents=True)
            self._run("init", "init", "--quiet")
            self._run("init", "remote", "add", "origin", self.remote.url)
        self._clear_stale_state()

    def _is_clone_of_remote(self) -> bool:
        if not self._git_dir.is_dir():
            return False
        status, url, _ = self._run("config", "config", "--get", "remote.origin.url", check=False)
        return status == 0 and url.strip() == self.remote.url

    def _clear_stale_state(self) -> None:
        """Locks or a rebase left by a killed process; we hold the clone's lock, so they are stale."""
        for name in _STALE_LOCKS:
            (self._git_dir / name).unlink(missing_ok=True)
        refs = self._git_dir / "refs"
        if refs.is_dir():
            for lock in refs.rglob("*.lock"):
                lock.unlink(missing_ok=True)
        if (self._git_dir / "rebase-merge").exists() or (self._git_dir / "rebase-apply").exists():
            self._run("rebase", "rebase", "--abort", check=False)
            shutil.rmtree(self._git_dir / "rebase-merge", ignore_errors=True)
            shutil.rmtree(self._git_dir / "rebase-apply", ignore_errors=True)

    # ------------------------------------------------------------------------------ remote state

    def remote_tip(self, branch: str) -> str | None:
        ref = f"refs/heads/{branch}"
        _, out, _ = self._run("ls-remote", "ls-remote", "--heads", "origin", ref, network=True)
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            if name.strip() == ref:
                return sha.strip()
        return None

    def fetch(self, branch: str) -> str:
        tracking = f"refs/remotes/origin/{branch}"
        self._run(
            "fetch",
            "fetch",
            "--quiet",
            "--no-tags",
            "origin",
            f"+refs/heads/{branch}:{tracking}",
            network=True,
        )
        return self.rev_parse(tracking)

    def rev_parse(self, ref: str) -> str:
        return self._run("rev-parse", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")[1].strip()

    def sync(self, branch: str) -> str | None:
        """Reset the clone to the remote branch: its commit, or None when the remote lacks the branch."""
        tip = self.remote_tip(branch)
        if tip is None:
            self._run("reset", "symbolic-ref", "HEAD", f"refs/heads/{branch}")
            self._run("reset", "update-ref", "-d", f"refs/heads/{branch}", check=False)
            self._run("reset", "update-ref", "-d", f"refs/remotes/origin/{branch}", check=False)
            self._run("reset", "read-tree", "--empty")
            self._run("reset", "clean", "-ffdxq")
            return None
        if self._run("cat-file", "cat-file", "-e", f"{tip}^{{commit}}", check=False)[0] == 0:
            self._run("update-ref", "update-ref", f"refs/remotes/origin/{branch}", tip)
            base = tip
        else:
            base = self.fetch(branch)
        self.reset_to(branch, base)
        return base

    def reset_to(self, branch: str, commit: str) -> None:
        self._run("checkout", "checkout", "--quiet", "--force", "-B", branch, commit)
        self._run("clean", "clean", "-ffdxq")

    # ---------------------------------------------------------------------------- files, commits

    def _folder(self, folder: PurePosixPath) -> Path:
        """The folder on disk, refusing a path that leaves the work tree through a symlink or hits a file."""
        current = self.path
        for part in folder.parts:
            current = current / part
            if current.is_symlink():
                raise UnsafeExportPath(
                    f"spec.export.git.path {str(folder)!r} goes through a symbolic link ({part}) in "
                    f"{self.remote.url}; point it at a plain folder"
                )
            if current.exists() and not current.is_dir():
                raise UnsafeExportPath(
                    f"spec.export.git.path {str(folder)!r} names a file, not a folder, in {self.remote.url}; "
                    "choose a folder path"
                )
        return current

    def read_files(self, folder: PurePosixPath, names: tuple[str, ...]) -> dict[str, bytes]:
        directory = self._folder(folder)
        found: dict[str, bytes] = {}
        for name in names:
            file = directory / name
            if file.is_symlink() or (file.exists() and not file.is_file()):
                raise UnsafeExportPath(
                    f"{folder / name} in {self.remote.url} is not a regular file; remove it or choose "
                    "another spec.export.git.path"
                )
            if file.is_file():
                found[name] = file.read_bytes()
        return found

    def commit_files(self, folder: PurePosixPath, files: Mapping[str, bytes], message: str) -> str | None:
        """Write and commit `files`; return the new commit, or None when git sees no change."""
        directory = self._folder(folder)
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (directory / name).write_bytes(content)
        # --force: a repository's .gitignore (e.g. `*.json`) must not keep the artifact out.
        self._run("add", "add", "--force", "--", *(str(folder / name) for name in files))
        if self._run("diff", "diff", "--cached", "--quiet", check=False)[0] == 0:
            return None
        message_file = self._git_dir / "FLOWRELEASE_COMMIT_MSG"
        message_file.write_text(message, encoding="utf-8")
        self._run(
            "commit",
            "commit",
            "--quiet",
            "--no-verify",
            "--cleanup=verbatim",
            "-F",
            str(message_file),
            commits=True,
        )
        return self.rev_parse("HEAD")

    def push(self, branch: str) -> Literal["pushed", "behind"]:
        """Push HEAD to the branch (never forced). "behind" when the remote moved on: fetch, rebase, retry."""
        status, out, err = self._run(
            "push", "push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}", network=True, check=False
        )
        if status == 0:
            return "pushed"
        for line in out.splitlines():
            if not line.startswith("!"):
                continue
            summary = line.split("\t")[-1].strip()
            if any(sign in summary for sign in _LOST_RACE_SIGNS):
                return "behind"
            raise GitPushRejected(
                f"git push {self.remote.url} refused the update of branch {branch}: "
                f"{redact(summary, self._secrets)}; check branch protection rules and server hooks",
                permanent=True,
            )
        raise git_failure("push", self.remote, err, self._secrets)

    def rebase(self, branch: str) -> bool:
        """Rebase HEAD onto the fetched remote branch; on a conflict abort it and return False."""
        status, _, _ = self._run(
            "rebase", "rebase", "--quiet", f"refs/remotes/origin/{branch}", check=False, commits=True
        )
        if status != 0:
            self._run("rebase", "rebase", "--abort", check=False)
            return False
        return True
